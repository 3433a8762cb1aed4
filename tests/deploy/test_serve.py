"""`newsmon serve`: starts a local Prefect server, serves deploy/prefect.yaml's schedules, cleans up."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from newsmon.prefect_server import free_port, stop_process_group
from tests.support.prefect_services import prefect_env

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # a real Prefect server (and worker): minutes, not seconds


def test_serve_registers_the_scheduled_deployments_and_stops_its_server(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "deploy", project / "deploy")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    serve = subprocess.Popen(
        [str(Path(sys.executable).with_name("newsmon")), "serve", "--port", str(port)],
        cwd=project,
        env=prefect_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, deployments = time.monotonic() + 150, {}
        while time.monotonic() < deadline and len(deployments) < 3:
            assert serve.poll() is None, serve.stdout.read()
            for name in ("monitor/monitor", "ingest/ingest-seeds", "maintain/maintain"):
                try:
                    response = httpx.get(f"{api}/deployments/name/{name}", timeout=2)
                except httpx.TransportError:
                    break
                if response.status_code == 200:
                    deployments[name] = response.json()
            time.sleep(1)
        assert set(deployments) == {"monitor/monitor", "ingest/ingest-seeds", "maintain/maintain"}
        crons = {name: [s["schedule"]["cron"] for s in d["schedules"]] for name, d in deployments.items()}
        assert crons == {
            "monitor/monitor": ["*/15 * * * *"],
            "ingest/ingest-seeds": ["0 3 * * *"],
            "maintain/maintain": ["30 4 * * *"],
        }
        assert deployments["monitor/monitor"]["parameters"]["watchlist"] == "deploy/watchlist.toml"
    finally:
        # serve stops its own server on the way out; give it time on a busy machine before SIGKILL,
        # which would leave that server (in a session of its own) running
        stop_process_group(serve, signals=2, timeout_s=120)
    # The server goes with serve (it is told to stop when serve ends, however serve ends);
    # shutting down takes it a moment.
    gone_by = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{api}/health", timeout=2)
        except httpx.TransportError:
            break
        assert time.monotonic() < gone_by, f"the Prefect server started by serve outlived it:\n{serve.stdout.read()}"
        time.sleep(0.5)
