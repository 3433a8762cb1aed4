"""Analysts query the lake from another process while a run loads: no errors, whole batches
only, and each batch as soon as it commits."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from flows.ingest import ingest
from tests.support.dumps import write_dumps
from tests.support.seeds import SEEDS_DIR

pytestmark = pytest.mark.usefixtures("prefect_engine")

READER = textwrap.dedent("""
    import json, sys, time, pathlib
    from warehouse import db
    catalog, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    queries, errors, seen = 0, [], set()
    while not stop.exists():
        try:
            with db.reader(catalog) as con:
                seen.add(con.execute(
                    "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM comments)").fetchall()[0])
            queries += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    print(json.dumps({"queries": queries, "errors": errors[:5], "seen": sorted(seen)}))
""")
BATCH = 5


def test_queries_during_a_run_see_every_committed_batch_whole_and_never_fail(db_path, tmp_path):
    ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))  # 2 articles, 42 comments
    inputs = tmp_path / "inputs"
    write_dumps(inputs, 30)  # 30 stories with 3 comments each, loaded in 6 batches of 5
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db_path), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        ingest(paths=[str(inputs)], db_path=str(db_path), batch_size=BATCH)
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=120)
    report = json.loads(output)
    assert report["errors"] == []
    assert report["queries"] > 10
    whole_batches = {(2 + n, 42 + 3 * n) for n in range(0, 31, BATCH)}
    seen = {tuple(state) for state in report["seen"]}
    assert seen <= whole_batches  # articles and their comments arrive together, batch by batch
    assert seen & (whole_batches - {(2, 42), (32, 132)}), "no batch was visible before the run ended"


def test_every_run_records_its_snapshot_and_the_lake_can_be_read_as_that_run_left_it(db_path, tmp_path):
    from warehouse import db

    first = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    inputs = tmp_path / "inputs"
    write_dumps(inputs, 4)
    ingest(paths=[str(inputs)], db_path=str(db_path))
    with db.reader(db_path) as con:
        snapshot, finished = con.execute(
            "SELECT snapshot_id, finished_at FROM runs WHERE run_id = ?", [first.run_id]
        ).fetchall()[0]
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(6,)]
        # the documented SQL form, on the live lake
        assert con.execute(f"SELECT count(*) FROM articles AT (VERSION => {snapshot})").fetchall() == [(2,)]
    with db.reader(db_path, as_of_snapshot=snapshot) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(2,)]
        assert con.execute("SELECT count(*) FROM comments").fetchall() == [(42,)]
    with db.reader(db_path, as_of_time=finished) as con:  # "what did we know when that run ended"
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(2,)]


def test_sql_as_of_a_run_answers_what_we_knew_then(db_path, tmp_path):
    from typer.testing import CliRunner

    from newsmon.cli import app

    first = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    write_dumps(tmp_path / "inputs", 3)
    ingest(paths=[str(tmp_path / "inputs")], db_path=str(db_path))
    runner = CliRunner()
    count = ["sql", "SELECT count(*) AS n FROM articles", "--db", str(db_path), "--format", "csv"]
    assert runner.invoke(app, count).output.split() == ["n", "5"]
    then = runner.invoke(app, [*count, "--as-of", first.run_id])
    assert then.exit_code == 0, then.output
    assert then.output.split() == ["n", "2"]
    unknown = runner.invoke(app, [*count, "--as-of", "no-such-run"])
    assert unknown.exit_code == 2 and "error:" in unknown.output
