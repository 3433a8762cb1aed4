"""`newsmon monitor`: one monitor run now, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newsmon.app import (
    AllowPrivateHostsOption,
    DbOption,
    app,
    console,
    quiet_prefect_defaults,
    usage_error,
    writable_catalog,
)
from newsmon.progress_bar import progress_bar
from newsmon.run_summary import finished_summary, print_summary
from newsmon.server import use_background_server


@app.command()
def monitor(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="with --now: the sources (watchlist names) to poll now; none named: every source"),
    ] = None,
    now: Annotated[bool, typer.Option("--now", help="poll the sources now, whatever their next poll time")] = False,
    watchlist: Annotated[Path, typer.Option(help="the watchlist file")] = Path("deploy/watchlist.toml"),
    db_path: DbOption = None,
    max_urls: Annotated[int | None, typer.Option(help="fetches in this run")] = None,
    max_minutes: Annotated[float, typer.Option(help="stop starting new fetch rounds after this long")] = 10,
    allow_private_hosts: AllowPrivateHostsOption = False,
) -> None:
    """One monitor run now: poll due sources (with --now: those named, or all), fetch new and due
    articles, print a summary."""
    from extractors.errors import WatchlistError
    from flows.watchlist import load_watchlist, named_sources

    if sources and not now:
        usage_error(f"sources named ({', '.join(sources)}) without --now: `newsmon monitor --now {' '.join(sources)}`")
    catalog = writable_catalog(db_path)  # a wrong --db or a run in progress: one line, before Prefect starts
    if now:
        watched = load_watchlist(watchlist)  # a broken watchlist is no usage error: exit 4, as in the run
        try:
            named_sources(watched, sources or [])
        except WatchlistError as error:
            usage_error(str(error))
    quiet_prefect_defaults()
    use_background_server()  # before prefect is imported: it reads PREFECT_API_URL then
    from flows.monitor import monitor as monitor_flow

    with progress_bar(console):
        state = monitor_flow(
            watchlist=str(watchlist),
            db_path=catalog,
            max_urls=max_urls,
            max_minutes=max_minutes,
            allow_private_hosts=True if allow_private_hosts else None,
            poll_now=(sources or []) if now else None,
            return_state=True,  # a run whose every fetch failed ends Failed, its summary still printed
        )
    print_summary(finished_summary(state), "newsmon monitor")
