"""Prefect tasks of the newsmon flows: thin wrappers over extractors/ and warehouse/.

Retries only where I/O can fail transiently (the database file, briefly held by an
analyst's --live session); fetching retries inside the fetcher; parsing never raises.
`cache_policy=NONE`: inputs are large or unhashable (a fetcher) and results must not be
reused across runs.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Executor
from functools import partial

from prefect import task
from prefect.cache_policies import NONE
from prefect.states import State

from extractors.errors import DatabaseBusy, InputRejected, NewsmonError, WriteConflict
from extractors.fetched import EXPECT_BY_KIND, process_fetch_results
from extractors.local_files import (
    InputFile,
    UrlList,
    discover_inputs,
    parse_input,
    read_input,
    url_list_entries,
    url_list_problems,
)
from extractors.records import (
    CrawlBatch,
    CrawlRecords,
    FetchRequest,
    FetchResult,
    LoadCounts,
    ParsedPage,
    RejectRecord,
    Target,
    WatchedSource,
)
from extractors.urls import canonical_url, is_url
from flows.fetch_bridge import BackgroundFetcher
from flows.summary import RunSummary
from flows.watchlist import load_watchlist
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.frontier import (
    RecrawlPolicy,
    due_urls,
    known_urls,
    validators,
)
from warehouse.integrity import verify_lake
from warehouse.load import PageToLoad, load_batch_without_refused_pages
from warehouse.maintenance import MaintenanceReport, maintain
from warehouse.runs import (
    CrawlCounts,
    mark_abandoned_runs,
    record_run_end,
    record_run_start,
)
from warehouse.sources import sync_sources
from warehouse.timeutil import utc_now


def worth_retrying(_task: object, _task_run: object, state: State) -> bool:
    """Retry storage I/O that may work a second later (a busy file, an OS error), never a
    mistake that stays (an edited migration, a bad watchlist): those fail at once, clearly."""
    try:
        state.result()
    except (DatabaseBusy, WriteConflict):
        return True
    except NewsmonError:
        return False
    except Exception:
        return True
    return False


STORAGE_RETRIES = {"retries": 2, "retry_delay_seconds": [1, 5], "retry_condition_fn": worth_retrying}


@task(cache_policy=NONE)
def discover(paths: list[str], max_bytes: int) -> tuple[list[InputFile], list[Target], list[RejectRecord]]:
    """Local files to parse, URLs to fetch (given, or listed in URL-list files), and problems:
    each line of a URL list that is not a URL is a reject of its own, the good lines are fetched."""
    urls = [p for p in paths if is_url(p)]
    inputs, problems = discover_inputs([p for p in paths if not is_url(p)], max_bytes=max_bytes)
    files = []
    for item in inputs:
        listing = _url_list(item, max_bytes) if item.kind == "text_dump" else None
        if listing is None:
            files.append(item)
        else:
            urls.extend(listing.urls)
            problems.extend(url_list_problems(listing, item.source))
    rejects = [RejectRecord.from_error(p.source, p.error) for p in problems]
    targets: dict[str, Target] = {}
    for url in urls:
        try:
            canonical = canonical_url(url)
        except InputRejected as error:
            rejects.append(RejectRecord.from_error(url, error))
            continue
        targets.setdefault(canonical, Target(canonical, "unknown", "input"))
    return files, list(targets.values()), rejects


def _url_list(item: InputFile, max_bytes: int) -> UrlList | None:
    try:
        return url_list_entries(read_input(item, max_bytes))
    except InputRejected:
        return None  # extract_batch reads it again and records why it cannot be read


@task(cache_policy=NONE)
def extract_batch(
    inputs: list[InputFile], max_bytes: int, pool: Executor | None = None
) -> tuple[list[ParsedPage], list[RejectRecord]]:
    """Read and parse each input, on the pool's processes when given; a failure becomes a reject."""
    parse = partial(parse_file, max_bytes=max_bytes)
    outcomes = pool.map(parse, inputs, chunksize=4) if pool else map(parse, inputs)
    pages, rejects = [], []
    for page, reject in outcomes:
        if page is not None:
            pages.append(page)
        else:
            rejects.append(reject)
    return pages, rejects


