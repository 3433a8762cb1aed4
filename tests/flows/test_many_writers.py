"""Many machines, one lake: ingest runs in two processes write to one PostgreSQL catalog at
the same time, with overlapping inputs, and nothing is lost or doubled."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.commands import newsmon
from tests.support.dumps import write_dumps
from tests.support.postgres import create_database
from tests.support.seeds import SEEDS_DIR
from warehouse import db
from warehouse.checks import run_checks


def newsmon_ingest(inputs: Path, catalog: str, data_path: Path, home: Path) -> subprocess.Popen:
    settings = {
        "NEWSMON_CATALOG": catalog,
        "NEWSMON_DATA_PATH": str(data_path) + "/",
        "NEWSMON_BATCH_SIZE": "2",  # many small commits, so the two runs' batches interleave
    }
    return newsmon(["ingest", str(inputs)], home, settings, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_two_ingest_processes_on_one_postgres_catalog_lose_and_double_nothing(postgres_dsn, tmp_path):
    catalog = f"postgres:{create_database(postgres_dsn, 'two_writers')}"
    data_path = tmp_path / "shared-lake"
    first = newsmon_ingest(SEEDS_DIR, catalog, data_path, tmp_path / "setup")  # creates the lake
    assert first.wait(timeout=300) == 0, first.stdout.read()[-3000:]

    stories = tmp_path / "stories"
    write_dumps(stories, 30)
    left, right = tmp_path / "left", tmp_path / "right"
    for directory, numbers in ((left, range(0, 20)), (right, range(10, 30))):  # 10 stories in both
        directory.mkdir()
        for n in numbers:
            shutil.copy(stories / f"story_{n:03d}.txt", directory)
    runs = [newsmon_ingest(d, catalog, data_path, tmp_path / f"home-{d.name}") for d in (left, right)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-3000:] for o in outputs)

    with db.reader(catalog) as con:
        count = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
        assert count("SELECT count(*) FROM articles") == 2 + 30
        assert count("SELECT count(DISTINCT content_hash) FROM articles") == 2 + 30
        assert count("SELECT count(*) FROM comments") == 42 + 30 * 3
        assert count("SELECT count(*) FROM sightings") == 2 + 40  # every file of both runs, once
        assert count("SELECT count(*) FROM runs WHERE status = 'completed'") == 3
        overlap = con.execute(
            """SELECT max(started_at) < min(finished_at) FROM (
                   SELECT started_at, finished_at FROM runs ORDER BY started_at DESC LIMIT 2)"""
        ).fetchall()[0][0]
        assert overlap, "the two runs did not write at the same time"
        failed = [f"{r.table}: {r.check}" for r in run_checks(con) if not r.passed]
        assert failed == []
