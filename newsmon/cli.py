"""`newsmon`: the front door. Library errors become one clear line and an exit code here."""

from __future__ import annotations

import os
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from extractors.errors import NewsmonError
from flows.settings import Settings
from warehouse import db
from warehouse.checks import run_checks
from warehouse.publish import snapshot_path

if TYPE_CHECKING:
    from flows.summary import RunSummary

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error is one line, however long


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


def fail(message: str) -> NoReturn:
    errors.print(f"[red]error:[/red] {escape(message)}")  # a message may hold [brackets]: not markup
    raise typer.Exit(Exit.FAILED)


class _OneLineErrors(TyperGroup):
    """The one place library errors meet the user: every NewsmonError (database busy, run in
    progress, bad watchlist, failed migration…) becomes one line on stderr and exit code 4."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsmonError as exc:
            fail(str(exc))


app = typer.Typer(
    help="newsmon: news pages and their reader comments, into DuckDB.", no_args_is_help=True, cls=_OneLineErrors
)


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
        typer.Option(
            "--allow-private-hosts",
            help="fetch loopback/private addresses (tests, intranet sources); also NEWSMON_ALLOW_PRIVATE_HOSTS=1",
        ),
    ] = False,
) -> None:
    """Ingest seed dumps, saved HTML pages and URLs into the warehouse and print a summary."""
    _quiet_prefect_defaults()
    from flows.ingest import (
        ingest as ingest_flow,  # importing prefect is slow: only here
    )

    summary = ingest_flow(
        paths=inputs or None,
        db_path=str(_db_path(db_path)),
        allow_private_hosts=True if allow_private_hosts else None,  # None: the setting decides
    )

    _print_summary(summary, "newsmon ingest")


def _print_summary(summary: RunSummary, title: str) -> None:
    table = Table(title=f"{title} → {summary.db_path}", caption=f"run {summary.run_id}, {summary.seconds:.1f} s")
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
        all_rejected = summary.inputs_seen > 0 and summary.inputs_loaded == 0
        raise typer.Exit(Exit.ALL_REJECTED if all_rejected else Exit.SOME_REJECTED)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, read-only")],
    db_path: DbOption = None,
    live: LiveOption = False,
) -> None:
    """Run a query, read-only, on the snapshot of the last finished run, and print the result."""
    import duckdb

    with db.reader(_analyst_db_path(db_path, live)) as con:
        try:
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as exc:  # the analyst's own SQL: their error, one line
            fail(str(exc))
    table = Table(*columns)
    for row in rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table)


@app.command()
def stats(db_path: DbOption = None, live: LiveOption = False) -> None:
    """Row counts of every table."""
    with db.reader(_analyst_db_path(db_path, live)) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        counts = [(t, con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables]
    table = Table("table", "rows")
    for name, count in counts:
        table.add_row(name, str(count))
    console.print(table)


@app.command()
def check(db_path: DbOption = None, live: LiveOption = False) -> None:
    """Run the data checks declared in warehouse/checks.toml (unique, not null, references)."""
    with db.reader(_analyst_db_path(db_path, live)) as con:
        results = run_checks(con)
    table = Table("table", "check", "failing rows", "result")
    for r in results:
        table.add_row(r.table, r.check, str(r.failing_rows), "[green]ok[/green]" if r.passed else "[red]FAIL[/red]")
    console.print(table)
    if not all(r.passed for r in results):
        raise typer.Exit(Exit.FAILED)


@app.command()
def monitor(
    watchlist: Annotated[Path, typer.Option(help="the watchlist file")] = Path("deploy/watchlist.toml"),
    db_path: DbOption = None,
    max_urls: Annotated[Optional[int], typer.Option(help="fetches in this run")] = None,
    max_minutes: Annotated[float, typer.Option(help="stop starting new fetch rounds after this long")] = 10,
    allow_private_hosts: Annotated[bool, typer.Option("--allow-private-hosts")] = False,
) -> None:
    """One monitor run now: poll due sources, fetch new and due articles, print a summary."""
    _quiet_prefect_defaults()
    from flows.monitor import monitor as monitor_flow

    summary = monitor_flow(
        watchlist=str(watchlist),
        db_path=str(_db_path(db_path)),
        max_urls=max_urls,
        max_minutes=max_minutes,
        allow_private_hosts=True if allow_private_hosts else None,
    )
    _print_summary(summary, "newsmon monitor")


@app.command()
def serve(
    port: Annotated[
        int, typer.Option(help="port of the local Prefect server started when PREFECT_API_URL is unset")
    ] = 4200,
) -> None:
    """Run the deployments of deploy/prefect.yaml on their schedules from this process (Ctrl-C stops)."""
    _quiet_prefect_defaults()
    from extractors.errors import ServiceError
    from newsmon.serve import prefect_api, read_deployments, serve_deployments

    specs = read_deployments()
    try:
        with prefect_api(port, Path("data/prefect-server.log")) as api_url:
            console.print(
                f"serving {', '.join(s.name for s in specs)} against {api_url} "
                f"(UI: {api_url.removesuffix('/api')}); Ctrl-C stops"
            )
            serve_deployments(specs)
    except ServiceError as exc:
        fail(f"{exc}; see data/prefect-server.log")


@app.command()
def diff(
    article_id: Annotated[str, typer.Argument(help="an article_id (see the edited_articles view)")],
    from_revision: Annotated[
        Optional[int], typer.Option("--from", help="older revision (default: the one before --to)")
    ] = None,
    to_revision: Annotated[Optional[int], typer.Option("--to", help="newer revision (default: the latest)")] = None,
    db_path: DbOption = None,
    live: LiveOption = False,
) -> None:
    """Print a readable diff between two revisions of an article's text."""
    from warehouse.revisions import readable_diff

    with db.reader(_analyst_db_path(db_path, live)) as con:
        revisions = {
            revision: (title, text, seen_at)
            for revision, title, text, seen_at in con.execute(
                "SELECT revision, title, text, seen_at FROM article_revisions WHERE article_id = ?", [article_id]
            ).fetchall()
        }
    if not revisions:
        fail(f"no article {article_id!r}")
    newer = to_revision or max(revisions)
    older = from_revision or newer - 1
    if older not in revisions or newer not in revisions:
        fail(f"article {article_id} has revisions {sorted(revisions)}; asked for {older} and {newer}")
    (old_title, old_text, old_seen), (new_title, new_text, new_seen) = revisions[older], revisions[newer]
    if old_title != new_title:
        console.print(f"title: {old_title!r} → {new_title!r}")
    text = readable_diff(
        old_text,
        new_text,
        f"revision {older} ({old_seen:%Y-%m-%d %H:%M} UTC)",
        f"revision {newer} ({new_seen:%Y-%m-%d %H:%M} UTC)",
    )
    console.print(text or "(texts are identical)", markup=False, highlight=False)


