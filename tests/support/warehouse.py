"""Reading and poking the warehouse from tests, only through `warehouse.db` (never the raw file):
whatever the storage is underneath, `db.reader` and `db.writer` are the way in."""

from __future__ import annotations

import resource
import signal
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from warehouse import db

# The tables a load fills; their row counts say whether two loads stored the same rows.
BASE_TABLES = ("articles", "comments", "sightings", "rejects", "article_minhash", "article_lsh_buckets")


def rows(db_path: str | Path, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
    """Every row of one query, on a read-only connection."""
    with db.reader(db_path) as con:
        return con.execute(sql, params or []).fetchall()


def table_counts(db_path: str | Path, tables: Iterable[str] = BASE_TABLES) -> dict[str, int]:
    """{table: row count} for `tables` (by default the tables a load fills)."""
    with db.reader(db_path) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def execute(db_path: str | Path, sql: str, params: Sequence[Any] | None = None) -> None:
    """One write statement on a writer connection (e.g. to make a source due again)."""
    with db.writer(db_path) as con:
        con.execute(sql, params or [])


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """In this process, writes past `limit` bytes of any file fail (EFBIG), as on a full disk:
    SIGXFSZ is ignored, so the write returns an error instead of killing the process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
