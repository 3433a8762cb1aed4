"""Exit codes exactly as the README documents them, from the installed command as ops run it:
0 all loaded, 1 some rejected, 3 all rejected, 4 could not run, 2 usage (one `error:` line)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsmon.cli import Exit
from tests.support.commands import PREFECT_STARTUP_S, newsmon
from tests.support.seeds import SEED_003
from warehouse import db

REPOSITORY = Path(__file__).resolve().parents[2]


def run(args: list[str], home: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    process = newsmon(args, home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def make_lake(home: Path) -> None:
    """home/lake.sqlite: every migration, one run."""
    with db.writer(home / "lake.sqlite") as con:
        con.execute(
            "INSERT INTO runs (run_id, flow_name, started_at, status) VALUES ('r', 'ingest', now(), 'completed')"
        )


def inputs(home: Path, *, good: bool = False, empty: bool = False) -> None:
    """home/inputs/: a seed page and/or an empty dump (rejected `empty`)."""
    (home / "inputs").mkdir()
    if good:
        shutil.copy(SEED_003, home / "inputs")
    if empty:
        (home / "inputs" / "empty.txt").write_bytes(b"")


def wrong_file(home: Path) -> None:
    """A file in a repository that is no catalog: the ops user's `--db README.md`."""
    shutil.copy(REPOSITORY / "README.md", home / "README.md")


@dataclass(frozen=True)
class Row:
    name: str
    args: list[str]
    code: Exit
    set_up: Callable[[Path], None] = make_lake


INGEST = ["ingest", "inputs", "--db", "lake.sqlite"]
RUNS = [
    Row("all loaded", INGEST, Exit.OK, lambda home: inputs(home, good=True)),
    Row("some rejected", INGEST, Exit.SOME_REJECTED, lambda home: inputs(home, good=True, empty=True)),
    Row("all rejected", INGEST, Exit.ALL_REJECTED, lambda home: inputs(home, empty=True)),
]
USAGE = [
    Row("bad option", ["sql", "SELECT 1", "--bogus", "--db", "lake.sqlite"], Exit.USAGE),
    Row("bad option value", ["sql", "SELECT 1", "--format", "xml", "--db", "lake.sqlite"], Exit.USAGE),
    Row("no such command", ["injest"], Exit.USAGE),
    Row("SQL syntax", ["sql", "SELEC 1", "--db", "lake.sqlite"], Exit.USAGE),
    Row("unknown table", ["sql", "SELECT * FROM artciles", "--db", "lake.sqlite"], Exit.USAGE),
    Row("unknown column", ["sql", "SELECT nope FROM runs", "--db", "lake.sqlite"], Exit.USAGE),
    Row("writing SQL", ["sql", "DELETE FROM runs", "--db", "lake.sqlite"], Exit.USAGE),
    Row("unknown diff id", ["diff", "0123456789abcdef", "--db", "lake.sqlite"], Exit.USAGE),
    Row("unknown describe table", ["describe", "artciles", "--db", "lake.sqlite"], Exit.USAGE),
    Row("unknown --as-of snapshot", ["sql", "SELECT 1", "--as-of", "999", "--db", "lake.sqlite"], Exit.USAGE),
    Row("unknown --as-of run", ["tables", "--as-of", "no-such-run", "--db", "lake.sqlite"], Exit.USAGE),
    Row("--db missing for a reading command", ["sql", "SELECT 1", "--db", "nothing.sqlite"], Exit.USAGE),
    Row("--db a directory", ["tables", "--db", "."], Exit.USAGE),
    Row("--db README.md to read", ["sql", "SELECT 1", "--db", "README.md"], Exit.USAGE, wrong_file),
    Row("--db README.md to ingest", ["ingest", "README.md", "--db", "README.md"], Exit.USAGE, wrong_file),
    Row("--db under a file", ["ingest", "README.md", "--db", "README.md/lake.sqlite"], Exit.USAGE, wrong_file),
]


@pytest.mark.parametrize("row", RUNS, ids=[r.name for r in RUNS])
def test_a_run_exits_with_what_became_of_its_inputs(row, tmp_path):
    row.set_up(tmp_path)
    done = run(row.args, tmp_path, timeout=PREFECT_STARTUP_S + 240)
    assert done.returncode == row.code, done.stderr[-3000:]


