"""deploy/prefect.yaml, deployed from the repository root, on a real Prefect server with a real
process worker, and `newsmon serve` beside them on the same server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support.dumps import write_dumps
from tests.support.news_site import publish_feed
from tests.support.prefect_services import (
    deployments_named,
    newsmon_serve,
    prefect_server,
    prefect_worker,
    run_prefect,
)
from warehouse import db
from warehouse.checks import run_checks

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # a real Prefect server (and worker): minutes, not seconds
POOL = "newsmon-process"
WORKER_DEPLOYMENTS = ("ingest/ingest-seeds", "monitor/monitor", "maintain/maintain")


def copy_project(target: Path) -> Path:
    """Deploy from a copy, so runs never write into the working tree; the root prefect.yaml stays
    the link to deploy/prefect.yaml it is."""
    for part in ("deploy", "flows", "seeds"):
        shutil.copytree(REPO / part, target / part)
    shutil.copy(REPO / "prefect.yaml", target / "prefect.yaml", follow_symlinks=False)
    return target


def deployment(api_url: str, name: str) -> dict:
    return httpx.get(f"{api_url}/deployments/name/{name}", timeout=10).json()


def as_a_worker_runs_it(deployment: dict) -> dict:
    """What decides whether, where and how a worker runs a deployment."""
    keys = ("entrypoint", "work_pool_name", "pull_steps", "parameters", "paused")
    return {key: deployment[key] for key in keys} | {
        "schedules": [(s["schedule"]["cron"], s["active"]) for s in deployment["schedules"]]
    }


def trigger(api_url: str, deployment: str, **parameters) -> str:
    """Create a flow run of a deployment through the Prefect REST API; returns its id."""
    deployment_id = httpx.get(f"{api_url}/deployments/name/{deployment}", timeout=10).json()["id"]
    for attempt in range(5):  # the server's SQLite answers 503 now and then while a run finishes
        response = httpx.post(
            f"{api_url}/deployments/{deployment_id}/create_flow_run", timeout=10, json={"parameters": parameters}
        )
        if response.status_code != 503:
            break
        time.sleep(1 + attempt)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def flow_run(api_url: str, flow_run_id: str) -> dict:
    return httpx.get(f"{api_url}/flow_runs/{flow_run_id}", timeout=10).json()


def wait_for_final_state(api_url: str, flow_run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = flow_run(api_url, flow_run_id)
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout} s")


def wait_for_batches(api_url: str, flow_run_id: str, at_least: int, timeout: float = 180) -> None:
    """Until the run's logs say batch `at_least` or later is loaded (newest logs first: task-run
    logs are many, and the first page of a run's logs may hold only those)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = httpx.post(
            f"{api_url}/logs/filter",
            timeout=10,
            json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "sort": "TIMESTAMP_DESC", "limit": 200},
        ).json()
        loaded = [int(m[1]) for entry in logs if (m := re.search(r"batch (\d+)/", entry["message"]))]
        if loaded and max(loaded) >= at_least:
            return
        time.sleep(0.5)
    raise AssertionError(f"flow run {flow_run_id} logged no batch {at_least} after {timeout} s")


def kill_processes_with_env(name: str, value: str, timeout: float = 20) -> int:
    """SIGKILL every process whose environment has name=value (only what this test started),
    and wait until they are gone: a dying process still holds its DuckDB file lock."""
    killed = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"{name}={value}".encode() in environ and int(pid) != os.getpid():
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in killed):
        assert time.monotonic() < deadline, f"processes {killed} still alive {timeout} s after SIGKILL"
        time.sleep(0.1)
    return len(killed)


def _alive(pid: str) -> bool:
    try:  # a zombie ("Z") has exited and released its files; only its exit status is left
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def counts(db_path: Path) -> tuple[int, int]:
    with db.reader(db_path) as con:
        return con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM comments)").fetchone()


