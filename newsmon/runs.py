"""Commands that run flows: `ingest`, `monitor`, `serve`.

`ingest` and `monitor` run against the background Prefect server (newsmon/server.py), started
on the first run, unless PREFECT_API_URL is set or NEWSMON_PREFECT_SERVER=ephemeral."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    from flows.summary import RunSummary

from newsmon.app import DbOption, Exit, app, catalog_spec, console, fail, quiet_prefect_defaults
from newsmon.server import background_mode, running_server_url, use_background_server


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

    _print_summary(summary, "newsmon ingest")


def _print_summary(summary: RunSummary, title: str) -> None:
    table = Table(title=f"{title} → {summary.db_path}", caption=f"run {summary.run_id}, {summary.seconds:.1f} s")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in summary.rows():
        table.add_row(name, str(value))
    console.print(table)
    if summary.urls_deferred:
        reasons = ", ".join(f"{reason} {count}" for reason, count in summary.urls_deferred.most_common())
        console.print(
            f"{summary.urls_deferred.total()} URLs deferred to the frontier ({reasons}): not lost, "
            "`newsmon monitor` fetches them when due (urls.next_fetch_at)"
        )
    if summary.rejects:
        rejects = Table(title="rejected inputs")
        for column in ("input", "stage", "reason", "detail"):
            rejects.add_column(column, overflow="fold")
        for r in summary.rejects:
            rejects.add_row(r.source, r.stage, r.reason, r.detail)
        console.print(rejects)
        all_rejected = summary.inputs_seen > 0 and summary.inputs_loaded == 0
        raise typer.Exit(Exit.ALL_REJECTED if all_rejected else Exit.SOME_REJECTED)


# --- reading the warehouse: sql, tables, describe, stats, check ---------------------------


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
    _print_summary(summary, "newsmon monitor")


@app.command()
def serve(
    port: Annotated[
        int,
        typer.Option(
            help="port of the local Prefect server started when PREFECT_API_URL is unset and no background server runs"
        ),
    ] = 4200,
) -> None:
    """Run the deployments of deploy/prefect.yaml on their schedules from this process (Ctrl-C stops)."""
    quiet_prefect_defaults()
    from extractors.errors import ServiceError
    from newsmon.serve import prefect_api, read_deployments, serve_deployments

    specs = read_deployments()
    if background_mode() and (background_url := running_server_url()):
        os.environ["PREFECT_API_URL"] = background_url  # not a second server, wanting the same port
    try:
        with prefect_api(port, Path("data/prefect-server.log")) as api_url:
            console.print(
                f"serving {', '.join(s.name for s in specs)} against {api_url} "
                f"(UI: {api_url.removesuffix('/api')}); Ctrl-C stops"
            )
            serve_deployments(specs)
    except ServiceError as exc:
        fail(f"{exc}; see data/prefect-server.log")
