"""The `monitor` flow: keep the watchlist's sources current. Orchestration only.

One run: sync the watchlist, poll the sources that are due (conditional GET), enqueue new
article links in the `urls` frontier, fetch what is due (sources, then new URLs, then
re-crawls of known articles on their decaying schedule), extract, deduplicate, load, and set
each URL's next due time. Bounded by `max_urls` and `max_minutes`, so a backlog never makes
runs overlap: what is left stays due and the next runs work it off.
"""

from __future__ import annotations

import time
import uuid

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from pydantic import Field

from flows.crawl import crawl
from flows.run_record import recorded_run
from flows.runners import flow_task_runner
from flows.settings import Settings
from flows.summary import RunSummary
from flows.tasks import due_targets, read_watchlist, sync_watchlist

FLOW_NAME = "monitor"


@flow(name=FLOW_NAME, log_prints=False, task_runner=flow_task_runner(Settings()))
def monitor(
    watchlist: str = "deploy/watchlist.toml",
    db_path: str | None = None,
    max_urls: int | None = Field(None, ge=1, description="fetches per run (default: settings.max_urls_per_run)"),
    max_minutes: float = Field(10, gt=0, description="stop starting new fetch rounds after this long"),
    allow_private_hosts: bool | None = None,
) -> RunSummary:
    """Poll the watchlist's due sources and re-crawl due articles into the DuckDB warehouse."""
    deadline = time.monotonic() + max_minutes * 60
    settings = Settings()
    if max_urls:
        settings = settings.model_copy(update={"max_urls_per_run": max_urls})
    db_file = str(db_path or settings.catalog)
    summary = RunSummary(run_id=str(flow_run.id or uuid.uuid4()), db_path=db_file)
    parameters = {
        "watchlist": watchlist,
        "db_path": db_file,
        "max_urls": settings.max_urls_per_run,
        "max_minutes": max_minutes,
        "allow_private_hosts": allow_private_hosts,
    }
    with recorded_run(FLOW_NAME, summary, parameters, settings.data_path):
        sources = read_watchlist(watchlist)
        sync_watchlist(db_file, sources, summary.run_id)
        targets = due_targets(db_file, settings.max_urls_per_run)
        limits = {s.url: s.max_new_articles for s in sources if s.max_new_articles is not None}
        crawl(db_file, summary.run_id, targets, settings, summary, allow_private_hosts, deadline, limits)

    table = [{"what": name, "count": value} for name, value in summary.rows()]
    table += [{"what": f"errors: {reason}", "count": n} for reason, n in summary.errors_by_reason().items()]
    create_table_artifact(key="monitor-run-counts", table=table, description="newsmon monitor run: what happened")
    create_markdown_artifact(
        key="monitor-run-summary", markdown=summary.to_markdown(), description="newsmon monitor run summary"
    )
    return summary
