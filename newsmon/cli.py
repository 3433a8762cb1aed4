"""`newsmon`: the front door. Library errors become one clear line and an exit code here."""
from __future__ import annotations

import os
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from newsmon.settings import Settings
from warehouse import db
from warehouse.checks import run_checks
from warehouse.publish import snapshot_path
from warehouse.run_lock import RunInProgress

app = typer.Typer(help="newsmon: news pages and their reader comments, into DuckDB.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


class Exit(IntEnum):
    OK = 0
    SOME_REJECTED = 1
    USAGE = 2  # typer's own code for bad arguments
    ALL_REJECTED = 3
    FAILED = 4  # the run could not happen: database busy, run in progress, checks failed


DbOption = Annotated[Optional[Path], typer.Option("--db", help="DuckDB file (default: data/newsmon.duckdb)")]


LiveOption = Annotated[
    bool, typer.Option("--live", help="read the working file instead of the last published snapshot")
]


def _db_path(given: Path | None) -> Path:
    return given or Settings().db_path


def _analyst_db_path(given: Path | None, live: bool) -> Path:
    """The published snapshot (never locked by a run) unless --live or none was published yet."""
    working = _db_path(given)
    snapshot = snapshot_path(working)
    return snapshot if not live and snapshot.exists() else working


def _quiet_prefect_defaults() -> None:
    # Telemetry from the temporary server fills logs with errors that look like failures.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@app.command()
def ingest(
    inputs: Annotated[
        Optional[list[str]],
        typer.Argument(help="files, directories, URLs (articles, feeds, sitemaps) or URL-list files; default: seeds/"),
    ] = None,
    db_path: DbOption = None,
    allow_private_hosts: Annotated[
        bool,
        typer.Option("--allow-private-hosts", help="fetch loopback/private addresses (tests, intranet sources); "
                     "also NEWSMON_ALLOW_PRIVATE_HOSTS=1"),
    ] = False,
) -> None:
    """Ingest seed dumps, saved HTML pages and URLs into the warehouse and print a summary."""
    _quiet_prefect_defaults()
    from flows.ingest import (
        ingest as ingest_flow,  # importing prefect is slow: only here
    )

    try:
        summary = ingest_flow(
            paths=inputs or None,
            db_path=str(_db_path(db_path)),
            allow_private_hosts=True if allow_private_hosts else None,  # None: the setting decides
        )
    except (RunInProgress, db.WarehouseError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(Exit.FAILED) from None

    table = Table(title=f"newsmon ingest → {summary.db_path}", caption=f"run {summary.run_id}, {summary.seconds:.1f} s")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in summary.rows():
        table.add_row(name, str(value))
    console.print(table)
    if summary.rejects:
        rejects = Table(title="rejected inputs")
        for column in ("input", "stage", "reason", "detail"):
            rejects.add_column(column, overflow="fold")
        for r in summary.rejects:
            rejects.add_row(r.source, r.stage, r.reason, r.detail)
        console.print(rejects)
        all_rejected = summary.inputs_loaded == 0
        raise typer.Exit(Exit.ALL_REJECTED if all_rejected else Exit.SOME_REJECTED)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, read-only")],
    db_path: DbOption = None,
    live: LiveOption = False,
) -> None:
    """Run a query, read-only, on the snapshot of the last finished run, and print the result."""
    import duckdb

    try:
        with db.reader(_analyst_db_path(db_path, live)) as con:
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
    except db.WarehouseError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(Exit.FAILED) from None
    except duckdb.Error as exc:
        errors.print(f"[red]SQL error:[/red] {exc}")
        raise typer.Exit(Exit.FAILED) from None
    table = Table(*columns)
    for row in rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table)


@app.command()
def stats(db_path: DbOption = None, live: LiveOption = False) -> None:
    """Row counts of every table."""
    try:
        with db.reader(_analyst_db_path(db_path, live)) as con:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()]
            counts = [(t, con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables]
    except db.WarehouseError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(Exit.FAILED) from None
    table = Table("table", "rows")
    for name, count in counts:
        table.add_row(name, str(count))
    console.print(table)


@app.command()
def check(db_path: DbOption = None, live: LiveOption = False) -> None:
    """Run the data checks declared in warehouse/checks.toml (unique, not null, references)."""
    try:
        with db.reader(_analyst_db_path(db_path, live)) as con:
            results = run_checks(con)
    except db.WarehouseError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(Exit.FAILED) from None
    table = Table("table", "check", "failing rows", "result")
    for r in results:
        table.add_row(r.table, r.check, str(r.failing_rows), "[green]ok[/green]" if r.passed else "[red]FAIL[/red]")
    console.print(table)
    if not all(r.passed for r in results):
        raise typer.Exit(Exit.FAILED)
