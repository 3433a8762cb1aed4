"""Keeping a lake small and fast: merge small files, expire old snapshots, delete unused files.

Every batch is one commit, so a lake that loads every 15 minutes gathers many small Parquet
files and a snapshot per commit. Maintenance merges adjacent small files, expires snapshots
older than the history kept for time travel, and deletes the files no snapshot needs any more
(after a grace period, so a reader still scanning them is not cut off).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse import db
from warehouse.db import LAKE

__all__ = ["LakeFiles", "MaintenanceReport", "lake_files", "maintain"]


@dataclass(frozen=True)
class LakeFiles:
    files: int
    bytes: int
    snapshots: int


@dataclass(frozen=True)
class MaintenanceReport:
    before: LakeFiles
    after: LakeFiles
    files_merged: int
    snapshots_expired: int
    files_deleted: int


def lake_files(con: duckdb.DuckDBPyConnection) -> LakeFiles:
    """Data files under the lake's data path (on disk when it is local, else as the catalog
    lists them), their bytes, and the snapshots kept."""
    data_path = db.data_path(con)
    snapshots = con.execute(f"SELECT count(*) FROM {LAKE}.snapshots()").fetchall()[0][0]
    if Path(data_path).is_dir():
        sizes = [entry.stat().st_size for entry in _walk(Path(data_path))]
        return LakeFiles(len(sizes), sum(sizes), snapshots)
    files, size = con.execute(
        f"SELECT count(*), coalesce(sum(file_size_bytes), 0) FROM __ducklake_metadata_{LAKE}.ducklake_data_file"
    ).fetchall()[0]
    return LakeFiles(files, size, snapshots)


def maintain(con: duckdb.DuckDBPyConnection, history_days: float, grace_minutes: float) -> MaintenanceReport:
    """Merge, expire snapshots older than `history_days`, delete files unused for `grace_minutes`."""
    before = lake_files(con)
    con.execute(f"CALL ducklake_flush_inlined_data('{LAKE}')").fetchall()  # small inserts wait in the catalog
    merged = len(con.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}')").fetchall())
    expired = len(
        con.execute(
            f"CALL ducklake_expire_snapshots('{LAKE}', older_than => now() - to_seconds($seconds))",
            {"seconds": int(history_days * 86400)},
        ).fetchall()
    )
    grace = {"seconds": int(grace_minutes * 60)}
    deleted = len(
        con.execute(
            f"CALL ducklake_cleanup_old_files('{LAKE}', older_than => now() - to_seconds($seconds))", grace
        ).fetchall()
    )
    deleted += len(
        con.execute(
            f"CALL ducklake_delete_orphaned_files('{LAKE}', older_than => now() - to_seconds($seconds))", grace
        ).fetchall()
    )
    return MaintenanceReport(before, lake_files(con), merged, expired, deleted)


def _walk(directory: Path) -> list[os.DirEntry]:
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                found += _walk(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                found.append(entry)
    return found