watch_app = typer.Typer(help="Edit the watchlist (deploy/watchlist.toml) the monitor flow polls.", no_args_is_help=True)
app.add_typer(watch_app, name="watch")
WatchlistOption = Annotated[Path, typer.Option("--watchlist", help="the watchlist file")]


@watch_app.command("add")
def watch_add(
    name: str,
    url: str,
    kind: Annotated[str, typer.Option(help="feed, sitemap or section")] = "feed",
    interval: Annotated[float, typer.Option(help="minutes between polls")] = 15,
    tag: Annotated[Optional[list[str]], typer.Option(help="a topic tag (repeat for more)")] = None,
    max_new: Annotated[Optional[int], typer.Option(help="new article links followed per poll")] = None,
    watchlist: WatchlistOption = Path("deploy/watchlist.toml"),
) -> None:
    """Add a source."""
    from flows.watchlist import add_source, validated_source

    source = validated_source(
        {
            "name": name,
            "kind": kind,
            "url": url,
            "poll_interval_min": interval,
            "tags": tag or [],
            **({"max_new_articles": max_new} if max_new else {}),
        },
        "new source",
    )
    add_source(watchlist, source)
    console.print(f"added {source.name} ({source.kind}) {source.url}")


@watch_app.command("list")
def watch_list(watchlist: WatchlistOption = Path("deploy/watchlist.toml")) -> None:
    """List the sources."""
    from flows.watchlist import load_watchlist

    sources = load_watchlist(watchlist)
    table = Table("name", "kind", "url", "every (min)", "tags", "max new")
    for s in sources:
        table.add_row(
            s.name,
            s.kind,
            s.url,
            f"{s.poll_interval_min:g}",
            ", ".join(s.tags),
            "" if s.max_new_articles is None else str(s.max_new_articles),
        )
    console.print(table)


@watch_app.command("remove")
def watch_remove(name: str, watchlist: WatchlistOption = Path("deploy/watchlist.toml")) -> None:
    """Remove a source (its articles stay; the next monitor run marks it inactive)."""
    from flows.watchlist import remove_source

    remove_source(watchlist, name)
    console.print(f"removed {name}")
