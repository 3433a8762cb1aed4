"""Crawling orchestration shared by the ingest and monitor flows: fetch → extract → load, in batches."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterator

from prefect import get_run_logger

from extractors.fetched import deferred_visit
from extractors.records import CrawlRecords, FetchResult, Target, UrlVisit
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

FETCH_AHEAD = 2  # batches being fetched while one is extracted and loaded: bounds memory
# Targets the run was asked for (by a person, or as due in the frontier): never dropped, only
# fetched or deferred. Links found on the way are new frontier rows when not followed.
_ASKED_FOR = frozenset({"input", "frontier"})


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

    Fetching runs a few batches ahead of extracting and loading, within the fetcher's global
    and per-host limits. URLs given as inputs are all fetched; links found on the way only
    within `max_urls_per_run`, `max_discovery_depth` and `new_links_per_source[source url]`.
    At `deadline` (time.monotonic()) fetches in flight are cancelled. Whatever is left goes
    into the `urls` frontier, due now: asked-for URLs as deferred (with the reason), found
    links as new rows, so the next run starts with them: nothing is lost.
    """
    logger = get_run_logger()
    limits = new_links_per_source or {}
    seen = {t.url for t in targets}
    pending, not_followed, depth = list(targets), [], 0
    stop_reason = None
    fetch_settings = (
        settings
        if allow_private_hosts is None
        else settings.model_copy(update={"allow_private_hosts": allow_private_hosts})
    )
    with BackgroundFetcher(fetch_settings) as fetcher:
        while pending:
            if deadline is not None and time.monotonic() >= deadline:
                stop_reason = "run_deadline"
                break
            now_due, later = _within_budget(pending, settings.max_urls_per_run - summary.urls_fetched)
            if not now_due:
                stop_reason = "url_limit"
                break
            found: list[Target] = []
            chunks = [now_due[i : i + settings.batch_size] for i in range(0, len(now_due), settings.batch_size)]
            for chunk, results in _fetched_ahead(db_file, fetcher, chunks, deadline):
                batch = extract_fetched(chunk, results)
                new_links = unknown_urls(db_file, [t for t in batch.discovered if t.url not in seen])
                seen.update(t.url for t in new_links)
                to_follow, over_limit = _within_source_limits(new_links, limits)
                found.extend(to_follow)
                not_followed.extend(over_limit)
                records = CrawlRecords(batch.attempts, batch.visits + discovered_visits(new_links))
                counts, load_rejects = load(
                    db_file, run_id, fingerprint_batch(batch.pages, "url"), batch.rejects, records, settings
                )
                deferred = [v for v in batch.visits if v.deferred]
                _count(summary, chunk, batch.rejects + load_rejects, deferred)
                summary.counts.add(counts)
                summary.urls_not_modified += batch.not_modified
                summary.urls_discovered += len(new_links)
                logger.info(
                    "fetched %d URLs (%d not modified, %d failed, %d deferred): %d new articles, %d new links",
                    len(chunk) - len(deferred),
                    batch.not_modified,
                    len(batch.rejects),
                    len(deferred),
                    counts.articles_new,
                    len(new_links),
                )
            depth += 1
            pending = later + found if depth <= settings.max_discovery_depth else later
            not_followed.extend(found if depth > settings.max_discovery_depth else [])
    _leave_for_later(db_file, run_id, pending, not_followed, stop_reason or "url_limit", settings, summary)


def discovered_visits(targets: list[Target]) -> list[UrlVisit]:
    """Frontier rows for links found but not fetched (yet)."""
    return [UrlVisit(url=t.url, kind=t.kind, found_via=t.found_via, found_on=t.found_on) for t in targets]


def _within_budget(pending: list[Target], budget: int) -> tuple[list[Target], list[Target]]:
    """URLs given as inputs always; the rest while the run's URL budget lasts."""
    given = [t for t in pending if t.found_via == "input"]
    others = [t for t in pending if t.found_via != "input"]
    room = max(0, budget - len(given))
    return given + others[:room], others[room:]


def _fetched_ahead(
    db_file: str, fetcher: BackgroundFetcher, chunks: list[list[Target]], deadline: float | None
) -> Iterator[tuple[list[Target], list[FetchResult]]]:
    """Each chunk with its fetch results, in order, at most FETCH_AHEAD chunks fetched ahead."""
    in_flight: deque = deque()
    for chunk in chunks:
        known = read_validators(db_file, [t.url for t in chunk])
        in_flight.append((chunk, fetch.submit(fetcher, chunk, known, deadline)))
        if len(in_flight) > FETCH_AHEAD:
            done, future = in_flight.popleft()
            yield done, future.result()
    while in_flight:
        done, future = in_flight.popleft()
        yield done, future.result()


def _count(summary: RunSummary, chunk: list[Target], rejects: list, deferred: list[UrlVisit]) -> None:
    given = {t.url for t in chunk if t.found_via == "input"}
    summary.urls_fetched += len(chunk) - len(deferred)
    summary.sources_polled += sum(t.kind not in ("article", "unknown") for t in chunk)
    summary.rejects.extend(rejects)
    summary.input_rejects += sum(r.source in given for r in rejects)
    summary.urls_deferred.update(v.error_reason for v in deferred)
    summary.inputs_deferred += sum(v.url in given for v in deferred)


def _leave_for_later(
    db_file: str,
    run_id: str,
    pending: list[Target],
    not_followed: list[Target],
    reason: str,
    settings: Settings,
    summary: RunSummary,
) -> None:
    """Into the frontier, due now: the next run starts with them."""
    asked_for = [t for t in pending if t.found_via in _ASKED_FOR]
    found = [t for t in pending if t.found_via not in _ASKED_FOR] + not_followed
    if not asked_for and not found:
        return
    visits = [deferred_visit(t, reason) for t in asked_for] + discovered_visits(found)
    load(db_file, run_id, [], [], CrawlRecords(visits=visits), settings)
    summary.urls_deferred.update({reason: len(asked_for)} if asked_for else {})
    summary.inputs_deferred += sum(t.found_via == "input" for t in asked_for)
    get_run_logger().info(
        "%d URLs deferred (%s) and %d found links left for a later run", len(asked_for), reason, len(found)
    )


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
