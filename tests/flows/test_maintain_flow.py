"""The maintain flow: fewer files and snapshots, the same rows, and a record of the run."""

from __future__ import annotations

import pytest

from flows.ingest import ingest
from flows.maintain import maintain
from tests.support.dumps import write_dumps
from warehouse import db
from warehouse.checks import run_checks
from warehouse.maintenance import lake_files

pytestmark = pytest.mark.usefixtures("prefect_engine")

TABLES = ("articles", "comments", "sightings", "article_lsh_buckets", "runs")


def counts(db_path) -> dict[str, int]:
    with db.reader(db_path) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


def test_maintenance_merges_files_expires_snapshots_and_keeps_every_row(db_path, tmp_path):
    write_dumps(tmp_path / "inputs", 24)
    ingest(paths=[str(tmp_path / "inputs")], db_path=str(db_path), batch_size=2)  # 12 small commits
    with db.reader(db_path) as con:
        before = lake_files(con)
    rows_before = counts(db_path)

    report = maintain(db_path=str(db_path), history_days=0, grace_minutes=0)

    assert report.before.snapshots > before.snapshots  # its own `runs` row was committed first
    assert report.after.files < report.before.files
    assert report.after.snapshots < report.before.snapshots and report.snapshots_expired > 0
    assert report.files_deleted > 0
    rows_after = counts(db_path)
    assert rows_after == rows_before | {"runs": rows_before["runs"] + 1}  # its own run is recorded
    with db.reader(db_path) as con:
        assert con.execute("SELECT status FROM runs WHERE flow_name = 'maintain'").fetchall() == [("completed",)]
        assert all(check.passed for check in run_checks(con))
        assert lake_files(con).files == report.after.files


def test_a_history_window_keeps_recent_snapshots_for_time_travel(db_path, tmp_path):
    write_dumps(tmp_path / "inputs", 4)
    first = ingest(paths=[str(tmp_path / "inputs")], db_path=str(db_path), batch_size=2)
    report = maintain(db_path=str(db_path), history_days=30, grace_minutes=60)
    assert report.snapshots_expired == 0 and report.after.snapshots >= report.before.snapshots
    with db.reader(db_path) as con:
        snapshot = con.execute("SELECT snapshot_id FROM runs WHERE run_id = ?", [first.run_id]).fetchall()[0][0]
    with db.reader(db_path, as_of_snapshot=snapshot) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(4,)]
