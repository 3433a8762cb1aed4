"""`newsmon export` (articles and comments as files partitioned by day) and `newsmon shell`
(the DuckDB CLI on the lake, read-only), on real lakes in temp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from extractors.records import ParsedComment, ParsedPage
from newsmon.cli import Exit, app
from tests.support.seeds import SEEDS_DIR
from tests.support.warehouse import rows
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.load import PageToLoad, load_batch
from warehouse.runs import record_run_start

runner = CliRunner()
NEWSMON = Path(sys.executable).with_name("newsmon")
DAYS = (datetime(2025, 6, 1, 23, 59), datetime(2025, 6, 2, 0, 1), datetime(2025, 6, 4, 12, 0))


def story(number: int, comments: int) -> PageToLoad:
    url = f"https://news.example/{number}"
    text = f"Story {number}: the harbour council met about the barrier, item {number}. " * 3
    parsed = ParsedPage(
        source=url,
        text=text,
        extraction_method="trafilatura",
        title=f"Story {number}",
        url=url,
        comments=tuple(ParsedComment(n, 0, None, f"Comment {n} on story {number}.") for n in range(comments)),
    )
    return PageToLoad(parsed, fingerprint_article(url, parsed.title, text), "url")


@pytest.fixture
def three_days(db_path) -> Path:
    """A lake whose articles and comments were first seen on three days, one batch a day."""
    with db.writer(db_path) as con:
        for day, when in enumerate(DAYS):
            record_run_start(con, f"run-{day}", "ingest", {})
            load_batch(con, f"run-{day}", [story(day * 10 + i, comments=day + 1) for i in range(day + 2)], [], now=when)
    return db_path


def per_day(db_path: Path, table: str) -> dict[str, int]:
    found = rows(db_path, f"SELECT CAST(first_seen_at AS DATE)::VARCHAR, count(*) FROM {table} GROUP BY 1")
    return dict(found)


def exported_per_day(directory: Path, reader: str) -> dict[str, int]:
    con = duckdb.connect()
    try:
        found = con.execute(
            f"SELECT day::VARCHAR, count(*) FROM {reader}(?, hive_partitioning = true) GROUP BY 1",
            [f"{directory}/**/*"],
        ).fetchall()
    finally:
        con.close()
    return dict(found)


def test_export_writes_one_partition_per_day_with_the_lakes_rows(three_days, tmp_path):
    target = tmp_path / "export's dir"  # a quote in the path: quoted, never SQL
    result = runner.invoke(app, ["export", str(target), "--db", str(three_days)])
    assert result.exit_code == 0, result.output

    expected = {
        "articles": {"2025-06-01": 2, "2025-06-02": 3, "2025-06-04": 4},
        "comments": {"2025-06-01": 2, "2025-06-02": 6, "2025-06-04": 12},
    }
    for table, counts in expected.items():
        lake = per_day(three_days, table)
        assert lake == counts
        assert sorted(p.name for p in (target / table).iterdir()) == [f"day={day}" for day in sorted(lake)]
        assert exported_per_day(target / table, "read_parquet") == lake
        assert sum(lake.values()) == rows(three_days, f"SELECT count(*) FROM {table}")[0][0]
    assert "articles" in result.stdout and "comments" in result.stdout
    assert "lake snapshot" in result.stdout

    lake_articles = rows(three_days, "SELECT article_id, title, text, url FROM articles ORDER BY article_id")
    con = duckdb.connect()
    exported = con.execute(
        "SELECT article_id, title, text, url FROM read_parquet(?) ORDER BY article_id",
        [f"{target}/articles/**/*.parquet"],
    ).fetchall()
    con.close()
    assert exported == lake_articles


def test_export_refuses_a_non_empty_directory_unless_told_to_overwrite(three_days, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    refused = runner.invoke(app, ["export", str(target), "--db", str(three_days)])
    assert refused.exit_code == Exit.FAILED
    assert "error:" in refused.output and "--overwrite" in refused.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]

    first = runner.invoke(app, ["export", str(target), "--overwrite", "--db", str(three_days)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["export", str(target), "--overwrite", "--format", "csv", "--db", str(three_days)])
    assert again.exit_code == 0, again.output
    assert not list(target.rglob("*.parquet"))  # replaced, not added to
    assert (target / "notes.txt").read_text() == "mine"
    assert exported_per_day(target / "comments", "read_csv") == per_day(three_days, "comments")

    bad = runner.invoke(app, ["export", str(tmp_path / "x"), "--format", "xml", "--db", str(three_days)])
    assert bad.exit_code == Exit.USAGE


@pytest.fixture(scope="module")
def seeded(prefect_engine, tmp_path_factory) -> Path:
    from flows.ingest import ingest

    db_path = tmp_path_factory.mktemp("shell") / "newsmon.sqlite"
    summary = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    assert summary.inputs_loaded == 2 and not summary.rejects
    return db_path


def newsmon(*args: str, stdin: str = "", home: Path) -> subprocess.CompletedProcess:
    """The installed `newsmon`, as a person runs it, with a home and Prefect home of its own."""
    environment = {**os.environ, "HOME": str(home), "PREFECT_HOME": str(home / ".prefect")}
    return subprocess.run(
        [str(NEWSMON), *args], input=stdin, capture_output=True, text=True, env=environment, timeout=120
    )


def test_shell_runs_sql_from_stdin_on_the_lake(seeded, tmp_path):
    done = newsmon(
        "shell",
        "--db",
        str(seeded),
        stdin="SELECT 'articles=' || count(*) FROM articles;\nSELECT 'comments=' || count(*) FROM lake.comments;\n",
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "articles=2" in done.stdout and "comments=42" in done.stdout


def test_shell_passes_arguments_after_the_double_dash_to_duckdb_and_is_read_only(seeded, tmp_path):
    done = newsmon(
        "shell", "--db", str(seeded), "--", "-csv", "-c", "SELECT count(*) AS n FROM articles", home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "2"]

    write = newsmon("shell", "--db", str(seeded), "--", "-c", "DELETE FROM articles", home=tmp_path)
    assert write.returncode != 0 and "read-only" in write.stdout + write.stderr
    assert rows(seeded, "SELECT count(*) FROM articles") == [(2,)]


def test_shell_without_a_warehouse_says_so(tmp_path):
    done = newsmon("shell", "--db", str(tmp_path / "none.sqlite"), home=tmp_path)
    assert done.returncode == Exit.USAGE and "error: no warehouse" in done.stderr
