"""The command line's frame: the typer app, its consoles, exit codes and shared options.

Every error reaches the user as one `error:` line on stderr and an exit code (`_OneLineErrors`):

    0  all loaded                 2  usage: a bad argument or option, SQL that cannot run as
    1  some inputs rejected          written, an unknown id or table, a --db that is no catalog
    3  all inputs rejected        4  the command could not run: database busy, run in progress,
                                     damaged lake, full disk, failed checks, a bug

`--debug` (or NEWSMON_DEBUG=1) adds the traceback above that line.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from enum import IntEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import NoArgsIsHelpError  # typer 0.29 parses with its own copy of click
from typer.core import TyperGroup
from typer.exceptions import TyperException

from extractors.errors import ConfigError, DatabaseMissing, NewsmonError, RunInProgress
from flows.settings import Settings
from newsmon.query_output import OutputFormat
from warehouse.catalog_file import catalog_file_problem
from warehouse.db import catalog_of
from warehouse.run_lock import run_lock_holder

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error is one line, however long


class Exit(IntEnum):
    OK = 0
    SOME_REJECTED = 1
    USAGE = 2  # what was asked cannot be done as asked: arguments, SQL, ids, --db (click's code too)
    ALL_REJECTED = 3
    NOT_RUNNING = 3  # `server status`: the code LSB init scripts' `status` gives for "not running"
    FAILED = 4  # the command could not run: database busy, run in progress, damaged lake, checks failed


AllowPrivateHostsOption = Annotated[
    bool,
    typer.Option(
        "--allow-private-hosts",
        help="fetch loopback/private addresses (tests, intranet sources); also NEWSMON_ALLOW_PRIVATE_HOSTS=1",
    ),
]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="the lake's catalog: a SQLite file (default data/newsmon.sqlite)")
]


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _error_line(message: str) -> None:
    errors.print(f"[red]error:[/red] {escape(_one_line(message))}")  # a message may hold [brackets]: not markup


def fail(message: str) -> NoReturn:
    """The command could not run (the lake, the machine, a check): one line, exit 4."""
    _error_line(message)
    raise typer.Exit(Exit.FAILED)


def usage_error(message: str) -> NoReturn:
    """A mistake in what the user asked for (an argument, an id, SQL): one line, exit 2."""
    _error_line(message)
    raise typer.Exit(Exit.USAGE)


HELP_ORDER = (
    "ingest", "monitor", "serve", "server", "runs", "sql", "tables", "describe", "stats", "check", "diff",
    "search", "export", "shell", "extract", "watch",
)  # fmt: skip


def _debugging(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("NEWSMON_DEBUG", "") not in ("", "0")


class _OneLineErrors(TyperGroup):
    """The one place errors meet the user: a bad argument (click's usage errors, typer would draw
    a box of them), a NewsmonError, or a bug become one `error:` line on stderr and an exit code."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        """`newsmon --help` lists the commands by kind: running, reading, the lake, the watchlist."""
        known = super().list_commands(ctx)
        return [name for name in HELP_ORDER if name in known] + [name for name in known if name not in HELP_ORDER]

    def make_context(self, *args: Any, **extra: Any) -> typer.Context:
        try:
            return super().make_context(*args, **extra)
        except NoArgsIsHelpError:
            raise  # `newsmon` alone: the help
        except TyperException as exc:  # the global options, the command's name
            _usage_line(exc)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, NoArgsIsHelpError):
            raise
        except TyperException as exc:  # a command's arguments and options
            _usage_line(exc)
        except NewsmonError as exc:
            if _debugging(ctx):
                traceback.print_exc()
            # A reading command pointed at a lake that is not there: the user's path, not the lake's state.
            (usage_error if isinstance(exc, DatabaseMissing) else fail)(str(exc))
        except Exception as exc:  # a bug: one line, the traceback on request
            if _debugging(ctx):
                traceback.print_exc()
                fail(f"internal error: {type(exc).__name__}: {exc}")
            fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")


def _usage_line(exc: TyperException) -> NoReturn:
    command = getattr(getattr(exc, "ctx", None), "command_path", None) or "newsmon"
    usage_error(f"{exc.format_message()} (`{command} --help` shows the usage)")


app = typer.Typer(
    help="newsmon: news pages and their reader comments, into DuckDB.", no_args_is_help=True, cls=_OneLineErrors
)


def versions() -> str:
    """newsmon's version and those of the parts that decide what it extracts and stores, from
    the installed packages' metadata: nothing is imported."""

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    parts = ", ".join(f"{package} {version(package)}" for package in ("trafilatura", "duckdb", "prefect"))
    return f"newsmon {version('newsmon')}\n{parts}, python {platform.python_version()}\n"


def _show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(versions(), nl=False)
        raise typer.Exit(Exit.OK)


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an error (also NEWSMON_DEBUG=1)")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="versions of newsmon, trafilatura, duckdb, prefect"
        ),
    ] = False,
) -> None:
    pass  # the options act through their callbacks and ctx.params (`_debugging`)


def settings() -> Settings:
    """The settings, or one line naming the NEWSMON_* value to fix."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid NEWSMON_* setting: {problems}") from None


def catalog_spec(given: Path | None) -> str:
    """The lake's catalog: --db, else NEWSMON_CATALOG, else data/newsmon.sqlite.

    Checked before anything opens it, so that a wrong --db is a usage error and nothing is
    written beside it: an existing path must be a DuckLake SQLite catalog; a new one (a run
    creates it) must lie under a directory, however many levels of it are still to be made."""
    spec = str(given) if given else settings().catalog
    catalog = catalog_of(spec)
    named = f"--db {given}" if given else f"the catalog {spec} (NEWSMON_CATALOG)"
    if catalog.kind == "postgres":
        if not catalog.location.strip():
            usage_error(f"{named}: postgres: needs a libpq connection string (postgres:dbname=news host=…)")
        return spec
    path = Path(catalog.location)
    if path.exists():
        problem = catalog_file_problem(path)
        if problem:
            usage_error(f"{named} {problem}: not a lake catalog (a DuckLake SQLite file, such as data/newsmon.sqlite)")
    elif not _nearest_existing(path.parent).is_dir():
        usage_error(f"{named}: {_nearest_existing(path.parent)} is not a directory")
    return spec


def writable_catalog(given: Path | None) -> str:
    """catalog_spec for a command that writes (ingest, monitor), checked before Prefect starts:
    where it writes must be writable (usage error), and no other run may hold the lake's run
    lock (exit 4 at once, instead of after starting a flow)."""
    spec = catalog_spec(given)
    catalog = catalog_of(spec)
    if catalog.kind != "sqlite":
        return spec  # a PostgreSQL catalog takes many writers and no run lock
    path = Path(catalog.location)
    for needed in (path if path.exists() else None, _nearest_existing(path.parent)):
        if needed is not None and not os.access(needed, os.W_OK):
            usage_error(f"cannot write {needed} (the catalog {spec}, its run lock and lake/ live there)")
    holder = run_lock_holder(spec)
    if holder:
        raise RunInProgress(
            f"another newsmon run (pid {holder}) is writing {spec}; runs never overlap, "
            "so this one stops here: try again when it has finished"
        )
    return spec


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


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
