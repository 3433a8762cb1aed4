"""The `ingest` flow: local files → extract → deduplicate → load. Orchestration only.

Work is batched (one task call per batch of inputs, not per article) because
Prefect's per-task overhead dominates tiny tasks. Each batch is loaded in one
transaction; a rejected input is recorded and the run goes on.
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

from extractors.document import ParsedPage
from extractors.errors import InputRejected
from extractors.local_files import InputFile, discover_inputs, parse_input
from newsmon.settings import Settings
from newsmon.summary import RunSummary
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.load import LoadCounts, PageToLoad, RejectRecord, load_batch
from warehouse.publish import publish_snapshot
from warehouse.run_lock import exclusive_run
from warehouse.runs import mark_abandoned_runs, record_run_end, record_run_start

FLOW_NAME = "ingest"


@task(cache_policy=NONE)
def discover(paths: list[str]) -> tuple[list[InputFile], list[RejectRecord]]:
    inputs, problems = discover_inputs(paths)
    rejects = [RejectRecord(p.source, p.error.stage, p.error.reason, p.error.detail) for p in problems]
    return inputs, rejects


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
def fingerprint_batch(pages: list[ParsedPage]) -> list[PageToLoad]:
    """The deduplication keys: exact content hash and MinHash/LSH buckets."""
    return [
        PageToLoad(page, fingerprint_article(page.url, page.title, page.text), "file")
        for page in pages
    ]


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def load(db_path: str, run_id: str, pages: list[PageToLoad], rejects: list[RejectRecord]) -> LoadCounts:
    # Retried: the database file may be briefly held by an analyst's read-only session.
    with db.writer(db_path) as con:
        return load_batch(con, run_id, pages, rejects)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def start_run(db_path: str, run_id: str, parameters: dict) -> int:
    with db.writer(db_path) as con:
        record_run_start(con, run_id, FLOW_NAME, parameters)
        return mark_abandoned_runs(con, FLOW_NAME, run_id)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def end_run(db_path: str, summary: RunSummary, status: str, error: str | None = None) -> None:
    with db.writer(db_path) as con:
        record_run_end(con, summary.run_id, status, summary.inputs_seen, summary.counts, error)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[1, 5])
def publish_for_analysts(db_path: str) -> str:
    return str(publish_snapshot(db_path))


@flow(name=FLOW_NAME, log_prints=False)
def ingest(paths: list[str] | None = None, db_path: str | None = None, batch_size: int | None = None) -> RunSummary:
    """Ingest local files (seed dumps, saved HTML) into the DuckDB warehouse."""
    settings = Settings()
    db_file = str(Path(db_path) if db_path else settings.db_path)
    paths = [str(p) for p in (paths or [settings.seeds_dir])]
    batch_size = batch_size or settings.batch_size
    run_id = str(flow_run.id or uuid.uuid4())
    logger = get_run_logger()
    started = time.monotonic()
    summary = RunSummary(run_id=run_id, db_path=db_file)

    with exclusive_run(db_file):
        abandoned = start_run(db_file, run_id, {"paths": paths, "db_path": db_file, "batch_size": batch_size})
        if abandoned:
            logger.warning("marked %d earlier run(s) that never finished as abandoned", abandoned)
        try:
            inputs, discover_rejects = discover(paths)
            summary.inputs_seen = len(inputs) + len(discover_rejects)
            summary.rejects.extend(discover_rejects)
            batches = [inputs[i : i + batch_size] for i in range(0, len(inputs), batch_size)] or [[]]
            for number, batch in enumerate(batches, start=1):
                pages, rejects = extract_batch(batch)
                batch_rejects = rejects + (discover_rejects if number == 1 else [])
                counts = load(db_file, run_id, fingerprint_batch(pages), batch_rejects)
                summary.counts.add(counts)
                summary.rejects.extend(rejects)
                logger.info(
                    "batch %d/%d: %d inputs, %d new articles, %d new comments, %d rejects",
                    number, len(batches), len(batch), counts.articles_new, counts.comments_new, len(rejects),
                )
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
