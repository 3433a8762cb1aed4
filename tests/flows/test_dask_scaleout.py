"""Extraction on a Dask cluster (NEWSMON_TASK_RUNNER=dask): the installed `newsmon ingest`
command against a real scheduler and two real worker processes on 127.0.0.1 and a real Prefect
server (DaskTaskRunner needs one), compared with a run of the same inputs on this machine alone."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from distributed import Client
from prefect.settings import PREFECT_API_URL, temporary_settings

from extractors.errors import ConfigError
from flows.runners import flow_task_runner
from flows.settings import Settings
from newsmon.prefect_server import free_port, stop_process_group
from tests.support.commands import newsmon
from tests.support.prefect_services import prefect_server
from tests.support.warehouse import rows

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))
INPUT_DIRS = (ROOT / "seeds", ROOT / "tests" / "extractors" / "pages", ROOT / "tests" / "extractors" / "comment_pages")
BATCH_SIZE = 3  # 19 pages: 7 extraction batches to spread over the workers
# What analysts read; run ids and the times of the run differ between two runs by nature.
TABLES = ("articles", "comments", "comment_snapshots", "sightings", "rejects", "article_minhash", "article_lsh_buckets")
RUN_COLUMNS = ("run_id", "seen_at", "read_at", "removed_at")


def test_dask_without_a_prefect_server_is_refused_by_name(monkeypatch):
    """Without PREFECT_API_URL every Dask worker would start a temporary Prefect server of its own."""
    monkeypatch.setenv("NEWSMON_TASK_RUNNER", "dask")
    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # unset even inside the test harness
        with pytest.raises(ConfigError, match="PREFECT_API_URL"):
            flow_task_runner(Settings())


@pytest.mark.slow
def test_extraction_runs_on_two_dask_workers_and_loads_the_rows_of_a_local_run(tmp_path):
    inputs = sorted(str(f) for d in INPUT_DIRS for f in d.iterdir() if f.suffix in (".txt", ".html"))
    with ExitStack() as stack:
        # The workers get no Prefect settings: the flow's travel with each task (its API URL included).
        address, wait_for_workers = stack.enter_context(dask_cluster(tmp_path / "dask", {"PYTHONPATH": str(ROOT)}, 2))
        prefect_env = stack.enter_context(prefect_server(tmp_path))  # starts while the cluster does
        client = wait_for_workers()
        settings = {
            "PREFECT_API_URL": prefect_env["PREFECT_API_URL"],
            "PYTHONPATH": str(ROOT),
            "NEWSMON_BATCH_SIZE": str(BATCH_SIZE),
        }
        on_dask = {**settings, "NEWSMON_TASK_RUNNER": "dask", "NEWSMON_DASK_ADDRESS": address}
        dask_run = start_ingest(stack, inputs, tmp_path / "on-dask", on_dask)
        local_run = start_ingest(stack, inputs, tmp_path / "local", settings)  # meanwhile: the cores are shared anyway
        dask_db, local_db = finished(*dask_run), finished(*local_run)
        tasks_per_worker = client.run(lambda dask_worker: dask_worker.state.executed_count)

    assert len(tasks_per_worker) == 2 and all(tasks_per_worker.values()), tasks_per_worker
    assert sum(tasks_per_worker.values()) == math.ceil(len(inputs) / BATCH_SIZE)  # every batch, each once
    assert rows(local_db, "SELECT count(*) FROM articles")[0][0] > 10
    for table in TABLES:
        assert analyst_rows(dask_db, table) == analyst_rows(local_db, table), table


def start_ingest(
    stack: ExitStack, inputs: list[str], home: Path, settings: dict[str, str]
) -> tuple[subprocess.Popen, Path]:
    """`newsmon ingest INPUTS` into a new lake under `home`, started (and stopped with `stack` if
    still running then); the command and its lake."""
    db_path = home / "lake" / "newsmon.sqlite"
    run = newsmon(
        ["ingest", *inputs, "--db", str(db_path)], home, settings, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    stack.callback(stop_process_group, run)
    return run, db_path


def finished(run: subprocess.Popen, db_path: Path) -> Path:
    output, _ = run.communicate(timeout=300)  # a hang guard, not a speed limit
    assert run.returncode == 0, output
    return db_path


def analyst_rows(db_path: Path, table: str) -> list[tuple]:
    """Every row of `table`, sorted, without the columns that name a run or its time."""
    columns = [
        name
        for (name,) in rows(db_path, "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])
        if not name.endswith(RUN_COLUMNS)
    ]
    return sorted(rows(db_path, f"SELECT {', '.join(columns)} FROM {table}"), key=repr)


@contextmanager
def dask_cluster(home: Path, settings: dict[str, str], workers: int) -> Iterator[tuple[str, Callable[[], Client]]]:
    """`dask scheduler` and `workers` × `dask worker` (one thread each) on 127.0.0.1, as ops start
    them on their machines, stopped at the end. Yields the scheduler's address at once (the
    processes start in the background) and a function that waits for every worker to join and
    returns a client of the cluster."""
    home.mkdir(parents=True)
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), **settings}
    with ExitStack() as stack:
        listen = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]  # no fixed port to collide on
        scheduler = start(
            [DASK, "scheduler", *listen, "--port", address.rsplit(":", 1)[1]], env, home / "scheduler.log"
        )
        stack.callback(stop_process_group, scheduler, timeout_s=5)
        for number in range(1, workers + 1):
            worker_home = home / f"worker-{number}"
            worker = start(
                [DASK, "worker", address, *listen, "--nthreads", "1", "--local-directory", str(worker_home)],
                env,
                home / f"worker-{number}.log",
            )
            stack.callback(stop_process_group, worker, timeout_s=5)  # its results are read: no need to wait long

        def wait_for_workers() -> Client:
            client = stack.enter_context(Client(address, timeout=60))
            stack.callback(client.shutdown)  # scheduler and workers at once, before their processes are stopped
            client.wait_for_workers(workers, timeout=120)
            return client

        yield address, wait_for_workers


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(
            command, env=env, cwd=log_path.parent, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
