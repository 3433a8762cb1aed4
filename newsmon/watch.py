"""`newsmon watch add|list|remove`: edit the watchlist the monitor flow polls, and see where
each of its sources stands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractors.errors import WatchlistError
from newsmon.app import DbOption, FormatOption, app, catalog_spec, console, fail, table_width, usage_error
from newsmon.query_output import OutputFormat, render

watch_app = typer.Typer(help="Edit the watchlist (deploy/watchlist.toml) the monitor flow polls.", no_args_is_help=True)
app.add_typer(watch_app, name="watch")
WatchlistOption = Annotated[Path, typer.Option("--watchlist", help="the watchlist file")]

LIST_COLUMNS = (
    "name",
    "kind",
    "url",
    "interval_min",  # adaptive: where the share of items already seen has moved it
    "start_interval_min",  # the watchlist's
    "last_fetched_at",
    "last_outcome",
    "last_error",
    "consecutive_failures",
    "next_poll_at",
    "why",
    "tags",
    "max_new_articles",
)


@watch_app.command("add")
def watch_add(
    name: str,
    url: str,
    kind: Annotated[str, typer.Option(help="feed, sitemap or section")] = "feed",
    interval: Annotated[float, typer.Option(help="minutes between polls, where adaptive polling starts")] = 15,
    tag: Annotated[list[str] | None, typer.Option(help="a topic tag (repeat for more)")] = None,
    max_new: Annotated[int | None, typer.Option(help="new article links followed per poll")] = None,
    watchlist: WatchlistOption = Path("deploy/watchlist.toml"),
) -> None:
    """Add a source."""
    from flows.watchlist import add_source, load_watchlist, validated_source

    entry = {"name": name, "kind": kind, "url": url, "poll_interval_min": interval, "tags": tag or []}
    try:
        source = validated_source(entry | ({"max_new_articles": max_new} if max_new is not None else {}), "new source")
    except WatchlistError as error:
        usage_error(str(error))
    # a broken watchlist file is no usage error: its WatchlistError ends the command with exit 4
    if watchlist.exists() and any(s.name == name for s in load_watchlist(watchlist)):
        usage_error(f"{watchlist}: a source named {name!r} already exists")
    add_source(watchlist, source)
    console.print(f"added {source.name} ({source.kind}) {source.url}", markup=False)


@watch_app.command("list")
def watch_list(
    watchlist: WatchlistOption = Path("deploy/watchlist.toml"),
    output_format: FormatOption = OutputFormat.table,
    db_path: DbOption = None,
) -> None:
    """List the sources, each with its poll interval now, its last poll and why, and its next
    poll (from the warehouse; a source no monitor run has synced yet shows as never polled)."""
    from flows.watchlist import load_watchlist
    from warehouse import db
    from warehouse.polls import has_polls, poll_status

    sources = load_watchlist(watchlist)
    catalog = catalog_spec(db_path)
    status = {}
    if db.catalog_of(catalog).exists():
        with db.reader(catalog) as con:
            if not has_polls(con):
                fail(f"the warehouse {catalog} predates adaptive polling: one `newsmon monitor` run upgrades it")
            status = poll_status(con, [s.url for s in sources])
    rows = []
    for s in sources:
        state = status.get(s.url)
        polled = state is not None and state.last_fetched_at is not None
        rows.append(
            (
                s.name,
                s.kind,
                s.url,
                state.interval_min if state and state.interval_min is not None else s.poll_interval_min,
                s.poll_interval_min,
                state.last_fetched_at if polled else None,
                (state.last_outcome or "polled") if polled else "never polled",
                state.last_error if polled else None,
                state.consecutive_failures if state else 0,
                state.next_poll_at if state else None,
                state.last_reason if polled else None,
                list(s.tags),
                s.max_new_articles,
            )
        )
    # in a pipe or a file the table is as wide as its widest cell: a URL is never cut
    typer.echo(render(output_format, LIST_COLUMNS, rows, width=table_width(output_format, None), null=""), nl=False)


@watch_app.command("remove")
def watch_remove(name: str, watchlist: WatchlistOption = Path("deploy/watchlist.toml")) -> None:
    """Remove a source (its articles stay; the next monitor run marks it inactive)."""
    from flows.watchlist import remove_source

    remove_source(watchlist, name)
    console.print(f"removed {name}", markup=False)
