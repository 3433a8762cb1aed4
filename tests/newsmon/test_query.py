"""Reading the warehouse: `newsmon sql`, `tables` and `describe` on a real lake in a temp dir,
and the result formats and schema-doc parser of newsmon/query_output.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from newsmon.cli import Exit, app
from newsmon.query_output import (
    OutputFormat,
    format_csv,
    format_json,
    format_jsonl,
    format_markdown,
    format_table,
    parse_schema_doc,
    render,
)
from tests.support.warehouse import rows as warehouse_rows
from warehouse import db

runner = CliRunner()

MARKUP = "[/button] and [bold]x[/bold]"  # Rich markup: one crashes, the other loses its brackets


@pytest.fixture
def lake(db_path):
    """A warehouse with every migration applied and one run whose error text looks like markup."""
    with db.writer(db_path) as con:
        con.execute(
            "INSERT INTO runs (run_id, flow_name, started_at, status, error) "
            "VALUES ('r1', 'ingest', now(), 'failed', ?)",
            [MARKUP],
        )
    return db_path


def sql(lake, *arguments, **kwargs):
    return runner.invoke(app, ["sql", *arguments, "--db", str(lake)], **kwargs)


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


# --- the formats, as pure functions -----------------------------------------------------

COLUMNS = ["text", "n", "seen", "tags", "missing"]
ROWS = [
    (MARKUP, 1, datetime(2025, 6, 1, 12, 30), ["a", "b"], None),
    ('says "hi", then | a pipe\nand a second line', Decimal("2.50"), datetime(2025, 6, 2), [], None),
]


def test_every_format_prints_cell_text_literally():
    for output_format in OutputFormat:
        assert "[/button] and [bold]x[/bold]" in render(output_format, COLUMNS, ROWS), output_format


def test_csv_quotes_what_it_must_and_leaves_null_empty():
    parsed = list(csv.reader(io.StringIO(format_csv(COLUMNS, ROWS))))
    assert parsed[0] == COLUMNS
    assert parsed[1] == [MARKUP, "1", "2025-06-01 12:30:00", "[a, b]", ""]
    assert parsed[2][0] == 'says "hi", then | a pipe\nand a second line' and parsed[2][1] == "2.50"


def test_json_and_jsonl_hold_the_same_objects():
    objects = json.loads(format_json(COLUMNS, ROWS))
    assert objects == [json.loads(line) for line in format_jsonl(COLUMNS, ROWS).splitlines()]
    assert objects[0] == {"text": MARKUP, "n": 1, "seen": "2025-06-01T12:30:00", "tags": ["a", "b"], "missing": None}
    assert objects[1]["n"] == "2.50"
    assert json.loads(format_json(COLUMNS, [])) == [] and format_jsonl(COLUMNS, []) == ""
    assert json.loads(format_json(["a", "a"], [(1, 2)])) == [{"a": 1, "a_1": 2}]  # keys must differ


def test_markdown_escapes_pipes_and_line_breaks():
    lines = format_markdown(COLUMNS, ROWS).splitlines()
    assert lines[0] == "| text | n | seen | tags | missing |" and lines[1] == "|---|---|---|---|---|"
    assert lines[3].startswith('| says "hi", then \\| a pipe<br>and a second line | 2.50 |')
    assert lines[2].endswith("| NULL |") and len(lines) == 4


def test_the_table_shows_control_characters_and_says_what_it_left_out():
    text = format_table(["a"], [("red\x1b[31m\tend",), ("x\ty",)], more_rows=7)
    assert "red\\x1b[31m end" in text and "\x1b" not in text  # tabs stop every 4 columns
    assert "│ x   y " in text
    assert text.endswith("7 more rows not shown (--max-rows)\n")
    wrapped = format_table(["a"], [("word " * 40,)], width=40)
    assert max(len(line) for line in wrapped.splitlines()) <= 40


# --- docs/schema.md ---------------------------------------------------------------------

SCHEMA_DOC = """# Warehouse schema

## Tables

### `articles` — one row per distinct article
Some prose about `articles` that names no column.

| column | type | meaning |
|---|---|---|
| `article_id` | VARCHAR PK | stable id: a `hash` |
| `first_seen_at`, `last_seen_at` | TIMESTAMP | first / latest run time |
| `odd` | VARCHAR | a \\| pipe |

