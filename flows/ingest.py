"""The `ingest` flow: local files and URLs → extract → deduplicate → load. Orchestration only.

Work is batched (one task call per batch of inputs, not per article) because Prefect's
per-task overhead dominates tiny tasks. Each batch is loaded in one transaction; a
rejected input is recorded and the run goes on.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import State
from prefect.utilities.annotations import quote
from pydantic import Field

from flows import progress
from flows.crawl import crawl
from flows.parallel import extraction_pool
from flows.run_record import recorded_run
from flows.runners import batches_in_flight, flow_task_runner
from flows.settings import Settings
from flows.states import final_state
from flows.summary import RunSummary, batch_line
from flows.tasks import FileToRead, discover, extract_batch, load

FLOW_NAME = "ingest"
EXTRACT_AHEAD = 3  # batches being extracted while one is loaded, on this machine


def load_files(db_file: str, run_id: str, files: list[FileToRead], settings: Settings, summary: RunSummary) -> None:
    """Extract a few batches ahead (on a process pool, or a Dask cluster, for large inputs) and
    load them in order, here: one writer."""
    logger = get_run_logger()
    batches = [files[i : i + settings.batch_size] for i in range(0, len(files), settings.batch_size)]
    ahead = batches_in_flight(settings, EXTRACT_AHEAD)
    progress.started("files", len(files))
    with extraction_pool(settings, len(files)) as pool:

        def extract(batch: list[FileToRead]) -> PrefectFuture:
            # not quote()d: a quoted argument does not survive the Dask runner (the task got tuples)
            return extract_batch.submit(batch, settings.max_input_bytes, pool)

        # a bounded look-ahead: extracted pages wait in memory until their batch is loaded
        extractions = deque(extract(batch) for batch in batches[:ahead])
        for number, batch in enumerate(batches, start=1):
            extracted = extractions.popleft().result()
            if number + ahead <= len(batches):
                extractions.append(extract(batches[number + ahead - 1]))
            counts, load_rejects = load(
                db_file, run_id, quote(extracted.pages), quote(extracted.rejects), inputs=quote(extracted.states)
            )
            rejects = extracted.rejects + load_rejects
            summary.counts.add(counts)
            summary.rejects.extend(rejects)
            summary.input_rejects += len(rejects)
            summary.inputs_unchanged += extracted.unchanged
            logger.info(batch_line(number, len(batches), len(batch), counts, len(rejects), extracted.unchanged))
            progress.advanced(len(batch))
    progress.finished()


@flow(name=FLOW_NAME, log_prints=False, task_runner=flow_task_runner(Settings()))
def ingest(
    paths: Annotated[list[Annotated[str, Field(min_length=1)]] | None, Field(min_length=1)] = None,
    db_path: Annotated[str | None, Field(min_length=1)] = None,
    batch_size: Annotated[int | None, Field(ge=1)] = None,
    allow_private_hosts: bool | None = None,
    max_minutes: Annotated[float | None, Field(gt=0)] = None,
    reread: bool = False,
) -> State:
    """Ingest local files (seed dumps, saved HTML, URL lists) and URLs into the DuckDB warehouse.

    Ends `Completed`, `Completed` named CompletedWithRejects, or `Failed` named AllInputsRejected
    when inputs were named and none loaded (flows/states.py); the RunSummary is the result.

    Args:
        paths: files, directories, URLs (articles, feeds, sitemaps) and URL-list files to ingest;
            default: the seeds directory (NEWSMON_SEEDS_DIR)
        db_path: the lake's catalog: a SQLite file or postgres:<libpq string>; default: NEWSMON_CATALOG
        batch_size: inputs per extract/load batch, each loaded in one transaction; default:
            NEWSMON_BATCH_SIZE
        allow_private_hosts: fetch loopback and private addresses; default: NEWSMON_ALLOW_PRIVATE_HOSTS
        max_minutes: the run's time limit: URLs not fetched by then go back to the frontier,
            deferred; default: none
        reread: read every file again, even one unchanged since these extractors read it (a file
            read before and unchanged since is skipped otherwise)
    """
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
        "reread": reread,
    }
    with recorded_run(FLOW_NAME, summary, parameters, settings.data_path):
        found = discover(paths, settings.max_input_bytes, db_file, reread)
        summary.inputs_seen = len(found.files) + found.unchanged + len(found.targets) + len(found.rejects)
        summary.inputs_unchanged = found.unchanged
        summary.rejects.extend(found.rejects)
        summary.input_rejects += len(found.rejects)
        if found.rejects:
            summary.counts.add(load(db_file, summary.run_id, [], quote(found.rejects))[0])
        load_files(db_file, summary.run_id, found.files, settings, summary)
        crawl(db_file, summary.run_id, found.targets, settings, summary, allow_private_hosts, deadline)

    create_markdown_artifact(
        key="ingest-run-summary", markdown=summary.to_markdown(), description="newsmon ingest run summary"
    )
    return final_state(summary)
