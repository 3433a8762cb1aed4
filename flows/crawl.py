"""Crawling orchestration shared by the ingest and monitor flows: fetch → extract → load, in batches."""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from prefect import get_run_logger
from prefect.futures import PrefectFuture
from prefect.utilities.annotations import quote

from extractors.fetched import EXPECT_BY_KIND, deferred_visit
from extractors.records import CrawlRecords, FetchRequest, FetchResult, Target, UrlVisit
from flows import progress
from flows.fetch_bridge import BackgroundFetcher
from flows.parallel import extraction_pool
from flows.settings import Settings
from flows.summary import RunSummary, new_articles
from flows.tasks import ExtractedFetches, extract_fetched, load, read_validators, unknown_urls
from warehouse.polls import SourceVisit

# URLs are fetched and extracted in units smaller than a load batch: extraction starts as soon
# as the first unit is fetched, and the last unit keeps the pool busy only briefly at the end,
# while loading still commits `batch_size` URLs at a time (each commit has a fixed cost).
FETCH_UNIT = 50
FETCH_AHEAD = 8  # units being fetched while others are extracted and loaded: bounds memory
EXTRACT_AHEAD = 4  # units being extracted while earlier ones are loaded
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

    Fetching runs a few units (FETCH_UNIT URLs) ahead of extracting, and extracting a few
    units ahead of loading, within the fetcher's global and per-host limits; units are loaded
    in fetch order, `settings.batch_size` URLs to a transaction. URLs given as inputs are all
    fetched; links found on the way only within `max_urls_per_run`, `max_discovery_depth` and
    `new_links_per_source[source url]`.
    At `deadline` (time.monotonic()) fetches in flight are cancelled. Whatever is left goes
    into the `urls` frontier, due now: asked-for URLs as deferred (with the reason), found
    links as new rows, so the next run starts with them: nothing is lost.
    """
    pending = list(targets)
    crawled = _CrawledSoFar(db_file, run_id, settings, summary, new_links_per_source or {}, {t.url for t in targets})
    depth, stop_reason = 0, None
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
            size = min(FETCH_UNIT, settings.batch_size)
            units = [now_due[i : i + size] for i in range(0, len(now_due), size)]
            progress.started("URLs", len(now_due))
            found: list[Target] = []
            known = read_validators(db_file, quote([t.url for t in now_due]))  # one query a round, not a batch
            with extraction_pool(settings, len(now_due)) as pool:
                extractions: deque = deque()
                for unit, results, extracted_before in _fetched_ahead(known, fetcher, units, deadline):
                    # not quote()d: a quoted argument does not survive the Dask runner (the task got tuples)
                    extraction = extract_fetched.submit(unit, results, extracted_before, pool)
                    extractions.append((unit, extraction))
                    if len(extractions) > EXTRACT_AHEAD:
                        found.extend(crawled.add(*extractions.popleft()))
                while extractions:
                    found.extend(crawled.add(*extractions.popleft()))
                found.extend(crawled.load())
            progress.finished()
            depth += 1
            pending = later + found if depth <= settings.max_discovery_depth else later
            crawled.not_followed.extend(found if depth > settings.max_discovery_depth else [])
    _leave_for_later(db_file, run_id, pending, crawled.not_followed, stop_reason or "url_limit", settings, summary)


@dataclass
class _CrawledSoFar:
    """What a crawl has loaded and found so far; takes extracted units and loads them a batch at a
    time (`settings.batch_size` URLs), in fetch order."""

    db_file: str
    run_id: str
    settings: Settings
    summary: RunSummary
    limits: dict[str, int]  # new links followed per source URL
    seen: set[str]  # URLs fetched or queued in this run
    not_followed: list[Target] = field(default_factory=list)
    _unloaded: list[tuple[list[Target], ExtractedFetches]] = field(default_factory=list)  # in fetch order

    def add(self, unit: list[Target], extraction: PrefectFuture) -> list[Target]:
        """Take one extracted unit; load what has been taken once it makes a batch. Returns the
        new links to follow (of what was loaded)."""
        self._unloaded.append((unit, extraction.result()))
        if sum(len(u) for u, _ in self._unloaded) < self.settings.batch_size:
            return []
        return self.load()

    def load(self) -> list[Target]:
        """Load the units taken so far as one batch (one transaction); returns the new links to follow."""
        if not self._unloaded:
            return []
        chunk = [t for unit, _ in self._unloaded for t in unit]
        extracted = ExtractedFetches.merged(part for _, part in self._unloaded)
        self._unloaded = []
        batch = extracted.crawl
        links = [t for t in batch.discovered if t.url not in self.seen]
        new_links = unknown_urls(self.db_file, quote(links)) if links else []
        self.seen.update(t.url for t in new_links)
        to_follow, over_limit = _within_source_limits(new_links, self.limits)
        self.not_followed.extend(over_limit)
        visits = with_listings(batch.visits, batch.discovered, {t.url for t in new_links})
        records = CrawlRecords(batch.attempts, visits + discovered_visits(new_links))
        counts, load_rejects = load(
            self.db_file, self.run_id, quote(extracted.pages), quote(batch.rejects), quote(records), self.settings
        )
        deferred = [v for v in batch.visits if v.deferred]
        _count(self.summary, chunk, batch.rejects + load_rejects, deferred)
        self.summary.counts.add(counts)
        self.summary.urls_not_modified += batch.not_modified
        self.summary.urls_discovered += len(new_links)
        progress.advanced(len(chunk))
        get_run_logger().info(
            "fetched %d URLs (%d not modified, %d failed, %d deferred): %s, %d new links",
            len(chunk) - len(deferred),
            batch.not_modified,
            len(batch.rejects),
            len(deferred),
            new_articles(counts),
            len(new_links),
        )
        return to_follow


def discovered_visits(targets: list[Target]) -> list[UrlVisit]:
    """Frontier rows for links found but not fetched (yet)."""
    return [UrlVisit(url=t.url, kind=t.kind, found_via=t.found_via, found_on=t.found_on) for t in targets]


def with_listings(visits: list[UrlVisit], listed: list[Target], new_urls: set[str]) -> list[UrlVisit]:
    """Each visit of a source that listed links, with how many it listed and how many were new:
    the share already seen sets the source's next poll interval (warehouse/polls.py)."""
    by_source: defaultdict[str | None, set[str]] = defaultdict(set)
    for link in listed:
        by_source[link.found_on].add(link.url)
    return [
        SourceVisit.of(v, len(by_source[v.url]), len(by_source[v.url] & new_urls)) if v.url in by_source else v
        for v in visits
    ]


