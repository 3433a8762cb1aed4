"""Crawling orchestration shared by the ingest and monitor flows: fetch → extract → load, in batches."""

from __future__ import annotations

import time
from collections import Counter

from prefect import get_run_logger

from extractors.records import CrawlRecords, Target, UrlVisit
from flows.fetch_bridge import BackgroundFetcher
from flows.settings import Settings
from flows.summary import RunSummary
from flows.tasks import (
    extract_fetched,
    fetch,
    fingerprint_batch,
    load,
    read_validators,
    unknown_urls,
)


def crawl(
    db_file: str,
    run_id: str,
    targets: list[Target],
    settings: Settings,
    summary: RunSummary,
    allow_private_hosts: bool | None = None,
    deadline: float | None = None,
    new_links_per_source: dict[str, int] | None = None,
) -> None:
    """Fetch targets, follow what feeds and sitemaps list (bounded), extract and load, batch by batch.

    All batches of a round are submitted at once: fetching batch N+1 overlaps extracting and
    loading batch N, within the fetcher's global and per-host limits. A run stops starting new
    rounds at `max_urls_per_run` fetches or at `deadline` (time.monotonic()); a source lists at
    most `new_links_per_source[source url]` new links per run. Whatever is left over goes into
    the `urls` frontier, due now, so the next run starts with it: nothing is lost.
    """
    logger = get_run_logger()
    limits = new_links_per_source or {}
    seen = {t.url for t in targets}
    given = {t.url for t in targets if t.found_via == "input"}
    pending, deferred, depth = list(targets), [], 0
    fetch_settings = (
        settings
        if allow_private_hosts is None
        else settings.model_copy(update={"allow_private_hosts": allow_private_hosts})
    )
    with BackgroundFetcher(fetch_settings) as fetcher:
        while pending and summary.urls_fetched < settings.max_urls_per_run:
            if deadline is not None and time.monotonic() >= deadline:
                logger.info("time limit reached: the rest waits for the next run")
                break
            budget = settings.max_urls_per_run - summary.urls_fetched
            now_due, later = pending[:budget], pending[budget:]
            known = read_validators(db_file, [t.url for t in now_due])
            chunks = [now_due[i : i + settings.batch_size] for i in range(0, len(now_due), settings.batch_size)]
            fetches = [fetch.submit(fetcher, chunk, known) for chunk in chunks]
            found: list[Target] = []
            for chunk, fetched in zip(chunks, fetches, strict=True):
                batch = extract_fetched(chunk, fetched.result())
                new_links = unknown_urls(db_file, [t for t in batch.discovered if t.url not in seen])
                seen.update(t.url for t in new_links)
                to_follow, over_limit = _within_source_limits(new_links, limits)
                found.extend(to_follow)
                deferred.extend(over_limit)
                records = CrawlRecords(batch.attempts, batch.visits + discovered_visits(new_links))
                counts, load_rejects = load(
                    db_file, run_id, fingerprint_batch(batch.pages, "url"), batch.rejects, records, settings
                )
                summary.counts.add(counts)
                summary.rejects.extend(batch.rejects + load_rejects)
                summary.input_rejects += sum(r.source in given for r in batch.rejects + load_rejects)
                summary.urls_fetched += len(chunk)
                summary.urls_not_modified += batch.not_modified
                summary.urls_discovered += len(new_links)
                summary.sources_polled += sum(t.kind not in ("article", "unknown") for t in chunk)
                logger.info(
                    "fetched %d URLs (%d not modified, %d failed): %d new articles, %d new links",
                    len(chunk),
                    batch.not_modified,
                    len(batch.rejects),
                    counts.articles_new,
                    len(new_links),
                )
            depth += 1
            pending = later + found if depth <= settings.max_discovery_depth else later
            deferred.extend(found if depth > settings.max_discovery_depth else [])
    left = pending + deferred
    if left:  # into the frontier, due now: the next run starts with them
        load(db_file, run_id, [], [], CrawlRecords(visits=discovered_visits(left)), settings)
        logger.info("%d URLs left for a later run", len(left))


def discovered_visits(targets: list[Target]) -> list[UrlVisit]:
    """Frontier rows for links found but not fetched (yet)."""
    return [UrlVisit(url=t.url, kind=t.kind, found_via=t.found_via, found_on=t.found_on) for t in targets]


def _within_source_limits(links: list[Target], limits: dict[str, int]) -> tuple[list[Target], list[Target]]:
    taken: Counter[str] = Counter()
    follow, defer = [], []
    for link in links:
        limit = limits.get(link.found_on or "")
        if limit is not None and taken[link.found_on] >= limit:
            defer.append(link)
        else:
            taken[link.found_on] += 1
            follow.append(link)
    return follow, defer