def parse_file(item: InputFile, max_bytes: int) -> tuple[ParsedPage | None, RejectRecord | None]:
    """One local file → its page or its reject. Module-level so a process pool can run it."""
    try:
        data = read_input(item, max_bytes)
    except InputRejected as exc:
        return None, RejectRecord.from_error(item.source, exc)
    input_hash = hashlib.sha256(data).hexdigest()
    try:
        return parse_input(data, item.source, item.kind, max_bytes=max_bytes), None
    except Exception as exc:  # a parser bug on one page must not stop the run: record it
        return None, RejectRecord.from_error(item.source, exc, input_hash)


@task(cache_policy=NONE)
def fingerprint_batch(pages: list[ParsedPage], source_kind: str) -> list[PageToLoad]:
    """The deduplication keys: exact content hash and MinHash/LSH buckets."""
    return [PageToLoad(page, fingerprint_article(page.url, page.title, page.text), source_kind) for page in pages]


@task(cache_policy=NONE, **STORAGE_RETRIES)
def read_validators(db_path: str, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
    with db.writer(db_path) as con:
        return validators(con, urls)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def unknown_urls(db_path: str, targets: list[Target]) -> list[Target]:
    """Links not yet in the frontier: known ones are re-fetched on their own schedule, not per mention."""
    with db.writer(db_path) as con:
        known = known_urls(con, [t.url for t in targets])
    return [t for t in targets if t.url not in known]


@task(cache_policy=NONE)
def fetch(
    fetcher: BackgroundFetcher,
    targets: list[Target],
    known: dict[str, tuple[str | None, str | None]],
    deadline: float | None = None,
) -> list[FetchResult]:
    """Fetch concurrently within the politeness limits; the fetcher retries transient errors itself.
    What is not done at `deadline` (time.monotonic()) comes back as RunDeadlineReached."""
    return fetcher.fetch_many(
        (FetchRequest(t.url, *known.get(t.url, (None, None)), expect=EXPECT_BY_KIND[t.kind]) for t in targets),
        deadline=deadline,
    )


@task(cache_policy=NONE)
def extract_fetched(targets: list[Target], results: list[FetchResult]) -> CrawlBatch:
    return process_fetch_results(targets, results)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def load(
    db_path: str,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    crawl: CrawlRecords | None = None,
    policy: RecrawlPolicy | None = None,
) -> tuple[LoadCounts, list[RejectRecord]]:
    """Load a batch whole; returns its counts and the pages the database refused (as rejects,
    recorded). Retried: the catalog may be briefly held by another writer."""
    with db.writer(db_path) as con:
        return load_batch_without_refused_pages(con, run_id, pages, rejects, crawl=crawl, policy=policy)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def start_run(db_path: str, run_id: str, flow_name: str, parameters: dict, data_path: str | None = None) -> int:
    """Create the lake if need be (with its data path), check it is whole before any input is
    touched, record the run, mark dead runs abandoned."""
    with db.writer(db_path, data_path) as con:
        verify_lake(con)
        record_run_start(con, run_id, flow_name, parameters)
        return mark_abandoned_runs(con, run_id)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def end_run(db_path: str, summary: RunSummary, status: str, error: str | None = None) -> None:
    with db.writer(db_path) as con:
        crawl = CrawlCounts(
            summary.sources_polled,
            summary.urls_fetched,
            summary.urls_not_modified,
            summary.urls_discovered,
            summary.urls_deferred.total(),
        )
        record_run_end(con, summary.run_id, status, summary.inputs_seen, summary.counts, crawl, error)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def maintain_lake(db_path: str, history_days: float, grace_minutes: float) -> MaintenanceReport:
    with db.writer(db_path) as con:
        return maintain(con, history_days, grace_minutes)


@task(cache_policy=NONE)
def read_watchlist(path: str) -> list[WatchedSource]:
    return load_watchlist(path)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def sync_watchlist(db_path: str, sources: list[WatchedSource], run_id: str) -> None:
    with db.writer(db_path) as con:
        sync_sources(con, sources, run_id, utc_now())


@task(cache_policy=NONE, **STORAGE_RETRIES)
def due_targets(db_path: str, limit: int) -> list[Target]:
    """What is due: sources first (they find the news), then never-fetched URLs, then re-crawls."""
    with db.writer(db_path) as con:
        due = due_urls(con, utc_now(), ["feed", "sitemap", "section", "article"], limit)
    return [Target(url, kind, "frontier") for url, kind in due]
