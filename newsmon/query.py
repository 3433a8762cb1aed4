"""Commands that read the warehouse: `sql`, `tables`, `describe`, `stats`, `check`, `diff`."""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import duckdb
import typer
from rich.table import Table
from typer.core import TyperCommand

from extractors.errors import DatabaseBusy, StorageDamaged
from newsmon.app import DbOption, Exit, FormatOption, app, catalog_spec, console, errors, fail, table_width, usage_error
from newsmon.query_output import OutputFormat, parse_schema_doc, render
from warehouse import db
from warehouse.checks import run_checks
from warehouse.failures import storage_failure

TABLE_MAX_ROWS = 1000  # the table format's default --max-rows; the machine formats print every row

OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="write to this file instead of standard output")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="read the warehouse as it was: a DuckLake snapshot id, a run_id from `runs` (as that run left "
        "it), or a time (2025-06-01T12:00; UTC unless it carries a zone)",
    ),
]


def _as_of(catalog: str, as_of: str) -> dict[str, Any]:
    """db.reader's keyword for --as-of: a number is a snapshot id, an ISO time a moment, else a
    run_id. Each is checked against the lake first: what the lake does not have is a usage error."""
    text = as_of.strip()
    with db.reader(catalog) as con:
        snapshots = dict(con.execute(f"SELECT snapshot_id, snapshot_time FROM {db.LAKE}.snapshots()").fetchall())
        run = con.execute("SELECT snapshot_id FROM runs WHERE run_id = ?", [text]).fetchall()
    if text.isdigit():
        if int(text) not in snapshots:
            usage_error(f"--as-of {text}: the lake has no snapshot {text} (it has {_span(snapshots)})")
        return {"as_of_snapshot": int(text)}
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is not None:
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if snapshots and moment < min(snapshots.values()):
            usage_error(f"--as-of {text}: the lake's history starts at {min(snapshots.values()).isoformat()}")
        return {"as_of_time": moment}
    if not run:
        usage_error(f"--as-of {text!r} is no snapshot id, no time (2025-06-01T12:00) and no run_id in `runs`")
    if run[0][0] is None:
        usage_error(f"run {text} recorded no snapshot (it committed nothing, or is still running)")
    if run[0][0] not in snapshots:
        usage_error(f"run {text} left snapshot {run[0][0]}, expired since (the lake has {_span(snapshots)})")
    return {"as_of_snapshot": run[0][0]}


def _span(snapshots: dict[int, Any]) -> str:
    return f"snapshots {min(snapshots)} to {max(snapshots)}" if snapshots else "no snapshots"


@contextmanager
def _reader(db_path: Path | None, as_of: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The live warehouse, read-only; with --as-of, the warehouse as it was then."""
    catalog = catalog_spec(db_path)
    with db.reader(catalog, **(_as_of(catalog, as_of) if as_of else {})) as con:
        yield con


def _one_line(exc: Exception) -> str:
    """DuckDB's message without the quoted query and caret it adds after a blank line."""
    return " ".join(str(exc).strip().split("\n\n")[0].split())


# Errors of a query that are not the SQL's: the machine, the storage, DuckDB itself.
_NOT_THE_SQL = (
    duckdb.IOException,
    duckdb.OutOfMemoryException,
    duckdb.InternalException,
    duckdb.FatalException,
    duckdb.TransactionException,
    duckdb.InterruptException,
)


def _query_failed(exc: duckdb.Error, where: str) -> NoReturn:
    """An analyst's SQL that DuckDB refused (syntax, an unknown table or column, a bad cast) is
    a usage error; a lake that could not be read (busy, damaged, I/O) stops the command, exit 4."""
    storage = storage_failure(exc, "the query could not read the lake")
    if isinstance(storage, (DatabaseBusy, StorageDamaged)):
        raise storage from exc
    if isinstance(exc, _NOT_THE_SQL):
        fail(f"{where}{_one_line(exc)}")
    usage_error(f"{where}{_one_line(exc)}")


def _emit(text: str, output: Path | None, rows: int) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:  # a full disk is the machine's; a missing directory or no permission the path's
        report = fail if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO) else usage_error
        report(f"cannot write {output}: {exc.strerror or exc}")
    errors.print(f"{rows} row{'s' if rows != 1 else ''} written to {output}", markup=False, highlight=False)


