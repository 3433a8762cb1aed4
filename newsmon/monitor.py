"""`newsmon monitor`: one monitor run now, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newsmon.app import DbOption, app, catalog_spec, quiet_prefect_defaults
from newsmon.run_summary import print_summary
from newsmon.server import use_background_server


@app.command()
def monitor(
    watchlist: Annotated[Path, typer.Option(help="the watchlist file")] = Path("deploy/watchlist.toml"),
    db_path: DbOption = None,
    max_urls: Annotated[int | None, typer.Option(help="fetches in this run")] = None,
    max_minutes: Annotated[float, typer.Option(help="stop starting new fetch rounds after this long")] = 10,
    allow_private_hosts: Annotated[bool, typer.Option("--allow-private-hosts")] = False,
) -> None:
    """One monitor run now: poll due sources, fetch new and due articles, print a summary."""
    quiet_prefect_defaults()
    use_background_server()  # before prefect is imported: it reads PREFECT_API_URL then
    from flows.monitor import monitor as monitor_flow

    summary = monitor_flow(
        watchlist=str(watchlist),
        db_path=str(catalog_spec(db_path)),
        max_urls=max_urls,
        max_minutes=max_minutes,
        allow_private_hosts=True if allow_private_hosts else None,
    )
    print_summary(summary, "newsmon monitor")
