"""`newsmon serve`: starts a local Prefect server, serves deploy/prefect.yaml's definitions under
names of its own, cleans up; refuses a port that is taken. Serving beside a worker's deployments
on one server: tests/deploy/test_deployments.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from newsmon.prefect_server import free_port
from tests.support.http_server import Reply
from tests.support.prefect_services import deployments_named, newsmon_serve, prefect_env

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # a real Prefect server: minutes, not seconds

SERVED = ["monitor/monitor-serve", "ingest/ingest-seeds-serve", "maintain/maintain-serve"]


def test_serve_registers_the_yaml_definitions_under_its_own_names_and_stops_its_server(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "deploy", project / "deploy")
    shipped = {d["name"]: d for d in yaml.safe_load((REPO / "deploy" / "prefect.yaml").read_text())["deployments"]}
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    with newsmon_serve(prefect_env(tmp_path), project, "--port", str(port)) as serve:
        deployments = deployments_named(api, SERVED, serve)
        for deployment in deployments.values():
            definition = shipped[deployment["name"].removesuffix("-serve")]
            assert deployment["entrypoint"].endswith(definition["entrypoint"])
            assert deployment["parameters"] == definition["parameters"]
            assert deployment["description"].startswith(definition["description"])
            served = [(s["schedule"]["cron"], s["schedule"]["timezone"], s["active"]) for s in deployment["schedules"]]
            assert served == [(s["cron"], s["timezone"], True) for s in definition["schedules"]]
            assert deployment["work_pool_name"] is None and deployment["paused"] is False
        for name in ("monitor/monitor", "ingest/ingest-seeds", "maintain/maintain"):  # the work pool's names
            assert httpx.get(f"{api}/deployments/name/{name}", timeout=5).status_code == 404
    assert serve.returncode == 0
    log = (project / "serve.log").read_text()
    assert f"paused serve's own deployments {', '.join(SERVED)}" in log
    assert "All deployments have been paused" not in log
    # The server goes with serve (it is told to stop when serve ends, however serve ends);
    # shutting down takes it a moment.
    gone_by = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{api}/health", timeout=2)
        except httpx.TransportError:
            break
        assert time.monotonic() < gone_by, f"the Prefect server started by serve outlived it:\n{log}"
        time.sleep(0.5)


def test_serve_refuses_a_taken_port_and_leaves_whatever_listens_there_alone(tmp_path, http_server):
    """Something on the port that even answers like a Prefect server: serve neither starts a
    server of its own (it would die, said only in its log) nor serves against that one."""
    http_server.route("/api/health", Reply(body=b"true", content_type="application/json"))
    project = tmp_path / "project"
    shutil.copytree(REPO / "deploy", project / "deploy")
    serve = subprocess.run(
        [str(Path(sys.executable).with_name("newsmon")), "serve", "--port", str(http_server.port)],
        cwd=project,
        env=prefect_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert serve.returncode == 4
    assert serve.stderr.count("\n") == 1, serve.stderr
    assert serve.stderr.startswith(f"error: port {http_server.port} on 127.0.0.1 is in use")
    assert "--port" in serve.stderr
    assert http_server.requests == []
    assert not (project / "data" / "prefect-server.log").exists()
