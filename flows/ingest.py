"""The `ingest` flow: local files and URLs → extract → deduplicate → load. Orchestration only.

Work is batched (one task call per batch of inputs, not per article) because Prefect's
per-task overhead dominates tiny tasks. Each batch is loaded in one transaction; a
rejected input is recorded and the run goes on.
"""

from __future__ import annotations

import time
import uuid
from collections import deque

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from extractors.local_files import InputFile
from flows.crawl import crawl
from flows.parallel import extraction_pool
from flows.run_record import recorded_run
from flows.runners import flow_task_runner
from flows.settings import Settings
from flows.summary import RunSummary
from flows.tasks import discover, extract_batch, fingerprint_batch, load

FLOW_NAME = "ingest"
EXTRACT_AHEAD = 3  # batches being extracted while one is loaded


def load_files(db_file: str, run_id: str, files: list[InputFile], settings: Settings, summary: RunSummary) -> None:
    """Extract a few batches ahead (on a process pool for large inputs), load them in order."""
    logger = get_run_logger()
    batches = [files[i : i + settings.batch_size] for i in range(0, len(files), settings.batch_size)]
    with extraction_pool(settings, len(files)) as pool:
        # a bounded look-ahead: extracted pages wait in memory until their batch is loaded
        extractions = deque(
            extract_batch.submit(batch, settings.max_input_bytes, pool) for batch in batches[:EXTRACT_AHEAD]
        )
        for number, batch in enumerate(batches, start=1):
            pages, rejects = extractions.popleft().result()
            if number + EXTRACT_AHEAD <= len(batches):
                extractions.append(
                    extract_batch.submit(batches[number + EXTRACT_AHEAD - 1], settings.max_input_bytes, pool)
                )
            counts, load_rejects = load(db_file, run_id, fingerprint_batch(pages, "file"), rejects)
            summary.counts.add(counts)
            summary.rejects.extend(rejects + load_rejects)
            summary.input_rejects += len(rejects) + len(load_rejects)
            logger.info(
                "batch %d/%d: %d files, %d new articles, %d new comments, %d rejects",
                number,
                len(batches),
                len(batch),
                counts.articles_new,
                counts.comments_new,
                len(rejects) + len(load_rejects),
            )


@flow(name=FLOW_NAME, log_prints=False, task_runner=flow_task_runner(Settings()))
def ingest(
    paths: list[str] | None = None,
    db_path: str | None = None,
    batch_size: int | None = None,
    allow_private_hosts: bool | None = None,
    max_minutes: float | None = None,
) -> RunSummary:
    """Ingest local files (seed dumps, saved HTML, URL lists) and URLs into the DuckDB warehouse."""
    settings = Settings()
    deadline = time.monotonic() + max_minutes * 60 if max_minutes else None
    if batch_size:
        settings = settings.model_copy(update={"batch_size": batch_size})
    db_file = str(db_path or settings.catalog)
    paths = [str(p) for p in (paths or [settings.seeds_dir])]
    summary = RunSummary(run_id=str(flow_run.id or uuid.uuid4()), db_path=db_file)
    parameters = {
        "paths": paths,
        "db_path": db_file,
        "batch_size": settings.batch_size,
        "allow_private_hosts": allow_private_hosts,
        "max_minutes": max_minutes,
    }
    with recorded_run(FLOW_NAME, summary, parameters, settings.data_path):
        files, targets, discover_rejects = discover(paths, settings.max_input_bytes)
        summary.inputs_seen = len(files) + len(targets) + len(discover_rejects)
        summary.rejects.extend(discover_rejects)
        summary.input_rejects += len(discover_rejects)
        summary.counts.add(load(db_file, summary.run_id, [], discover_rejects)[0])
        load_files(db_file, summary.run_id, files, settings, summary)
        crawl(db_file, summary.run_id, targets, settings, summary, allow_private_hosts, deadline)

    create_markdown_artifact(
        key="ingest-run-summary", markdown=summary.to_markdown(), description="newsmon ingest run summary"
    )
    return summary
