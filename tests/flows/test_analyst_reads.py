"""Analysts query from another process while a run loads: never a lock error, never half a run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from flows.ingest import ingest
from tests.support.dumps import write_dumps
from tests.support.seeds import SEEDS_DIR
from warehouse.publish import snapshot_path

pytestmark = pytest.mark.usefixtures("prefect_engine")

READER = textwrap.dedent("""
    import json, sys, time, pathlib, duckdb
    snapshot, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    queries, errors, seen = 0, [], set()
    while not stop.exists():
        try:
            with duckdb.connect(snapshot, read_only=True) as con:
                seen.add(con.execute("SELECT count(*) FROM articles").fetchone()[0])
            queries += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    print(json.dumps({"queries": queries, "errors": errors[:5], "seen": sorted(seen)}))
""")


def test_queries_during_a_run_see_the_last_finished_run_without_lock_errors(db_path, tmp_path):
    ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    inputs = tmp_path / "inputs"
    write_dumps(inputs, 30)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(snapshot_path(db_path)), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        ingest(paths=[str(inputs)], db_path=str(db_path), batch_size=1)  # 30 write transactions
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    report = json.loads(output)
    assert report["errors"] == []
    assert report["queries"] > 20
    assert set(report["seen"]) <= {2, 32}  # the seeds run, then the whole second run: nothing in between
    assert 2 in report["seen"]
