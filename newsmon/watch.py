"""`newsmon watch add|list|remove`: edit the watchlist the monitor flow polls."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    pass

from newsmon.app import app, console

watch_app = typer.Typer(help="Edit the watchlist (deploy/watchlist.toml) the monitor flow polls.", no_args_is_help=True)
app.add_typer(watch_app, name="watch")
WatchlistOption = Annotated[Path, typer.Option("--watchlist", help="the watchlist file")]


@watch_app.command("add")
def watch_add(
    name: str,
    url: str,
    kind: Annotated[str, typer.Option(help="feed, sitemap or section")] = "feed",
    interval: Annotated[float, typer.Option(help="minutes between polls")] = 15,
    tag: Annotated[list[str] | None, typer.Option(help="a topic tag (repeat for more)")] = None,
    max_new: Annotated[int | None, typer.Option(help="new article links followed per poll")] = None,
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


# --- search, export, and the lake in a DuckDB of one's own ---------------------------------