def test_deployments_run_on_a_worker_beside_serve_and_survive_a_killed_worker(tmp_path, http_server):
    project = copy_project(tmp_path / "project")
    elsewhere = tmp_path / "worker"  # the worker's own directory: each run's comes from its deployment
    elsewhere.mkdir()
    with prefect_server(tmp_path) as env:
        api_url = env["PREFECT_API_URL"]
        run_prefect(["work-pool", "create", POOL, "--type", "process"], env, project)
        run_prefect(["--no-prompt", "deploy", "--all"], env, project)  # from the root, as Prefect users do
        deployments = {name: deployment(api_url, name) for name in WORKER_DEPLOYMENTS}
        assert {n: d["entrypoint"] for n, d in deployments.items()} == {
            "ingest/ingest-seeds": "flows/ingest.py:ingest",
            "monitor/monitor": "flows/monitor.py:monitor",
            "maintain/maintain": "flows/maintain.py:maintain",
        }
        assert {n: [s["schedule"]["cron"] for s in d["schedules"]] for n, d in deployments.items()} == {
            "ingest/ingest-seeds": ["0 3 * * *"],
            "monitor/monitor": ["*/15 * * * *"],
            "maintain/maintain": ["30 4 * * *"],
        }
        assert all(d["work_pool_name"] == POOL and not d["paused"] for d in deployments.values())

        # 1. serve, on the same server, from the same directory: its deployments beside the worker's
        with newsmon_serve(env, project) as serve:
            deployments_named(api_url, [f"{name}-serve" for name in WORKER_DEPLOYMENTS], serve)
            for name, before in deployments.items():
                assert as_a_worker_runs_it(deployment(api_url, name)) == as_a_worker_runs_it(before)

            # 2. the seeds, through the worker's deployment, into a database outside the working tree
            seeds_db = tmp_path / "seeds.sqlite"
            with prefect_worker(env, POOL, elsewhere):
                run_id = trigger(api_url, "ingest/ingest-seeds", db_path=str(seeds_db), paths=["seeds"])
                run = wait_for_final_state(api_url, run_id)
                assert run["state"]["type"] == "COMPLETED", json.dumps(run["state"], indent=1)

                # 3. the monitor deployment, on a watchlist of one loopback feed
                watchlist = tmp_path / "watchlist.toml"
                feed = publish_feed(http_server, [1, 2, 3])
                watchlist.write_text(f'[[source]]\nname = "local"\nkind = "feed"\nurl = "{feed}"\n')
                monitor_db = tmp_path / "monitor.sqlite"
                monitor_id = trigger(
                    api_url,
                    "monitor/monitor",
                    watchlist=str(watchlist),
                    db_path=str(monitor_db),
                    allow_private_hosts=True,
                )
                assert wait_for_final_state(api_url, monitor_id)["state"]["type"] == "COMPLETED"
        assert serve.returncode == 0, (project / "serve.log").read_text()
        # serve paused its own deployments on the way out, and nothing else
        for name, before in deployments.items():
            assert as_a_worker_runs_it(deployment(api_url, name)) == as_a_worker_runs_it(before)
            assert deployment(api_url, f"{name}-serve")["paused"] is True
        assert counts(seeds_db) == (2, 42)
        assert counts(monitor_db) == (3, 0)
        with db.reader(seeds_db) as con:
            assert con.execute("SELECT run_id, status FROM runs").fetchall() == [(run_id, "completed")]

        # 4. kill the worker (and the run it started) during a load; the next run finishes the work
        inputs = tmp_path / "inputs"
        write_dumps(inputs, 200)  # 200 one-file batches: far more than the log round-trip lets through
        crash_db = tmp_path / "crash.sqlite"
        with prefect_worker(env, POOL, project, marker="doomed"):
            doomed = trigger(api_url, "ingest/ingest-seeds", db_path=str(crash_db), paths=[str(inputs)], batch_size=1)
            wait_for_batches(api_url, doomed, at_least=3)
            assert kill_processes_with_env("NEWSMON_TEST_WORKER", "doomed") >= 2  # the worker and its flow run
        articles, comments = counts(crash_db)
        assert 3 <= articles < 200 and comments == 3 * articles  # whole batches only
        with db.reader(crash_db) as con:
            assert all(r.passed for r in run_checks(con))
        with prefect_worker(env, POOL, project):
            rerun = trigger(api_url, "ingest/ingest-seeds", db_path=str(crash_db), paths=[str(inputs)])
            assert wait_for_final_state(api_url, rerun)["state"]["type"] == "COMPLETED"
            # 5. the daily maintenance, through its deployment: same rows, fewer files
            tidy = trigger(api_url, "maintain/maintain", db_path=str(crash_db), history_days=0, grace_minutes=0)
            assert wait_for_final_state(api_url, tidy)["state"]["type"] == "COMPLETED"
        assert counts(crash_db) == (200, 600)
        with db.reader(crash_db) as con:
            statuses = sorted(con.execute("SELECT flow_name, status FROM runs").fetchall())
            assert statuses == [("ingest", "abandoned"), ("ingest", "completed"), ("maintain", "completed")]
            assert all(r.passed for r in run_checks(con))
