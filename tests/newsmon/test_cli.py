"""The `newsmon` CLI: exit codes, read-only SQL on the live warehouse, clear errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import Exit, app
from tests.support.seeds import SEED_003, SEEDS_DIR
from tests.support.warehouse import rows
from warehouse import db

runner = CliRunner()


@pytest.fixture
def inputs(tmp_path):
    directory = tmp_path / "inputs"
    directory.mkdir()
    shutil.copy(SEED_003, directory)
    return directory


def summary_counts(output: str) -> dict[str, int]:
    """The printed summary table as {label: count}."""
    rows = (re.match(r"^[│|]\s*(.+?)\s*[│|]\s*(\d+)\s*[│|]$", line.strip()) for line in output.splitlines())
    return {row[1]: int(row[2]) for row in rows if row}


@pytest.mark.usefixtures("prefect_engine")
def test_ingest_prints_a_summary_that_matches_the_rows_loaded(db_path):
    result = runner.invoke(app, ["ingest", str(SEEDS_DIR), "--db", str(db_path)])
    assert result.exit_code == Exit.OK, result.output
    printed = summary_counts(result.output)
    [(articles, comments, spam)] = rows(
        db_path, "SELECT (SELECT count(*) FROM articles), count(*), count(*) FILTER (WHERE is_spam) FROM comments"
    )
    assert articles == 2 and comments > 0 and spam > 0
    assert printed["inputs seen"] == printed["inputs loaded"] == 2
    assert printed["articles new"] == articles
    assert printed["comments new"] == comments
    assert printed["comments new flagged spam"] == spam
    assert printed["rejects"] == 0
    again = summary_counts(runner.invoke(app, ["ingest", str(SEEDS_DIR), "--db", str(db_path)]).output)
    assert again["articles new"] == 0 and again["inputs unchanged (skipped, loaded before)"] == 2
    reread = summary_counts(runner.invoke(app, ["ingest", str(SEEDS_DIR), "--db", str(db_path), "--reread"]).output)
    assert reread["articles new"] == 0 and reread["articles already known (exact duplicate)"] == 2
    assert reread["comments already known"] == comments


@pytest.mark.usefixtures("prefect_engine")
def test_a_newsmon_error_is_one_line_and_exit_4_without_retrying(inputs, db_path):
    """An edited migration is the user's to fix: one line naming it, exit 4, no retries."""
    _make_db(db_path)
    with db.writer(db_path) as con:
        con.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
    result = runner.invoke(app, ["ingest", str(inputs), "--db", str(db_path)])
    assert result.exit_code == Exit.FAILED
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "001_core_tables.sql changed after it was applied" in errors[0]
    assert not isinstance(result.exception, SystemExit) or result.exception.code == Exit.FAILED


def test_storage_tasks_retry_io_errors_but_not_mistakes_that_stay():
    from prefect.states import Failed

    from extractors.errors import DatabaseBusy, MigrationError, WatchlistError
    from flows.tasks import worth_retrying

    def retried(error: Exception) -> bool:
        return worth_retrying(None, None, Failed(data=error))

    assert retried(DatabaseBusy("busy")) and retried(OSError("disk"))
    assert not retried(MigrationError("edited")) and not retried(WatchlistError("bad"))


@pytest.mark.usefixtures("prefect_engine")
def test_ingest_exit_code_tells_some_from_all_rejected(inputs, db_path, tmp_path):
    (inputs / "empty.txt").write_bytes(b"")
    some = runner.invoke(app, ["ingest", str(inputs), "--db", str(db_path)])
    assert some.exit_code == Exit.SOME_REJECTED, some.output
    assert "empty.txt" in some.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "empty.txt").write_bytes(b"")
    every = runner.invoke(app, ["ingest", str(only_bad), "--db", str(db_path)])
    assert every.exit_code == Exit.ALL_REJECTED, every.output


def _make_db(path):
    with db.writer(path) as con:
        con.execute(
            "INSERT INTO runs (run_id, flow_name, started_at, status) VALUES ('r', 'ingest', now(), 'completed')"
        )


def test_sql_is_read_only(db_path):
    _make_db(db_path)
    ok = runner.invoke(app, ["sql", "SELECT run_id, status FROM runs", "--db", str(db_path)])
    assert ok.exit_code == 0 and "completed" in ok.output
    write = runner.invoke(app, ["sql", "DELETE FROM runs", "--db", str(db_path)])
    assert write.exit_code == Exit.USAGE
    assert "read-only" in write.output.lower()
    assert rows(db_path, "SELECT count(*) FROM runs") == [(1,)]


def test_sql_on_a_missing_database_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(tmp_path / "nope.sqlite")])
    assert result.exit_code == Exit.USAGE
    assert "newsmon ingest" in result.output


def test_stats_and_check_report_on_the_database(db_path):
    _make_db(db_path)
    stats = runner.invoke(app, ["stats", "--db", str(db_path)])
    assert stats.exit_code == 0 and "articles" in stats.output and "schema_migrations" in stats.output
    assert "article_overview" not in stats.output  # a view: no rows of its own
    check = runner.invoke(app, ["check", "--db", str(db_path)])
    assert check.exit_code == 0, check.output
    assert "FAIL" not in check.output


WRITER_MID_TRANSACTION = """
import sys, time
from warehouse import db
with db.writer(sys.argv[1]) as con:
    con.execute("BEGIN")
    con.execute("INSERT INTO runs (run_id, flow_name, started_at, status) VALUES ('open', 'ingest', now(), 'running')")
    print("ready", flush=True)
    time.sleep(60)
"""


def test_sql_reads_live_data_while_another_process_writes(db_path):
    """No snapshot to wait for: a reader sees every commit, and nothing of a writer's open transaction."""
    _make_db(db_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", WRITER_MID_TRANSACTION, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = runner.invoke(app, ["sql", "SELECT run_id FROM runs", "--format", "csv", "--db", str(db_path)])
        assert result.exit_code == 0, result.output
        assert result.stdout == "run_id\nr\n"
    finally:
        holder.kill()
        holder.wait()


def test_the_installed_command_ingests_seeds_end_to_end(tmp_path):
    """`newsmon ingest` as ops run it: its own process, its own temporary Prefect server."""
    newsmon = Path(sys.executable).with_name("newsmon")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "NEWSMON_PREFECT_SERVER": "ephemeral",  # no background server outliving the test
    }
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    result = subprocess.run(
        [str(newsmon), "ingest"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "comments new flagged spam" in result.stdout
    catalog = tmp_path / "data" / "newsmon.sqlite"
    assert rows(catalog, "SELECT (SELECT count(*) FROM articles), count(*) FROM comments") == [(2, 42)]


@pytest.mark.usefixtures("prefect_engine")
def test_ingest_takes_urls_and_the_private_hosts_flag(http_server, db_path, monkeypatch):
    from tests.support.news_site import publish_feed

    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")
    feed = publish_feed(http_server, [1, 2])
    refused = runner.invoke(app, ["ingest", feed, "--db", str(db_path)])
    assert refused.exit_code == Exit.ALL_REJECTED and "private_address" in refused.output
    fetched = runner.invoke(app, ["ingest", feed, "--db", str(db_path), "--allow-private-hosts"])
    assert fetched.exit_code == Exit.OK, fetched.output
    assert rows(db_path, "SELECT count(*) FROM articles") == [(2,)]