def _within_budget(pending: list[Target], budget: int) -> tuple[list[Target], list[Target]]:
    """URLs given as inputs always; the rest while the run's URL budget lasts."""
    given = [t for t in pending if t.found_via == "input"]
    others = [t for t in pending if t.found_via != "input"]
    room = max(0, budget - len(given))
    return given + others[:room], others[room:]


def _fetched_ahead(
    known: dict[str, tuple[str | None, str | None, str | None]],
    fetcher: BackgroundFetcher,
    units: list[list[Target]],
    deadline: float | None,
) -> Iterator[tuple[list[Target], list[FetchResult], dict[str, str]]]:
    """Each unit with its fetch results and the hashes of bodies already extracted from its URLs
    (`known`: validators and hash by URL), in order, at most FETCH_AHEAD units fetched ahead. The
    fetcher's own thread fetches them: fetching is I/O in this process, never a task on the task
    runner (which may be a cluster)."""
    in_flight: deque = deque()
    for unit in units:
        requests = [
            FetchRequest(t.url, *known.get(t.url, (None, None, None))[:2], expect=EXPECT_BY_KIND[t.kind]) for t in unit
        ]
        extracted_before = {t.url: known[t.url][2] for t in unit if t.url in known and known[t.url][2]}
        in_flight.append((unit, fetcher.submit_many(requests, deadline=deadline), extracted_before))
        if len(in_flight) > FETCH_AHEAD:
            done, future, hashes = in_flight.popleft()
            yield done, future.result(), hashes
    while in_flight:
        done, future, hashes = in_flight.popleft()
        yield done, future.result(), hashes


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
    load(db_file, run_id, [], [], quote(CrawlRecords(visits=visits)), settings)
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
