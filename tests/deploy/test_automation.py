"""deploy/automations/: the shipped failure notification, applied to a real Prefect server, fires
its webhook at a real loopback HTTP server when a newsmon flow run fails."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.http_server import Reply
from tests.support.prefect_services import prefect_server

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "deploy" / "automations" / "notify-on-failure.yaml"

pytestmark = pytest.mark.slow  # a real Prefect server


def apply_automations(env: dict[str, str], cwd: Path, *arguments: str) -> subprocess.CompletedProcess:
    """What scripts/apply-automations runs once set-up is done."""
    return subprocess.run(
        [sys.executable, str(REPO / "deploy" / "automations" / "apply.py"), *arguments],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def failed_flow_run(api_url: str, flow_name: str, message: str) -> str:
    """A run of flow `flow_name` that starts and then fails, through the Prefect REST API (as the
    engine reports a run's states); returns its id."""
    flow_id = httpx.post(f"{api_url}/flows/", json={"name": flow_name}, timeout=10).json()["id"]
    run = httpx.post(f"{api_url}/flow_runs/", json={"flow_id": flow_id, "state": {"type": "RUNNING"}}, timeout=10)
    run_id = run.json()["id"]
    failed = httpx.post(
        f"{api_url}/flow_runs/{run_id}/set_state", json={"state": {"type": "FAILED", "message": message}}, timeout=10
    )
    assert failed.json()["status"] == "ACCEPT", failed.text
    return run_id


def automation_events(api_url: str, event: str) -> list[dict]:
    response = httpx.post(f"{api_url}/events/filter", json={"filter": {"event": {"name": [event]}}}, timeout=10)
    return response.json()["events"]


def test_the_shipped_automation_calls_the_webhook_when_a_newsmon_flow_run_fails(tmp_path, http_server):
    http_server.route("/hook", Reply(body=b"ok", content_type="text/plain"))
    with prefect_server(tmp_path) as env:
        api_url = env["PREFECT_API_URL"]
        no_block = apply_automations(env, tmp_path)  # no --webhook-url, and no block on the server yet
        assert no_block.returncode == 4
        assert "newsmon-failure-webhook" in no_block.stderr and no_block.stderr.count("\n") == 1
        for _ in range(2):  # applying again replaces the automation: one of it, never two
            applied = apply_automations(env, tmp_path, "--webhook-url", http_server.url("/hook"))
            assert applied.returncode == 0, applied.stderr

        # the automation and its block, read back through the API, are what the files say
        block = httpx.get(
            f"{api_url}/block_types/slug/webhook/block_documents/name/newsmon-failure-webhook", timeout=10
        ).json()
        automations = httpx.post(f"{api_url}/automations/filter", json={}, timeout=10).json()
        assert [a["name"] for a in automations] == ["newsmon-notify-on-failure"]
        shipped, automation = yaml.safe_load(SHIPPED.read_text()), automations[0]
        assert automation["enabled"] is True
        trigger = {key: automation["trigger"][key] for key in shipped["trigger"]}
        assert trigger == {**shipped["trigger"], "within": 0.0}  # the API writes the duration in seconds
        assert automation["actions"] == [
            {"type": "call-webhook", "block_document_id": block["id"], "payload": shipped["actions"][0]["payload"]}
        ]

        # a failed run of another flow is none of newsmon's business; a failed monitor run is
        failed_flow_run(api_url, "someone-elses-flow", "not ours")
        monitor_run = failed_flow_run(api_url, "monitor", 'the "watchlist" is unreadable')
        deadline = time.monotonic() + 180
        while not (executed := automation_events(api_url, "prefect.automation.action.executed")):
            assert not automation_events(api_url, "prefect.automation.action.failed"), "the webhook call failed"
            assert time.monotonic() < deadline, "the automation did not call its webhook within 180 s"
            time.sleep(0.5)
        assert [e["payload"]["status_code"] for e in executed] == [200]
        assert http_server.hits["/hook"] == 1
        [call] = [r for r in http_server.requests if r.path == "/hook"]
        payload = json.loads(call.body)
        assert call.method == "POST" and payload["flow_run_id"] == monitor_run
        assert 'the "watchlist" is unreadable' in payload["text"]
        triggered = automation_events(api_url, "prefect.automation.triggered")
        assert [e["payload"]["triggering_event"]["resource"]["prefect.resource.id"] for e in triggered] == [
            f"prefect.flow-run.{monitor_run}"
        ]


def test_applying_without_a_server_fails_in_one_line(tmp_path):
    applied = apply_automations({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, tmp_path)
    assert applied.returncode == 4
    assert applied.stderr.startswith("error: PREFECT_API_URL is not set") and applied.stderr.count("\n") == 1
