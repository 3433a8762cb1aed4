"""The `monitor` flow: keep the watchlist's sources current. Orchestration only.

One run: sync the watchlist, poll the sources that are due (conditional GET), and those
asked for with `poll_now` whatever their next poll time, enqueue new
article links in the `urls` frontier, fetch what is due (sources, then new URLs, then
re-crawls of known articles on their decaying schedule), extract, deduplicate, load, and set
each URL's next due time. Bounded by `max_urls` and `max_minutes`, so a backlog never makes
runs overlap: what is left stays due and the next runs work it off. When sources are not
polled because they are not due, the summary's notes say so, and when the next one is.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.states import State
from pydantic import Field, StringConstraints

from extractors.records import Target
from flows.crawl import crawl
from flows.run_record import recorded_run
from flows.runners import flow_task_runner
from flows.settings import Settings
from flows.states import final_state
from flows.summary import RunSummary
from flows.tasks import due_targets, read_watchlist, sync_watchlist, watched_schedule
from flows.watchlist import named_sources, schedule_note
from warehouse.timeutil import utc_now

FLOW_NAME = "monitor"
SourceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


@flow(name=FLOW_NAME, log_prints=False, task_runner=flow_task_runner(Settings()))
def monitor(
    watchlist: Annotated[str, Field(min_length=1)] = "deploy/watchlist.toml",
    db_path: Annotated[str | None, Field(min_length=1)] = None,
    max_urls: Annotated[int | None, Field(ge=1)] = None,
    max_minutes: Annotated[float, Field(gt=0)] = 10,
    allow_private_hosts: bool | None = None,
    poll_now: list[SourceName] | None = None,
) -> State:
    """Poll the watchlist's due sources and re-crawl due articles into the DuckDB warehouse.

    Args:
        watchlist: the watchlist file (TOML), relative to the working directory
        db_path: the lake's catalog: a SQLite file or postgres:<libpq string>; default: NEWSMON_CATALOG
        max_urls: fetches in this run; default: NEWSMON_MAX_URLS_PER_RUN
        max_minutes: stop starting new fetch rounds after this long; what is left stays due
        allow_private_hosts: fetch loopback and private addresses; default: NEWSMON_ALLOW_PRIVATE_HOSTS
        poll_now: watchlist names of sources to poll now, whatever their next poll time; [] polls
            every source; a name not on the watchlist fails the run before anything is fetched
    """
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
        "poll_now": poll_now,
    }
    with recorded_run(FLOW_NAME, summary, parameters, settings.data_path):
        sources = read_watchlist(watchlist)
        asked = [] if poll_now is None else named_sources(sources, poll_now)
        sync_watchlist(db_file, sources, summary.run_id)
        targets = [Target(s.url, s.kind, "frontier") for s in asked]  # first: within the URL budget
        targets += [t for t in due_targets(db_file, settings.max_urls_per_run) if t.url not in {s.url for s in asked}]
        note = schedule_note(watched_schedule(db_file), {t.url for t in targets}, utc_now())
        if note:
            summary.notes.append(note)
        limits = {s.url: s.max_new_articles for s in sources if s.max_new_articles is not None}
        crawl(db_file, summary.run_id, targets, settings, summary, allow_private_hosts, deadline, limits)

    table = [{"what": name, "count": value} for name, value in summary.rows()]
    table += [{"what": f"errors: {reason}", "count": n} for reason, n in summary.errors_by_reason().items()]
    create_table_artifact(key="monitor-run-counts", table=table, description="newsmon monitor run: what happened")
    create_markdown_artifact(
        key="monitor-run-summary", markdown=summary.to_markdown(), description="newsmon monitor run summary"
    )
    return final_state(summary)
