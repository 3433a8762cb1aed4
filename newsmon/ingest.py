"""`newsmon ingest`: files, directories and URLs into the warehouse.

It runs against the background Prefect server (newsmon/server.py), started
on the first run, unless PREFECT_API_URL is set or NEWSMON_PREFECT_SERVER=ephemeral."""

from __future__ import annotations

from typing import Annotated

import typer

from newsmon.app import AllowPrivateHostsOption, DbOption, app, console, quiet_prefect_defaults, writable_catalog
from newsmon.progress_bar import progress_bar
from newsmon.run_summary import finished_summary, print_summary
from newsmon.server import use_background_server


@app.command()
def ingest(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="files, directories, URLs (articles, feeds, sitemaps) or URL-list files; default: seeds/"),
    ] = None,
    db_path: DbOption = None,
    allow_private_hosts: AllowPrivateHostsOption = False,
    max_minutes: Annotated[
        float | None,
        typer.Option(help="the run's time limit: URLs not fetched by then go back to the frontier, deferred"),
    ] = None,
    reread: Annotated[
        bool,
        typer.Option("--reread", help="read every file again, even those unchanged since these extractors read them"),
    ] = False,
) -> None:
    """Ingest seed dumps, saved HTML pages and URLs into the warehouse and print a summary."""
    catalog = writable_catalog(db_path)  # a wrong --db or a run in progress: one line, before Prefect starts
    quiet_prefect_defaults()
    use_background_server()  # before prefect is imported: it reads PREFECT_API_URL then
    from flows.ingest import (
        ingest as ingest_flow,  # importing prefect is slow: only here
    )

    with progress_bar(console):
        state = ingest_flow(
            paths=inputs or None,
            db_path=catalog,
            allow_private_hosts=True if allow_private_hosts else None,  # None: the setting decides
            max_minutes=max_minutes,
            reread=reread,
            return_state=True,  # a run whose every input was rejected ends Failed, its summary still printed
        )
    print_summary(finished_summary(state), "newsmon ingest")
