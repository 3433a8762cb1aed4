"""The command line's frame: the typer app, its consoles, exit codes and shared options.

Library errors become one clear line and an exit code here (`_OneLineErrors`)."""

from __future__ import annotations

import os
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from extractors.errors import NewsmonError
from flows.settings import Settings
from newsmon.query_output import OutputFormat

if TYPE_CHECKING:
    pass


console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error is one line, however long


class Exit(IntEnum):
    OK = 0
    SOME_REJECTED = 1
    USAGE = 2  # typer's own code for bad arguments
    ALL_REJECTED = 3
    NOT_RUNNING = 3  # `server status`: the code LSB init scripts' `status` gives for "not running"
    FAILED = 4  # the run could not happen: database busy, run in progress, checks failed


DbOption = Annotated[
    Path | None, typer.Option("--db", help="the lake's catalog: a SQLite file (default data/newsmon.sqlite)")
]


def fail(message: str) -> NoReturn:
    errors.print(f"[red]error:[/red] {escape(message)}")  # a message may hold [brackets]: not markup
    raise typer.Exit(Exit.FAILED)


def usage_error(message: str) -> NoReturn:
    """A mistake in what the user asked for (an argument, an id, SQL): one line, exit 2."""
    errors.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(Exit.USAGE)


HELP_ORDER = (
    "ingest", "monitor", "serve", "server", "sql", "tables", "describe", "stats", "check", "diff",
    "search", "export", "shell", "watch",
)  # fmt: skip


class _OneLineErrors(TyperGroup):
    """The one place library errors meet the user: every NewsmonError (database busy, run in
    progress, bad watchlist, failed migration…) becomes one line on stderr and exit code 4."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """`newsmon --help` lists the commands by kind: running, reading, the lake, the watchlist."""
        known = super().list_commands(ctx)
        return [name for name in HELP_ORDER if name in known] + [name for name in known if name not in HELP_ORDER]

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsmonError as exc:
            fail(str(exc))


app = typer.Typer(
    help="newsmon: news pages and their reader comments, into DuckDB.", no_args_is_help=True, cls=_OneLineErrors
)


def catalog_spec(given: Path | None) -> str:
    """The lake's catalog: --db, else NEWSMON_CATALOG, else data/newsmon.sqlite."""
    return str(given) if given else Settings().catalog


def quiet_prefect_defaults() -> None:
    # Telemetry from the temporary server fills logs with errors that look like failures.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, csv, json (an array), jsonl or markdown")
]


def table_width(output_format: OutputFormat, output: Path | None) -> int | None:
    """Wrap a table to the terminal it is shown on; into a file or a pipe, never."""
    if output_format is OutputFormat.table and output is None and sys.stdout.isatty():
        return console.width
    return None
