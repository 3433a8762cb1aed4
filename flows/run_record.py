"""Bookkeeping every flow run shares: the run lock and its `runs` row."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger

from flows.states import failure
from flows.summary import RunSummary
from flows.tasks import end_run, finish_run, start_run
from warehouse import db
from warehouse.run_lock import exclusive_run


@contextmanager
def recorded_run(flow_name: str, summary: RunSummary, parameters: dict, data_path: str | None = None) -> Iterator[None]:
    """Hold the run lock; write the `runs` row at start and end (its snapshot id with it), its
    status as the summary's (a run whose every input was rejected ends `failed`, the reason in
    `runs.error`). Names the summary's flow.

    A second run while one holds the lock stops at once with RunInProgress (never two
    writers). A failure ends the row as `failed` with the error, then propagates. The run's
    tasks share one lake connection (db.kept_open): it is attached and migrated once.
    """
    logger = get_run_logger()
    summary.flow_name = flow_name
    started = time.monotonic()
    with exclusive_run(summary.db_path), db.kept_open(summary.db_path):
        abandoned = start_run(summary.db_path, summary.run_id, flow_name, parameters, data_path)
        if abandoned:
            logger.warning("marked %d earlier run(s) that never finished as abandoned", abandoned)
        try:
            yield
        except BaseException as exc:
            summary.seconds = time.monotonic() - started
            end_run(summary.db_path, summary, "failed", f"{type(exc).__name__}: {exc}")
            raise
        summary.seconds = time.monotonic() - started
        summary.notes.extend(finish_run(summary.db_path, summary, summary.status, failure(summary)))