class _SqlCommand(TyperCommand):
    """SQL pasted from the README starts with a `-- comment` line, which click would take for an
    option. An option's name holds no whitespace, so an argument starting with `--` whose part
    before any `=` does is SQL: it is moved after `--`, where click reads only arguments."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if "--" not in args:
            sql_like = [a for a in args if a.startswith("--") and any(c.isspace() for c in a.split("=", 1)[0])]
            if sql_like:
                args = [a for a in args if a not in sql_like] + ["--", *sql_like]
        return super().parse_args(ctx, args)


def _sql_text(argument: str) -> str:
    """`-`: standard input; an argument ending in .sql: that file (if it holds a space, only when
    the file exists: `SELECT t.sql` stays SQL); anything else: SQL."""
    if argument == "-":
        return sys.stdin.read()
    path = Path(argument)
    if argument.lower().endswith(".sql") and (path.is_file() or not any(c.isspace() for c in argument)):
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            usage_error(f"cannot read the SQL file {argument}: {getattr(exc, 'strerror', None) or exc}")
    return argument


_EXPLAIN = re.compile(r"\bEXPLAIN\s+(?:\([^)]*\)\s*)?(?:ANALY[SZ]E\s+)?", re.IGNORECASE)


def _reads(parser: duckdb.DuckDBPyConnection, statement: Any) -> bool:
    """Whether DuckDB's parser says the statement only reads. EXPLAIN counts if what it explains
    reads; a CREATE without text of its own is the temporary ENUM a PIVOT without IN (…) makes."""
    if statement.type == duckdb.StatementType.SELECT:
        return True
    if statement.type == duckdb.StatementType.CREATE:
        return not statement.query.strip()
    if statement.type == duckdb.StatementType.EXPLAIN:
        explained = _EXPLAIN.search(statement.query)
        try:
            inner = parser.extract_statements(statement.query[explained.end() :]) if explained else []
        except duckdb.Error:
            return False
        return bool(inner) and all(_reads(parser, s) for s in inner)
    return False


def _reading_statements(text: str) -> list[Any]:
    """The statements of `text`, all of them reads, or one `error:` line before anything runs."""
    parser = duckdb.connect()  # in memory: refusing needs no warehouse
    try:
        statements = parser.extract_statements(text)
        if not statements:
            usage_error("no SQL statement given")
        for number, statement in enumerate(statements, 1):
            if not _reads(parser, statement):
                where = f"statement {number} of {len(statements)}" if len(statements) > 1 else "the statement"
                usage_error(
                    f"newsmon sql is read-only: {where} is {statement.type.name}, nothing was run "
                    "(SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, PIVOT and EXPLAIN are)"
                )
    except duckdb.Error as exc:
        usage_error(_one_line(exc))
    finally:
        parser.close()
    return statements


def _fetch(con: duckdb.DuckDBPyConnection, limit: int) -> tuple[list[str], list[tuple], int]:
    """Columns, the first `limit` rows (0: all) and how many more there were."""
    columns = [d[0] for d in con.description or []]
    if not limit:
        return columns, con.fetchall(), 0
    rows = con.fetchmany(limit)
    more = 0
    while chunk := con.fetchmany(10_000):
        more += len(chunk)
    return columns, rows, more


@app.command(cls=_SqlCommand)
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="the SQL (it may start with -- comment lines); a file if it ends in .sql; - reads standard input",
            show_default=False,
        ),
    ],
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            min=0,
            help=f"rows printed per result, 0 for all (default: {TABLE_MAX_ROWS} for table, all for the rest)",
        ),
    ] = None,
    as_of: AsOfOption = None,
    db_path: DbOption = None,
) -> None:
    """Run reading SQL on the live warehouse and print the result; cell text is printed as stored.

    Only reading statements run (SELECT, WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE, PIVOT,
    EXPLAIN); anything else (INSERT, COPY … TO, CREATE, ATTACH, SET, INSTALL, …) is refused
    before any statement runs. Several statements separated by `;` run in order and each result
    is printed in turn (table and markdown); csv, json and jsonl take one statement.
    """
    statements = _reading_statements(_sql_text(query))
    shown = [s for s in statements if s.type != duckdb.StatementType.CREATE]  # PIVOT's ENUM: no result
    if len(shown) > 1 and not output_format.for_people:
        usage_error(f"--format {output_format.value} writes one result: give one statement, not {len(shown)}")
    limit = max_rows if max_rows is not None else (TABLE_MAX_ROWS if output_format is OutputFormat.table else 0)
    width = table_width(output_format, output)
    parts, total = [], 0
    with _reader(db_path, as_of) as con:
        for number, statement in enumerate(statements, 1):
            try:
                con.execute(statement)
                if statement not in shown:
                    continue
                columns, rows, more = _fetch(con, limit)
            except duckdb.Error as exc:
                _query_failed(exc, f"statement {number}: " if len(statements) > 1 else "")
            parts.append(render(output_format, columns, rows, width=width, more_rows=more))
            total += len(rows)
            if more and output_format is not OutputFormat.table:
                errors.print(f"{more} more rows not shown (--max-rows)", markup=False, highlight=False)
    _emit("\n".join(parts), output, total)


def _relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, 'table' or 'view') of everything a query reaches by its bare name."""
    return con.execute(
        """SELECT table_name, 'table' FROM duckdb_tables()
           WHERE in_search_path(database_name, schema_name) AND NOT internal
           UNION
           SELECT view_name, 'view' FROM duckdb_views()
           WHERE in_search_path(database_name, schema_name) AND NOT internal
           ORDER BY 1"""
    ).fetchall()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@app.command()
