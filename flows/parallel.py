"""A process pool for CPU-bound extraction (trafilatura is ~25 pages/s per core here)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from flows.runners import uses_local_processes
from flows.settings import Settings

# Below this many files the pool's start-up (a fresh interpreter importing trafilatura,
# about two seconds) costs more than the second core gains (bench/ingest_files.py: 121 HTML pages
# ran 0.7× as fast on a pool of 2, 484 pages 1.4× as fast).
MIN_FILES_FOR_POOL = 200


@contextmanager
def extraction_pool(settings: Settings, files: int) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of `settings.extract_processes` workers for a run with `files` inputs, or None:
    extract in the task itself (few files, one process, or tasks that run on a Dask cluster)."""
    processes = settings.extract_processes
    if processes < 2 or files < MIN_FILES_FOR_POOL or not uses_local_processes(settings):
        yield None
        return
    # spawn, not fork: the flow process runs Prefect's threads, and forking threads can deadlock
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool
