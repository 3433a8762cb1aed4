"""The `ingest` flow: local files and URLs → extract → deduplicate → load. Orchestration only.

Work is batched (one task call per batch of inputs, not per article) because Prefect's
per-task overhead dominates tiny tasks. Each batch is loaded in one transaction; a
rejected input is recorded and the run goes on.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from extractors.document import ParsedPage
from extractors.errors import InputRejected
from extractors.fetch import BackgroundFetcher, FetchRequest, FetchResult
from extractors.local_files import InputFile, discover_inputs, parse_input, url_list_entries
from extractors.urls import canonical_url, is_url
from newsmon.crawl import EXPECT_BY_KIND, CrawlBatch, Target, discovered_visits, process_fetch_results
from newsmon.settings import Settings
from newsmon.summary import RunSummary
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.frontier import CrawlRecords, RecrawlPolicy, known_urls, validators
from warehouse.load import LoadCounts, PageToLoad, RejectRecord, load_batch
from warehouse.publish import publish_snapshot
from warehouse.run_lock import exclusive_run
from warehouse.runs import mark_abandoned_runs, record_run_end, record_run_start

FLOW_NAME = "ingest"


@task(cache_policy=NONE)
def discover(paths: list[str]) -> tuple[list[InputFile], list[Target], list[RejectRecord]]:
    """Local files to parse, URLs to fetch (given, or listed in URL-list files), and problems."""
    urls = [p for p in paths if is_url(p)]
    inputs, problems = discover_inputs([p for p in paths if not is_url(p)])
    rejects = [RejectRecord(p.source, p.error.stage, p.error.reason, p.error.detail) for p in problems]
    files = []
    for item in inputs:
        listed = url_list_entries(item.path.read_bytes()) if item.kind == "text_dump" else None
        if listed is None:
            files.append(item)
        else:
            urls.extend(listed)
    targets: dict[str, Target] = {}
    for url in urls:
        try:
            canonical = canonical_url(url)
        except InputRejected as error:
            rejects.append(RejectRecord(url, error.stage, error.reason, error.detail))
            continue
        targets.setdefault(canonical, Target(canonical, "unknown", "input"))
    return files, list(targets.values()), rejects


@task(cache_policy=NONE)
def extract_batch(inputs: list[InputFile]) -> tuple[list[ParsedPage], list[RejectRecord]]:
    """Read and parse each input; a failure becomes a reject, never an exception."""
    pages, rejects = [], []
    for item in inputs:
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            rejects.append(RejectRecord(item.source, "read", "unreadable", f"{type(exc).__name__}: {exc}"))
            continue
        input_hash = hashlib.sha256(data).hexdigest()
        try:
            pages.append(parse_input(data, item.source, item.kind))
        except InputRejected as exc:
            rejects.append(RejectRecord(item.source, exc.stage, exc.reason, exc.detail, input_hash))
        except Exception as exc:  # a parser bug on one page must not stop the run: record it
            rejects.append(
                RejectRecord(item.source, "extract", "parser_error", f"{type(exc).__name__}: {exc}", input_hash)
            )
    return pages, rejects


@task(cache_policy=NONE)
def fingerprint_batch(pages: list[ParsedPage], source_kind: str) -> list[PageToLoad]:
    """The deduplication keys: exact content hash and MinHash/LSH buckets."""
    return [PageToLoad(page, fingerprint_article(page.url, page.title, page.text), source_kind) for page in pages]


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def read_validators(db_path: str, urls: list[str]) -> dict[str, tuple[str | None, str | None]]:
    with db.writer(db_path) as con:
        return validators(con, urls)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def unknown_urls(db_path: str, targets: list[Target]) -> list[Target]:
    """Links not yet in the frontier: known ones are re-fetched on their own schedule, not per mention."""
    with db.writer(db_path) as con:
        known = known_urls(con, [t.url for t in targets])
    return [t for t in targets if t.url not in known]


@task(cache_policy=NONE)
def fetch(fetcher: BackgroundFetcher, targets: list[Target],
          known: dict[str, tuple[str | None, str | None]]) -> list[FetchResult]:
    """Fetch concurrently within the politeness limits; the fetcher retries transient errors itself."""
    return fetcher.fetch_many(
        FetchRequest(t.url, *known.get(t.url, (None, None)), expect=EXPECT_BY_KIND[t.kind]) for t in targets
    )


@task(cache_policy=NONE)
def extract_fetched(targets: list[Target], results: list[FetchResult]) -> CrawlBatch:
    return process_fetch_results(targets, results)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def load(db_path: str, run_id: str, pages: list[PageToLoad], rejects: list[RejectRecord],
         crawl: CrawlRecords | None = None, policy: RecrawlPolicy | None = None) -> LoadCounts:
    # Retried: the database file may be briefly held by an analyst's --live session.
    with db.writer(db_path) as con:
        return load_batch(con, run_id, pages, rejects, crawl=crawl, policy=policy)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def start_run(db_path: str, run_id: str, flow_name: str, parameters: dict) -> int:
    with db.writer(db_path) as con:
        record_run_start(con, run_id, flow_name, parameters)
        return mark_abandoned_runs(con, flow_name, run_id)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def end_run(db_path: str, summary: RunSummary, status: str, error: str | None = None) -> None:
    with db.writer(db_path) as con:
        record_run_end(con, summary.run_id, status, summary.inputs_seen, summary.counts, error)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def publish_for_analysts(db_path: str) -> str:
    return str(publish_snapshot(db_path))


def load_files(db_file: str, run_id: str, files: list[InputFile], batch_size: int, summary: RunSummary) -> None:
    logger = get_run_logger()
    batches = [files[i : i + batch_size] for i in range(0, len(files), batch_size)]
    for number, batch in enumerate(batches, start=1):
        pages, rejects = extract_batch(batch)
        counts = load(db_file, run_id, fingerprint_batch(pages, "file"), rejects)
        summary.counts.add(counts)
        summary.rejects.extend(rejects)
        summary.input_rejects += len(rejects)
        logger.info(
            "batch %d/%d: %d files, %d new articles, %d new comments, %d rejects",
            number, len(batches), len(batch), counts.articles_new, counts.comments_new, len(rejects),
        )


def crawl(db_file: str, run_id: str, targets: list[Target], settings: Settings, summary: RunSummary,
          allow_private_hosts: bool | None = None) -> None:
    """Fetch targets, follow what feeds and sitemaps list (bounded), extract and load, batch by batch.

    All batches of a round are submitted at once: fetching batch N+1 overlaps extracting and
    loading batch N, within the fetcher's global and per-host limits.
    """
    logger = get_run_logger()
    policy = settings.recrawl_policy()
    seen = {t.url for t in targets}
    given = {t.url for t in targets if t.found_via == "input"}
    pending, depth = list(targets), 0
    with BackgroundFetcher(settings.fetch_settings(allow_private_hosts)) as fetcher:
        while pending and summary.urls_fetched < settings.max_urls_per_run:
            budget = settings.max_urls_per_run - summary.urls_fetched
            now_due, later = pending[:budget], pending[budget:]
            known = read_validators(db_file, [t.url for t in now_due])
            chunks = [now_due[i : i + settings.batch_size] for i in range(0, len(now_due), settings.batch_size)]
            fetches = [fetch.submit(fetcher, chunk, known) for chunk in chunks]
            found: list[Target] = []
            for chunk, fetched in zip(chunks, fetches):
                batch = extract_fetched(chunk, fetched.result())
                new_links = unknown_urls(db_file, [t for t in batch.discovered if t.url not in seen])
                seen.update(t.url for t in new_links)
                found.extend(new_links)
                records = CrawlRecords(batch.attempts, batch.visits + discovered_visits(new_links))
                counts = load(db_file, run_id, fingerprint_batch(batch.pages, "url"), batch.rejects, records, policy)
                summary.counts.add(counts)
                summary.rejects.extend(batch.rejects)
                summary.input_rejects += sum(r.source in given for r in batch.rejects)
                summary.urls_fetched += len(chunk)
                summary.urls_not_modified += batch.not_modified
                summary.urls_discovered += len(new_links)
                logger.info(
                    "fetched %d URLs (%d not modified, %d failed): %d new articles, %d new links",
                    len(chunk), batch.not_modified, len(batch.rejects), counts.articles_new, len(new_links),
                )
            depth += 1
            # Links beyond the depth or the run's budget stay in `urls`, due now: a later run fetches them.
            pending = later + found if depth <= settings.max_discovery_depth else []
    if pending:  # into the frontier, due now: the next run starts with them
        load(db_file, run_id, [], [], CrawlRecords(visits=discovered_visits(pending)), policy)
        logger.info("%d URLs left for a later run (max_urls_per_run=%d)", len(pending), settings.max_urls_per_run)


@flow(name=FLOW_NAME, log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest(
    paths: list[str] | None = None,
    db_path: str | None = None,
    batch_size: int | None = None,
    allow_private_hosts: bool | None = None,
) -> RunSummary:
    """Ingest local files (seed dumps, saved HTML, URL lists) and URLs into the DuckDB warehouse."""
    settings = Settings()
    if batch_size:
        settings = settings.model_copy(update={"batch_size": batch_size})
    db_file = str(Path(db_path) if db_path else settings.db_path)
    paths = [str(p) for p in (paths or [settings.seeds_dir])]
    run_id = str(flow_run.id or uuid.uuid4())
    logger = get_run_logger()
    started = time.monotonic()
    summary = RunSummary(run_id=run_id, db_path=db_file)

    with exclusive_run(db_file):
        parameters = {"paths": paths, "db_path": db_file, "batch_size": settings.batch_size,
                      "allow_private_hosts": allow_private_hosts}
        abandoned = start_run(db_file, run_id, FLOW_NAME, parameters)
        if abandoned:
            logger.warning("marked %d earlier run(s) that never finished as abandoned", abandoned)
        try:
            files, targets, discover_rejects = discover(paths)
            summary.inputs_seen = len(files) + len(targets) + len(discover_rejects)
            summary.rejects.extend(discover_rejects)
            summary.input_rejects += len(discover_rejects)
            summary.counts.add(load(db_file, run_id, [], discover_rejects))
            load_files(db_file, run_id, files, settings.batch_size, summary)
            crawl(db_file, run_id, targets, settings, summary, allow_private_hosts)
        except BaseException as exc:
            summary.seconds = time.monotonic() - started
            end_run(db_file, summary, "failed", f"{type(exc).__name__}: {exc}")
            raise
        summary.seconds = time.monotonic() - started
        end_run(db_file, summary, summary.status)
        publish_for_analysts(db_file)

    create_markdown_artifact(
        key="ingest-run-summary", markdown=summary.to_markdown(), description="newsmon ingest run summary"
    )
    return summary
