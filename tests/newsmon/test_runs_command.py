"""`newsmon runs`: the recent runs from the `runs` table, with their rejects by reason."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from tests.support.seeds import SEED_003

runner = CliRunner()


def ingest(inputs, db_path) -> None:
    runner.invoke(app, ["ingest", str(inputs), "--db", str(db_path)])


def runs(db_path, *args: str) -> list[dict]:
    result = runner.invoke(app, ["runs", "--format", "json", "--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.usefixtures("prefect_engine")
def test_runs_lists_the_last_runs_with_their_counts_and_rejects_by_reason(db_path, tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    shutil.copy(SEED_003, good)
    (bad / "empty.txt").write_bytes(b"")
    (bad / "notes.md").write_text("not an input")
    ingest(good, db_path)
    ingest(bad, db_path)
    ingest(bad, db_path)  # notes.md rejected again (its row now names this run); empty.txt skipped unchanged

    first, second, third = runs(db_path)
    assert first["flow"] == "ingest" and first["status"] == "completed"
    assert (first["inputs"], first["articles_new"], first["near_duplicates"], first["rejects"]) == (1, 1, 0, 0)
    assert first["rejects_by_reason"] == {} and first["seconds"] >= 0
    assert first["started_utc"] <= second["started_utc"] <= third["started_utc"]  # oldest first
    # each run as it left the lake: the second keeps its unsupported_type though the third saw it again
    assert (second["rejects"], third["rejects"]) == (2, 1)
    assert second["rejects_by_reason"] == {"empty": 1, "unsupported_type": 1}
    assert third["rejects_by_reason"] == {"unsupported_type": 1}

    assert [r["run_id"] for r in runs(db_path, "--last", "2")] == [second["run_id"], third["run_id"]]
    table = runner.invoke(app, ["runs", "--last", "1", "--db", str(db_path)])
    assert table.exit_code == 0 and third["run_id"] in table.stdout and first["run_id"] not in table.stdout
    assert "unsupported_type 1" in table.stdout
    csv = runner.invoke(app, ["runs", "--format", "csv", "--db", str(db_path)]).stdout.splitlines()
    assert csv[0].startswith("run_id,flow,status,started_utc,seconds,inputs,articles_new,near_duplicates")
    assert len(csv) == 4


def test_runs_of_a_missing_warehouse_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["runs", "--db", str(tmp_path / "nothing.sqlite")])
    assert result.exit_code == 2 and result.stderr.startswith("error: no warehouse")