def tables(
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    as_of: AsOfOption = None,
    db_path: DbOption = None,
) -> None:
    """Every table and view, one line each, with the row count of each table."""
    with _reader(db_path, as_of) as con:
        rows = [(name, kind, _count(con, name) if kind == "table" else None) for name, kind in _relations(con)]
    width = table_width(output_format, output)
    _emit(render(output_format, ["name", "kind", "rows"], rows, width=width, null=""), output, len(rows))


SCHEMA_DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


@app.command()
def describe(
    name: Annotated[str, typer.Argument(help="a table or view (`newsmon tables` lists them)", show_default=False)],
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    as_of: AsOfOption = None,
    db_path: DbOption = None,
) -> None:
    """Columns and types of a table or view, with each column's meaning from docs/schema.md."""
    with _reader(db_path, as_of) as con:
        found = [(n, kind) for n, kind in _relations(con) if n.lower() == name.lower()]
        if not found:
            usage_error(f"no table or view named {name!r}; `newsmon tables` lists them")
        relation, kind = found[0]
        columns = con.execute(f"DESCRIBE {_quoted(relation)}").fetchall()
    docs = parse_schema_doc(SCHEMA_DOC.read_text(encoding="utf-8")) if SCHEMA_DOC.is_file() else {}
    doc = docs.get(relation)
    described = doc.columns if doc else {}
    rows = [(column, column_type, described.get(column, "")) for column, column_type, *_ in columns]
    title = f"{relation} ({kind})" + (f": {doc.summary}" if doc and doc.summary else "")
    width = table_width(output_format, output)
    _emit(render(output_format, ["column", "type", "meaning"], rows, width=width, title=title), output, len(rows))


@app.command()
def stats(as_of: AsOfOption = None, db_path: DbOption = None) -> None:
    """Row counts of every table."""
    with _reader(db_path, as_of) as con:
        counts = [(name, _count(con, name)) for name, kind in _relations(con) if kind == "table"]
    table = Table("table", "rows")
    for name, count in counts:
        table.add_row(name, str(count))
    console.print(table)


@app.command()
def check(as_of: AsOfOption = None, db_path: DbOption = None) -> None:
    """Check the lake's files are whole, then run the data checks declared in
    warehouse/checks.toml (unique, not null, references)."""
    from warehouse.integrity import verify_lake

    with _reader(db_path, as_of) as con:
        files = verify_lake(con)  # a damaged file: one `error:` line, exit 4
        results = run_checks(con)
    console.print(f"{files} data files whole (sizes and Parquet footers as the catalog recorded them)")
    table = Table("table", "check", "failing rows", "result")
    for r in results:
        table.add_row(r.table, r.check, str(r.failing_rows), "[green]ok[/green]" if r.passed else "[red]FAIL[/red]")
    console.print(table)
    if not all(r.passed for r in results):
        raise typer.Exit(Exit.FAILED)


@app.command()
def diff(
    article_id: Annotated[str, typer.Argument(help="an article_id (see the edited_articles view)")],
    from_revision: Annotated[
        int | None, typer.Option("--from", help="older revision (default: the one before --to)")
    ] = None,
    to_revision: Annotated[int | None, typer.Option("--to", help="newer revision (default: the latest)")] = None,
    db_path: DbOption = None,
) -> None:
    """Print a readable diff between two revisions of an article's text."""
    from warehouse.revisions import readable_diff

    with db.reader(catalog_spec(db_path)) as con:
        revisions = {
            revision: (title, text, seen_at)
            for revision, title, text, seen_at in con.execute(
                "SELECT revision, title, text, seen_at FROM article_revisions WHERE article_id = ?", [article_id]
            ).fetchall()
        }
    if not revisions:
        usage_error(f"no article {article_id!r} (the edited_articles view lists articles with revisions)")
    newer = to_revision or max(revisions)
    older = from_revision or newer - 1
    if older not in revisions or newer not in revisions:
        usage_error(f"article {article_id} has revisions {sorted(revisions)}; asked for {older} and {newer}")
    (old_title, old_text, old_seen), (new_title, new_text, new_seen) = revisions[older], revisions[newer]
    # Plain lines, never re-wrapped to the terminal: every line keeps its diff prefix.
    if old_title != new_title:
        typer.echo(f"title: {old_title!r} → {new_title!r}")
    text = readable_diff(
        old_text,
        new_text,
        f"revision {older} ({old_seen:%Y-%m-%d %H:%M} UTC)",
        f"revision {newer} ({new_seen:%Y-%m-%d %H:%M} UTC)",
    )
    typer.echo(text or "(texts are identical)")
