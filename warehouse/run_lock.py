"""One run at a time per warehouse: an advisory lock file beside its catalog.

A lake takes one writer at a time (the SQLite catalog refuses a second), but only while a connection is
open; flows open the database per load batch so readers can get in between.
This lock spans the whole run, so two runs never interleave their batches and a
run still marked 'running' without the lock held is known to be dead.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractors.errors import RunInProgress
from warehouse.db import catalog_of


def lock_path_of(spec: str | Path) -> Path:
    """Beside the SQLite catalog, resolved, so a symlinked path takes the same lock."""
    return Path(f"{catalog_of(spec).location}.run.lock")


def run_lock_holder(spec: str | Path) -> str | None:
    """Who holds the run lock, or None: probed with a shared lock that is let go at once, on the
    lock file if there is one (never created here: a wrong --db must leave nothing beside it)."""
    try:
        fd = os.open(lock_path_of(spec), os.O_RDONLY)
    except OSError:
        return None  # no lock file: no run ever held it
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
    finally:
        os.close(fd)
    return None


@contextmanager
def exclusive_run(db_path: str | Path) -> Iterator[None]:
    """Hold the run lock of a SQLite catalog for the block. A PostgreSQL catalog takes many
    writers at once (each write transaction conflicts with any that overlaps it and is retried,
    warehouse/arrow_io.py), so its runs take no lock."""
    if catalog_of(db_path).kind != "sqlite":
        yield
        return
    lock_path = lock_path_of(db_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise RunInProgress(
                f"another newsmon run (pid {holder}) is writing {db_path}; runs never overlap, "
                "so this one stops here: try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