@pytest.mark.parametrize("row", USAGE, ids=[r.name for r in USAGE])
def test_a_usage_error_is_one_line_exit_2_and_writes_nothing(row, tmp_path):
    row.set_up(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run(row.args, tmp_path)
    assert done.returncode == row.code, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr
    # nothing beside a wrong --db: no run lock, no lake/ (Prefect's home is the test's, under prefect/)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "prefect") == before


HOLD_THE_RUN_LOCK = """
import sys, time
from warehouse.run_lock import exclusive_run
with exclusive_run(sys.argv[1]):
    print("ready", flush=True)
    time.sleep(120)
"""


def test_a_second_run_stops_at_once_with_exit_4_while_another_holds_the_lake(tmp_path):
    inputs(tmp_path, good=True)
    make_lake(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_RUN_LOCK, str(tmp_path / "lake.sqlite")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPOSITORY,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        done = run(INGEST, tmp_path, timeout=PREFECT_STARTUP_S + 120)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == Exit.FAILED
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: another newsmon run (pid {holder.pid}) is writing lake.sqlite; runs never overlap, "
        "so this one stops here: try again when it has finished"
    ]


def test_a_failed_check_exits_4(tmp_path):
    make_lake(tmp_path)
    with db.writer(tmp_path / "lake.sqlite") as con:  # a second row with the same run_id: `unique` fails
        con.execute("INSERT INTO runs (run_id, flow_name, started_at, status) VALUES ('r', 'ingest', now(), 'failed')")
    done = run(["check", "--db", "lake.sqlite"], tmp_path)
    assert done.returncode == Exit.FAILED and "FAIL" in done.stdout


def test_writable_catalog_names_the_run_holding_the_lock(tmp_path):
    from extractors.errors import RunInProgress
    from newsmon.app import writable_catalog

    catalog = tmp_path / "lake.sqlite"
    assert writable_catalog(catalog) == str(catalog)
    assert not (tmp_path / "lake.sqlite.run.lock").exists()  # probing never creates the lock file
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_RUN_LOCK, str(catalog)], stdout=subprocess.PIPE, text=True, cwd=REPOSITORY
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(RunInProgress, match=f"pid {holder.pid}"):
            writable_catalog(catalog)
    finally:
        holder.kill()
        holder.wait()
    assert writable_catalog(catalog) == str(catalog)  # free again once the holder is gone


def test_a_bug_is_one_line_and_its_traceback_only_with_debug(tmp_path):
    """An unexpected exception (here: a catalog spec that makes Path() fail) is exit 4, one line."""
    program = (
        "import sys\n"
        "from newsmon import app as frame\n"
        "from newsmon.cli import app\n"
        "def broken(given): raise ZeroDivisionError('a bug')\n"
        "frame.catalog_spec = broken\n"
        "import newsmon.query as query; query.catalog_spec = broken\n"
        "app(sys.argv[1:])\n"
    )
    plain = subprocess.run(
        [sys.executable, "-c", program, "tables"], cwd=REPOSITORY, capture_output=True, text=True, timeout=60
    )
    assert plain.returncode == Exit.FAILED
    assert plain.stderr.splitlines() == [
        "error: internal error: ZeroDivisionError: a bug (run with --debug for the traceback)"
    ]
    debug = subprocess.run(
        [sys.executable, "-c", program, "--debug", "tables"], cwd=REPOSITORY, capture_output=True, text=True, timeout=60
    )
    assert debug.returncode == Exit.FAILED
    assert debug.stderr.startswith("Traceback (most recent call last):") and "ZeroDivisionError: a bug" in debug.stderr
    assert debug.stderr.splitlines()[-1] == "error: internal error: ZeroDivisionError: a bug"


def test_version_names_newsmon_and_what_it_is_built_on(tmp_path):
    from importlib.metadata import version

    done = run(["--version"], tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == f"newsmon {version('newsmon')}"
    for package in ("trafilatura", "duckdb", "prefect"):
        assert f"{package} {version(package)}" in second
