"""The analysts' copy: a read-only snapshot of the warehouse, replaced atomically after each run.

DuckDB lets no other process open a file while one process writes it, not even
read-only. So runs write the working file and, once a run has finished, publish a
copy beside it; analysts read the copy and always see the last finished run,
whatever the scheduler is doing. `os.replace` swaps the file atomically: a query
that has the old copy open keeps reading it, the next one opens the new one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def snapshot_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}.snapshot{db_path.suffix}")


def publish_snapshot(db_path: str | Path) -> Path:
    """Copy the (closed, checkpointed) working database to its snapshot path, atomically."""
    db_path = Path(db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute("CHECKPOINT")  # fold the write-ahead log into the file we copy
    target = snapshot_path(db_path)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(db_path, staging)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return target
