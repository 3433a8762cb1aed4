"""A run killed mid-way leaves a consistent database; the next run finishes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.commands import newsmon as run_newsmon
from tests.support.dumps import write_dumps
from warehouse import db
from warehouse.checks import run_checks


def newsmon(args: list[str], home: Path, **popen) -> subprocess.Popen:
    return run_newsmon(args, home, {"NEWSMON_BATCH_SIZE": "1"}, **popen)


def test_killed_run_is_consistent_and_the_next_run_finishes(tmp_path):
    inputs = tmp_path / "inputs"
    write_dumps(inputs, 40)
    db_path = tmp_path / "w.sqlite"

    run = newsmon(
        ["ingest", str(inputs), "--db", str(db_path)], tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    for line in run.stdout:  # wait until a few batches are committed, then kill everything it started
        if "batch 3/40" in line or time.monotonic() > deadline:
            break
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    run.stdout.close()

    with db.reader(db_path) as con:
        loaded = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert 3 <= loaded < 40
        # whole batches only: every loaded article has all three of its comments
        assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 3 * loaded
        assert con.execute("SELECT status FROM runs").fetchall() == [("running",)]
        assert all(r.passed for r in run_checks(con))

    rerun = newsmon(
        ["ingest", str(inputs), "--db", str(db_path)], tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert rerun.wait(timeout=300) == 0
    with db.reader(db_path) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 40
        assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 120
        assert con.execute("SELECT count(DISTINCT source) FROM sightings").fetchone()[0] == 40
        statuses = sorted(r[0] for r in con.execute("SELECT status FROM runs").fetchall())
        assert statuses == ["abandoned", "completed"]
        assert all(r.passed for r in run_checks(con))