### `sightings` — every input that carried an article
| column | type | meaning |
|---|---|---|
| `first_seen_at`, `first_run_id` | | as in `articles` |

### Near-duplicate index
- `article_minhash(article_id PK, signature UINTEGER[128])`: MinHash signature
  of the article text.

### `schema_migrations`
`version`, `checksum` (sha256 of the file), `applied_at`.

## Views

| view | one row per | columns |
|---|---|---|
| `comment_threads` | comment | `root_id` (its top-level comment), `path`, author |
"""


def test_the_schema_doc_is_read_column_by_column():
    docs = parse_schema_doc(SCHEMA_DOC)
    assert set(docs) == {"articles", "sightings", "article_minhash", "schema_migrations", "comment_threads"}
    articles = docs["articles"]
    assert articles.summary == "one row per distinct article"
    assert articles.columns == {
        "article_id": "stable id: a hash",
        "first_seen_at": "first / latest run time",
        "last_seen_at": "first / latest run time",
        "odd": "a | pipe",
    }
    # "as in `articles`" borrows that table's meaning of the same column, if it has one
    assert docs["sightings"].columns == {"first_seen_at": "first / latest run time", "first_run_id": "as in articles"}
    assert docs["article_minhash"].summary == "MinHash signature of the article text."
    assert docs["schema_migrations"].columns == {"version": "", "checksum": "sha256 of the file", "applied_at": ""}
    threads = docs["comment_threads"]
    assert threads.summary.startswith("one row per comment")
    assert threads.columns == {"root_id": "its top-level comment", "path": ""}


def test_describe_gives_types_from_the_lake_and_meanings_from_docs_schema_md(lake):
    result = runner.invoke(app, ["describe", "articles", "--format", "csv", "--db", str(lake)])
    assert result.exit_code == 0, result.output
    described = {row["column"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert described["word_count"]["type"] == "INTEGER"
    assert described["word_count"]["meaning"] == "whitespace-separated words of text"
    assert described["url"]["meaning"].startswith("canonical URL")
    assert all(row["meaning"] for row in described.values()), "every column of articles is documented"
    view = runner.invoke(app, ["describe", "ARTICLE_OVERVIEW", "--db", str(lake)])
    assert view.exit_code == 0 and "article_overview (view): one row per article" in view.output


def test_describe_an_unknown_table_is_one_error_line(lake):
    result = runner.invoke(app, ["describe", "artciles", "--db", str(lake)])
    assert result.exit_code == Exit.USAGE
    assert error_lines(result.output) == ["error: no table or view named 'artciles'; `newsmon tables` lists them"]


def test_tables_lists_tables_and_views_with_row_counts(lake):
    result = runner.invoke(app, ["tables", "--format", "csv", "--db", str(lake)])
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert listed["runs"] == {"name": "runs", "kind": "table", "rows": "1"}
    assert listed["articles"]["rows"] == "0"
    assert listed["article_overview"] == {"name": "article_overview", "kind": "view", "rows": ""}
    assert {"comments", "sightings", "rejects", "fetches", "urls", "edited_articles"} <= set(listed)
    table = runner.invoke(app, ["tables", "--db", str(lake)])
    assert table.exit_code == 0 and len([line for line in table.output.splitlines() if "│" in line]) == len(listed)


# --- newsmon sql ------------------------------------------------------------------------


def test_sql_prints_cell_text_as_stored(lake):
    result = sql(lake, "SELECT error FROM runs")
    assert result.exit_code == 0, result.output
    assert MARKUP in result.output
    literal = sql(lake, "SELECT '[/button]' AS a")
    assert literal.exit_code == 0 and "[/button]" in literal.output


@pytest.mark.parametrize("before", [True, False], ids=["options first", "options last"])
def test_sql_may_start_with_a_comment_line(lake, before):
    query = "-- runs, newest first\nSELECT run_id, status FROM runs ORDER BY started_at DESC"
    arguments = ["sql", "--db", str(lake), "--format", "csv", query] if before else ["sql", query, "-f", "csv"]
    result = runner.invoke(app, arguments if before else [*arguments, "--db", str(lake)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "run_id,status\nr1,failed\n"


def test_sql_reads_a_file_or_standard_input(lake, tmp_path):
    query = tmp_path / "failed runs.sql"
    query.write_text("-- failed runs\nSELECT run_id FROM runs WHERE status = 'failed';\n")
    assert sql(lake, str(query), "-f", "csv").stdout == "run_id\nr1\n"
    assert sql(lake, "-", "-f", "csv", input=query.read_text()).stdout == "run_id\nr1\n"
    missing = sql(lake, str(tmp_path / "nope.sql"))
    assert missing.exit_code == Exit.USAGE and len(error_lines(missing.output)) == 1
    assert "nope.sql" in missing.output


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT * FROM runs) TO '{out}'",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'",
        "INSERT INTO runs (run_id, flow_name, started_at, status) VALUES ('x', 'ingest', now(), 'running')",
        "DELETE FROM runs",
        "CREATE TABLE t AS SELECT 1",
        "ATTACH '{out}' AS other",
        "SET threads = 1",
        "PRAGMA threads = 1",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CALL checkpoint()",
        "SELECT 1; DELETE FROM runs",
    ],
)
def test_sql_refuses_anything_but_reading_before_running_anything(lake, tmp_path, statement):
    out = tmp_path / "out.csv"
    result = sql(lake, statement.format(out=out))
    assert result.exit_code == Exit.USAGE
    errors = error_lines(result.output)
    assert len(errors) == 1 and "read-only" in errors[0] and "nothing was run" in errors[0]
    assert result.stdout == ""  # not even the SELECT before the DELETE
    assert not out.exists()
    assert warehouse_rows(lake, "SELECT run_id FROM runs") == [("r1",)]


def test_sql_runs_every_kind_of_reading_statement(lake):
    for statement in [
        "WITH r AS (SELECT * FROM runs) SELECT count(*) FROM r",
        "FROM runs",
        "VALUES (1, 'a')",
        "SHOW TABLES",
        "DESCRIBE runs",
        "SUMMARIZE runs",
        "EXPLAIN SELECT * FROM runs",
        "PRAGMA table_info('runs')",
        "PIVOT (FROM (VALUES ('a', 1), ('b', 2)) t(k, n)) ON k USING sum(n)",
    ]:
        result = sql(lake, statement)
        assert result.exit_code == 0, (statement, result.output)


def test_sql_errors_are_one_line(lake):
    for statement in ["SELEC 1", "SELECT * FROM nowhere", "SELECT 1; SELECT * FROM nowhere", "-- only a comment"]:
        result = sql(lake, statement)
        assert result.exit_code == Exit.USAGE
        assert len(error_lines(result.output)) == 1 and len(result.output.strip().splitlines()) == 1, result.output


def test_the_table_stops_at_1000_rows_unless_told_otherwise(lake):
    table = sql(lake, "SELECT * FROM range(1005)")
    assert table.exit_code == 0 and table.output.rstrip().endswith("5 more rows not shown (--max-rows)")
    assert " 999 │" in table.output and "1000" not in table.output
    everything = sql(lake, "SELECT * FROM range(1005)", "--max-rows", "0")
    assert "1004" in everything.output and "not shown" not in everything.output
    csv_all = sql(lake, "SELECT * FROM range(1005)", "-f", "csv")
    assert len(csv_all.stdout.splitlines()) == 1006 and csv_all.stderr == ""
    csv_two = sql(lake, "SELECT * FROM range(1005)", "-f", "csv", "--max-rows", "2")
    assert csv_two.stdout == "range\n0\n1\n" and "1003 more rows not shown" in csv_two.stderr


def test_several_statements_print_each_result_in_table_and_markdown_only(lake):
    both = sql(lake, "-- first\nSELECT 1 AS one;\n-- second\nSELECT 2 AS two;", "-f", "markdown")
    assert both.exit_code == 0 and both.stdout == "| one |\n|---|\n| 1 |\n\n| two |\n|---|\n| 2 |\n"
    refused = sql(lake, "SELECT 1; SELECT 2", "-f", "json")
    assert refused.exit_code == Exit.USAGE and refused.stdout == ""
    assert "one result" in error_lines(refused.output)[0]


def test_sql_writes_a_file_with_output(lake, tmp_path):
    out = tmp_path / "runs.jsonl"
    result = sql(lake, "SELECT run_id, error FROM runs", "-f", "jsonl", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == "" and "1 row written" in result.stderr
    assert json.loads(out.read_text()) == {"run_id": "r1", "error": MARKUP}
