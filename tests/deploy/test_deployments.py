"""deploy/prefect.yaml on a real Prefect server with a real process worker."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import httpx

from tests.deploy.prefect_services import prefect_server, prefect_worker, run_prefect

REPO = Path(__file__).resolve().parents[2]
POOL = "newsmon-process"


def copy_project(target: Path) -> Path:
    """Deploy from a copy, so runs never write into the working tree."""
    for part in ("deploy", "flows", "seeds"):
        shutil.copytree(REPO / part, target / part)
    return target


def wait_for_final_state(api_url: str, flow_run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{api_url}/flow_runs/{flow_run_id}", timeout=10).json()
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout} s")


def test_ingest_seeds_deployment_runs_on_a_worker(tmp_path):
    project = copy_project(tmp_path / "project")
    db_path = tmp_path / "warehouse.duckdb"
    with prefect_server(tmp_path) as env:
        api_url = env["PREFECT_API_URL"]
        run_prefect(["work-pool", "create", POOL, "--type", "process"], env, project)
        run_prefect(["--no-prompt", "deploy", "--all", "--prefect-file", "deploy/prefect.yaml"], env, project)

        deployment = httpx.get(f"{api_url}/deployments/name/ingest/ingest-seeds", timeout=10).json()
        assert deployment["entrypoint"] == "flows/ingest.py:ingest"
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 3 * * *"]

        with prefect_worker(env, POOL, project):
            out = run_prefect(["deployment", "run", "ingest/ingest-seeds",
                               "--param", f"db_path={db_path}", "--param", 'paths=["seeds"]'], env, project)
            flow_run_id = next(line.split()[-1] for line in out.splitlines() if "UUID" in line)
            run = wait_for_final_state(api_url, flow_run_id)
    assert run["state"]["type"] == "COMPLETED", json.dumps(run["state"], indent=1)
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 42
        assert con.execute("SELECT run_id, status FROM runs").fetchall() == [(flow_run_id, "completed")]
