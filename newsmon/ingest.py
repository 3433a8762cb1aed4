"""`newsmon ingest`: files, directories and URLs into the warehouse.

It runs against the background Prefect server (newsmon/server.py), started
on the first run, unless PREFECT_API_URL is set or NEWSMON_PREFECT_SERVER=ephemeral."""

from __future__ import annotations

from typing import Annotated

import typer

from newsmon.app import DbOption, app, catalog_spec, quiet_prefect_defaults
from newsmon.run_summary import print_summary
from newsmon.server import use_background_server


@app.command()
def ingest(
    inputs: Annotated[
        list[str] | None,
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
    quiet_prefect_defaults()
    use_background_server()  # before prefect is imported: it reads PREFECT_API_URL then
    from flows.ingest import (
        ingest as ingest_flow,  # importing prefect is slow: only here
    )

    summary = ingest_flow(
        paths=inputs or None,
        db_path=str(catalog_spec(db_path)),
        allow_private_hosts=True if allow_private_hosts else None,  # None: the setting decides
        max_minutes=max_minutes,
        reread=reread,
    )

    print_summary(summary, "newsmon ingest")
