"""Opening the DuckDB file: writers migrate it, readers never hold a write lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from extractors.errors import DatabaseBusy, DatabaseMissing
from warehouse.migrate import apply_migrations


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(
                f"{path} is being written by another process (DuckDB allows one writer and no "
                "readers beside it); try again when the run has finished"
            ) from exc
        raise


@contextmanager
def writer(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with every migration applied."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only=False)
    try:
        apply_migrations(con)
        yield con
    finally:
        con.close()


@contextmanager
def reader(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; the file must exist."""
    path = Path(path)
    if not path.exists():
        raise DatabaseMissing(f"no database at {path}: run `newsmon ingest` first")
    con = _connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()
