"""The `newsmon` CLI: exit codes, read-only SQL, clear errors."""
from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from newsmon.cli import Exit, app
from tests.conftest import SEED_003

runner = CliRunner()


@pytest.fixture
def inputs(tmp_path):
    directory = tmp_path / "inputs"
    directory.mkdir()
    shutil.copy(SEED_003, directory)
    return directory


@pytest.mark.usefixtures("prefect_engine")
def test_ingest_prints_a_summary_and_exits_zero(inputs, db_path):
    result = runner.invoke(app, ["ingest", str(inputs), "--db", str(db_path)])
    assert result.exit_code == Exit.OK, result.output
    assert "articles new" in result.output and "rejects" in result.output


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
    from warehouse import db

    with db.writer(path) as con:
        con.execute("INSERT INTO runs (run_id, flow_name, started_at, status) VALUES ('r', 'ingest', now(), 'completed')")


def test_sql_is_read_only(db_path):
    _make_db(db_path)
    ok = runner.invoke(app, ["sql", "SELECT run_id, status FROM runs", "--db", str(db_path)])
    assert ok.exit_code == 0 and "completed" in ok.output
    write = runner.invoke(app, ["sql", "DELETE FROM runs", "--db", str(db_path)])
    assert write.exit_code == Exit.FAILED
    assert "read-only" in write.output.lower() or "read only" in write.output.lower()
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_sql_on_a_missing_database_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == Exit.FAILED
    assert "newsmon ingest" in result.output


def test_stats_and_check_report_on_the_database(db_path):
    _make_db(db_path)
    stats = runner.invoke(app, ["stats", "--db", str(db_path)])
    assert stats.exit_code == 0 and "articles" in stats.output and "schema_migrations" in stats.output
    check = runner.invoke(app, ["check", "--db", str(db_path)])
    assert check.exit_code == 0, check.output
    assert "FAIL" not in check.output


def test_sql_while_another_process_writes_gives_a_clear_error(db_path):
    _make_db(db_path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)",
         str(db_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(db_path)])
        assert result.exit_code == Exit.FAILED
        assert "another process" in result.output
    finally:
        holder.kill()
        holder.wait()


def test_the_installed_command_ingests_seeds_end_to_end(tmp_path):
    """`newsmon ingest` as ops run it: its own process, its own temporary Prefect server."""
    from pathlib import Path

    from tests.conftest import SEEDS_DIR

    newsmon = Path(sys.executable).with_name("newsmon")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")}
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    result = subprocess.run([str(newsmon), "ingest"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "comments new flagged spam" in result.stdout
    with duckdb.connect(str(tmp_path / "data" / "newsmon.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 42


@pytest.mark.usefixtures("prefect_engine")
def test_ingest_takes_urls_and_the_private_hosts_flag(http_server, db_path, monkeypatch):
    from tests.support.news_site import publish_feed

    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")
    feed = publish_feed(http_server, [1, 2])
    refused = runner.invoke(app, ["ingest", feed, "--db", str(db_path)])
    assert refused.exit_code == Exit.ALL_REJECTED and "private_address" in refused.output
    fetched = runner.invoke(app, ["ingest", feed, "--db", str(db_path), "--allow-private-hosts"])
    assert fetched.exit_code == Exit.OK, fetched.output
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
