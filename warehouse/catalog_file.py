"""Is this file a lake's SQLite catalog? Asked before anything opens it (newsmon's `--db` check).

DuckDB's sqlite extension would treat any SQLite file as a catalog to create (a writer puts
DuckLake's tables into it) and any other file as a damaged one; `--db README.md` deserves
neither. A catalog is a SQLite database with DuckLake's `ducklake_metadata` table.

Read-only: the file is opened with SQLite's `mode=ro`, nothing is written beside it. Call it
before this process opens the catalog with DuckDB: closing a second SQLite connection to a file
drops the process's POSIX locks on it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

__all__ = ["catalog_file_problem"]

_SQLITE_HEADER = b"SQLite format 3\x00"


def catalog_file_problem(path: str | Path) -> str | None:
    """Why the existing `path` is not a DuckLake SQLite catalog, or None when it is one, or may
    be one that is damaged or busy (the catalog's own opening says which, as a storage error)."""
    path = Path(path)
    if path.is_dir():
        return "is a directory"
    try:
        with open(path, "rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError:
        return None  # unreadable: a storage problem, for the opening to report
    if not header:
        return "is an empty file"
    if header != _SQLITE_HEADER:
        return "is not a SQLite database"
    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=5)
        try:
            found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ducklake_metadata'")
            is_lake = found.fetchone() is not None
        finally:
            con.close()
    except sqlite3.Error:
        return None  # a damaged or locked catalog: not a wrong file
    return None if is_lake else "is a SQLite database but no DuckLake catalog (it has no ducklake_metadata table)"
