"""`newsmon server` and the background Prefect server `ingest` runs against: the installed
command in its own process and home (tests/support/commands.py), a real `prefect server start`,
and the runs checked through that server's own API."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from newsmon.app import Exit
from newsmon.prefect_server import free_port, is_healthy, process_start_ticks
from tests.support.commands import newsmon
from tests.support.seeds import SEEDS_DIR

BACKGROUND = {"NEWSMON_PREFECT_SERVER": "background"}  # tests/support/commands.py defaults to ephemeral


@pytest.fixture
def home(tmp_path: Path):
    """A working directory with the seeds; whatever server a test starts there is stopped after it."""
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    try:
        yield tmp_path
    finally:
        stopped = run(["server", "stop"], tmp_path)
        assert stopped.returncode == 0, stopped.stderr


def run(args: list[str], home: Path, settings: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    process = newsmon(args, home, settings, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def server_state(home: Path) -> dict:
    return json.loads((home / "data" / "prefect-server.json").read_text())


def run_id(ingest: subprocess.CompletedProcess) -> str:
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    return re.search(r"run ([0-9a-f-]{36}):", ingest.stdout).group(1)


def flow_runs(api_url: str) -> dict[str, str]:
    """Every flow run the Prefect server at `api_url` has recorded: id → state type."""
    response = httpx.post(f"{api_url}/flow_runs/filter", json={}, timeout=30)
    response.raise_for_status()
    return {flow_run["id"]: flow_run["state_type"] for flow_run in response.json()}


def test_the_first_ingest_starts_the_server_later_runs_reuse_it_and_stop_ends_it(home):
    settings = {**BACKGROUND, "NEWSMON_PREFECT_PORT": str(free_port())}
    assert run(["server", "status"], home).returncode == Exit.NOT_RUNNING

    first = run(["ingest"], home, settings)
    assert "started a background Prefect server" in first.stderr
    state = server_state(home)
    assert state["port"] == int(settings["NEWSMON_PREFECT_PORT"])
    second = run(["ingest"], home, settings)
    assert "started" not in second.stderr and server_state(home)["pid"] == state["pid"]
    assert flow_runs(state["api_url"]) == {run_id(first): "COMPLETED", run_id(second): "COMPLETED"}

    status = run(["server", "status"], home)
    assert status.returncode == 0 and status.stdout.startswith(f"running: {state['api_url']}")
    assert f"pid {state['pid']}" in status.stdout

    assert run(["server", "stop"], home).returncode == 0
    assert process_start_ticks(state["pid"]) is None and not is_healthy(state["api_url"])
    stopped = run(["server", "status"], home)
    assert stopped.returncode == Exit.NOT_RUNNING and stopped.stdout.strip() == "stopped"
    assert not (home / "data" / "prefect-server.json").exists()


def test_prefect_api_url_wins_and_ephemeral_keeps_the_temporary_server(home):
    started = run(["server", "start", "--port", str(free_port())], home)
    assert started.returncode == 0 and started.stdout.startswith("started: "), started.stderr
    api_url = server_state(home)["api_url"]

    elsewhere = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there: the run must fail
    pointed = run(["ingest"], home, {**BACKGROUND, "PREFECT_API_URL": elsewhere})
    assert pointed.returncode != 0 and elsewhere in pointed.stdout + pointed.stderr

    # A Prefect home of its own: a temporary server would otherwise record into the database
    # the background server reads too (PREFECT_HOME/prefect.db), and the check below would not tell.
    ephemeral = run(["ingest"], home, {"NEWSMON_PREFECT_SERVER": "ephemeral", "PREFECT_HOME": str(home / "other")})
    assert ephemeral.returncode == 0, ephemeral.stderr[-3000:]
    assert flow_runs(api_url) == {}  # neither run reached the background server


def test_two_commands_at_once_start_one_server(home):
    settings = {**BACKGROUND, "NEWSMON_PREFECT_PORT": str(free_port())}
    both = [newsmon(["server", "start"], home, settings, stdout=subprocess.PIPE) for _ in range(2)]
    outputs = sorted(process.communicate(timeout=300)[0] for process in both)
    assert [process.returncode for process in both] == [0, 0]
    assert outputs[0].startswith("already running: ") and outputs[1].startswith("started: ")
    pid = server_state(home)["pid"]
    assert all(f"pid {pid}" in output for output in outputs)


def stale_state(pid: int, start_ticks: int) -> str:
    return json.dumps(
        {
            "pid": pid,
            "start_ticks": start_ticks,
            "port": free_port(),
            "api_url": "http://127.0.0.1:1/api",
            "log_path": "data/prefect-background.log",
            "prefect_home": "prefect",
            "started_at": "2026-01-01T00:00:00+00:00",
        }
    )


def test_a_stale_state_is_removed_and_its_pid_left_alone(home):
    (home / "data").mkdir()
    state_path = home / "data" / "prefect-server.json"
    exited = subprocess.Popen(["true"])
    exited.wait()
    state_path.write_text(stale_state(exited.pid, 1))
    stop = run(["server", "stop"], home)
    assert stop.returncode == 0 and stop.stdout.strip() == "not running" and "removed a stale" in stop.stderr
    assert not state_path.exists()

    other_program = subprocess.Popen(["sleep", "300"])  # its pid stands for one the server had, reused
    try:
        # the same start time but another command line; another start time
        for start_ticks in (process_start_ticks(other_program.pid), 1):
            state_path.write_text(stale_state(other_program.pid, start_ticks))
            status = run(["server", "status"], home)
            assert status.returncode == Exit.NOT_RUNNING and "removed a stale" in status.stderr
            assert not state_path.exists()
        state_path.write_text(stale_state(other_program.pid, 1))
        assert run(["server", "stop"], home).returncode == 0 and not state_path.exists()
        assert other_program.poll() is None  # never signalled
    finally:
        other_program.kill()
        other_program.wait()


def test_server_start_on_a_taken_port_fails_with_one_line(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = run(["server", "start", "--port", str(port)], home)
    assert started.returncode == Exit.FAILED
    assert started.stderr.splitlines() == [f"error: port {port} on 127.0.0.1 is in use: pick another with --port"]
    assert not (home / "data" / "prefect-server.json").exists()


def test_a_process_that_imported_prefect_keeps_its_api_and_starts_nothing(home, monkeypatch):
    """In-process runs (CliRunner under the test harness): Prefect fixed its settings at import,
    so a server started then could not be used; none must be started, nor any state written.
    (`home` stops a server this started by mistake.)"""
    import prefect  # noqa: F401 -- the condition under test

    from newsmon.server import use_background_server

    monkeypatch.chdir(home)
    monkeypatch.setenv("NEWSMON_PREFECT_SERVER", "background")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    use_background_server()
    assert "PREFECT_API_URL" not in os.environ and not (home / "data").exists()
