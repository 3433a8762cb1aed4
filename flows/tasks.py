"""Prefect tasks of the newsmon flows: thin wrappers over extractors/ and warehouse/.

Retries only where I/O can fail transiently (the database file, briefly held by an
analyst's --live session); fetching retries inside the fetcher; parsing never raises.
`cache_policy=NONE`: inputs are large or unhashable (a fetcher) and results must not be
reused across runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from prefect import task
from prefect.cache_policies import NONE
from prefect.states import State

from extractors.errors import DatabaseBusy, InputRejected, NewsmonError, WriteConflict
from extractors.fetched import documents_to_extract, process_fetch_results
from extractors.lineage import EXTRACTOR_VERSION
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
    FetchResult,
    InputState,
    LoadCounts,
    ParsedPage,
    RejectRecord,
    Target,
    WatchedSource,
)
from extractors.urls import canonical_url, is_url
from flows.summary import RunSummary
from flows.watchlist import load_watchlist
from warehouse import db
from warehouse.articles import fill_missing_sites
from warehouse.dedup import fingerprint_article
from warehouse.frontier import (
    RecrawlPolicy,
    due_urls,
    known_urls,
    validators,
)
from warehouse.input_states import known_input_states
from warehouse.integrity import verify_lake
from warehouse.load import PageToLoad, load_batch_without_refused_pages
from warehouse.maintenance import MaintenanceReport, maintain
from warehouse.runs import (
    CrawlCounts,
    mark_abandoned_runs,
    record_run_end,
    record_run_start,
)
from warehouse.site_quality import flagged_sites, record_site_quality
from warehouse.sources import source_schedule, sync_sources
from warehouse.timeutil import utc_now

if TYPE_CHECKING:
    import duckdb


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


@dataclass(frozen=True)
class FileToRead:
    """A local file to read, with the hash of its bytes when last read (None: never read, or
    by other extractors): the same bytes again are not parsed again."""

    item: InputFile
    known_sha256: str | None = None


@dataclass
class Discovered:
    """What a run's paths name: files to read, URLs to fetch, problems, and how many files were
    skipped unread because they are as last read."""

    files: list[FileToRead]
    targets: list[Target]
    rejects: list[RejectRecord]
    unchanged: int = 0


@task(cache_policy=NONE, **STORAGE_RETRIES)
def discover(paths: list[str], max_bytes: int, db_path: str, reread: bool = False) -> Discovered:
    """Local files to read, URLs to fetch (given, or listed in URL-list files), and problems:
    each line of a URL list that is not a URL is a reject of its own, the good lines are fetched.

    A file with the size and mtime of its last read by these extractors is skipped unread
    (`reread`: read everything again)."""
    urls = [p for p in paths if is_url(p)]
    inputs, problems = discover_inputs([p for p in paths if not is_url(p)], max_bytes=max_bytes)
    known = {} if reread or not inputs else _known_states(db_path, [i.source for i in inputs])
    files, unchanged = [], 0
    for item in inputs:
        state = known.get(item.source)
        if state is not None and (state.size, state.mtime_ns) == (item.size, item.mtime_ns):
            unchanged += 1
            continue
        listing = _url_list(item, max_bytes) if item.kind == "text_dump" else None
        if listing is None:
            files.append(FileToRead(item, state.content_sha256 if state else None))
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
    return Discovered(files, list(targets.values()), rejects, unchanged)


def _known_states(db_path: str, sources: list[str]) -> dict[str, InputState]:
    """The last read of each file, if by the extractors of this version."""
    with db.writer(db_path) as con:
        states = known_input_states(con, sources)
    return {source: s for source, s in states.items() if s.extractor_version == EXTRACTOR_VERSION}


def _url_list(item: InputFile, max_bytes: int) -> UrlList | None:
    try:
        return url_list_entries(read_input(item, max_bytes))
    except InputRejected:
        return None  # extract_batch reads it again and records why it cannot be read


@dataclass
class ExtractedFiles:
    """A batch of local files, extracted and fingerprinted, ready to load."""

    pages: list[PageToLoad] = field(default_factory=list)
    rejects: list[RejectRecord] = field(default_factory=list)
    states: list[InputState] = field(default_factory=list)  # each file read, to skip it next time
    unchanged: int = 0  # files whose bytes were those of their last read: not parsed


@task(cache_policy=NONE)
def extract_batch(files: list[FileToRead], max_bytes: int, pool: Executor | None = None) -> ExtractedFiles:
    """Read, parse and fingerprint each file, on the pool's processes when given; a failure
    becomes a reject. Pure up to here (bytes in, records out): a batch re-run on another Dask
    worker gives the same records, and only the load writes."""
    read = partial(read_file, max_bytes=max_bytes)
    outcomes = pool.map(read, files, chunksize=4) if pool else map(read, files)
    batch = ExtractedFiles()
    for page, reject, state in outcomes:
        if page is not None:
            batch.pages.append(page)
        if reject is not None:
            batch.rejects.append(reject)
        if state is not None:
            batch.states.append(state)
            batch.unchanged += page is None and reject is None
    return batch


def read_file(file: FileToRead, max_bytes: int) -> tuple[PageToLoad | None, RejectRecord | None, InputState | None]:
    """One local file → its fingerprinted page or its reject, and its state as read (None when
    it could not be read: it is tried again next run). Neither page nor reject: its bytes are
    those of its last read. Module-level so a process pool can run it."""
    item = file.item
    try:
        data = read_input(item, max_bytes)
    except InputRejected as exc:
        return None, RejectRecord.from_error(item.source, exc), None
    input_hash = hashlib.sha256(data).hexdigest()
    state = partial(InputState, item.source, item.size, item.mtime_ns, input_hash, EXTRACTOR_VERSION)
    if input_hash == file.known_sha256:
        return None, None, state("loaded")
    try:
        page = parse_input(data, item.source, item.kind, max_bytes=max_bytes)
    except Exception as exc:  # a parser bug on one page must not stop the run: record it
        return None, RejectRecord.from_error(item.source, exc, input_hash), state("rejected")
    del data  # the fingerprint's shingles need room more than the raw bytes do
    return fingerprinted(page, "file"), None, state("loaded")


def fingerprinted(page: ParsedPage, source_kind: str) -> PageToLoad:
    """A page with its deduplication keys: exact content hash and MinHash/LSH buckets."""
    return PageToLoad(page, fingerprint_article(page.url, page.title, page.text), source_kind)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def read_validators(db_path: str, urls: list[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """ETag, Last-Modified and the hash of the body last extracted, of each known URL."""
    with db.writer(db_path) as con:
        return validators(con, urls)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def unknown_urls(db_path: str, targets: list[Target]) -> list[Target]:
    """Links not yet in the frontier: known ones are re-fetched on their own schedule, not per mention."""
    with db.writer(db_path) as con:
        known = known_urls(con, [t.url for t in targets])
    return [t for t in targets if t.url not in known]


# Fetched documents per call on a pool process: small enough to keep every process busy to the
# end of a batch, large enough that pickling is not the cost.
FETCHED_PER_SLICE = 16


@dataclass
class ExtractedFetches:
    """A batch of fetch results, extracted: what to record of the crawl, and pages to load."""

    crawl: CrawlBatch  # its `pages` are in `pages`, fingerprinted
    pages: list[PageToLoad]

    @staticmethod
    def merged(parts: Iterable[ExtractedFetches]) -> ExtractedFetches:
        """The parts as one, in order."""
        whole = ExtractedFetches(CrawlBatch(), [])
        for part in parts:
            whole.crawl.extend(part.crawl)
            whole.pages.extend(part.pages)
        return whole


@task(cache_policy=NONE)
def extract_fetched(
    targets: list[Target],
    results: list[FetchResult],
    extracted_before: dict[str, str],
    pool: Executor | None = None,
) -> ExtractedFetches:
    """Extract and fingerprint a batch of fetched documents, in slices over the pool's processes
    when given. Pure, like extract_batch: safe to run again on another worker."""
    few = documents_to_extract(targets, results, extracted_before) < 2 * FETCHED_PER_SLICE
    if pool is None or few:  # a re-run of unchanged pages starts no processes
        return extract_fetched_slice(targets, results, extracted_before)
    starts = range(0, len(targets), FETCHED_PER_SLICE)
    slices = pool.map(
        extract_fetched_slice,
        [targets[i : i + FETCHED_PER_SLICE] for i in starts],
        [results[i : i + FETCHED_PER_SLICE] for i in starts],
        [extracted_before] * len(starts),
    )
    return ExtractedFetches.merged(slices)


def extract_fetched_slice(
    targets: list[Target], results: list[FetchResult], extracted_before: dict[str, str]
) -> ExtractedFetches:
    """Module-level so a process pool can run it."""
    crawl = process_fetch_results(targets, results, extracted_before)
    pages = [fingerprinted(page, "url") for page in crawl.pages]
    crawl.pages = []
    return ExtractedFetches(crawl, pages)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def load(
    db_path: str,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    crawl: CrawlRecords | None = None,
    policy: RecrawlPolicy | None = None,
    inputs: list[InputState] | None = None,
) -> tuple[LoadCounts, list[RejectRecord]]:
    """Load a batch whole, with the read state of its local `inputs`; returns its counts and the
    pages the database refused (as rejects, recorded). Retried: the catalog may be briefly held
    by another writer."""
    with db.writer(db_path) as con:
        return load_batch_without_refused_pages(
            con, run_id, pages, rejects, crawl=crawl, policy=policy, inputs=inputs or ()
        )


@task(cache_policy=NONE, **STORAGE_RETRIES)
def start_run(db_path: str, run_id: str, flow_name: str, parameters: dict, data_path: str | None = None) -> int:
    """Create the lake if need be (with its data path), check it is whole before any input is
    touched, record the run, mark dead runs abandoned."""
    with db.writer(db_path, data_path) as con:
        verify_lake(con)
        fill_missing_sites(con)  # once per lake: the sites of articles loaded before migration 015
        record_run_start(con, run_id, flow_name, parameters)
        return mark_abandoned_runs(con, run_id)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def end_run(db_path: str, summary: RunSummary, status: str, error: str | None = None) -> None:
    """End the `runs` row of a run that raised."""
    with db.writer(db_path) as con:
        _record_end(con, summary, status, error)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def finish_run(db_path: str, summary: RunSummary, status: str, error: str | None = None) -> list[str]:
    """End the `runs` row of a run that got to its end, after recording its extraction quality per
    site (`site_quality`); returns one sentence per site the run saw whose extraction drifted from
    its 14-day baseline (`quality_drift`). One writer for both: a run's end costs one lake open."""
    with db.writer(db_path) as con:
        record_site_quality(con, summary.run_id)
        drifted = [drift.sentence() for drift in flagged_sites(con, summary.run_id)]
        _record_end(con, summary, status, error)
        return drifted


def _record_end(con: duckdb.DuckDBPyConnection, summary: RunSummary, status: str, error: str | None) -> None:
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
def watched_schedule(db_path: str) -> list[tuple[str, str, datetime | None]]:
    """(name, url, next poll) of every active source, the soonest first."""
    with db.writer(db_path) as con:
        return source_schedule(con)


@task(cache_policy=NONE, **STORAGE_RETRIES)
def due_targets(db_path: str, limit: int) -> list[Target]:
    """What is due: sources first (they find the news), then never-fetched URLs, then re-crawls."""
    with db.writer(db_path) as con:
        due = due_urls(con, utc_now(), ["feed", "sitemap", "section", "article"], limit)
    return [Target(url, kind, "frontier") for url, kind in due]
