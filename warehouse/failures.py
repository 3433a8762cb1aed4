"""Whose fault is a failed write: one page's data, or the storage's?

The answer decides what a run does next. A page the database refuses (a value out of range, a
broken constraint) costs that page only: it becomes a `load_error` reject and the batch goes in
without it. Anything else (disk full, a file we may not write, a damaged data file, a bug) is
not about the page: the batch is not loaded in pieces, the run stops with one clear line, and
the next run finishes the work.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from extractors.errors import DatabaseBusy, StorageDamaged, StorageWriteFailed, WarehouseError

__all__ = ["is_data_error", "storage_failure"]

# Errors a value of one page can cause: DuckDB's data and integrity errors, Arrow's conversion
# errors, and Python's own for a value it cannot take.
_DATA_ERRORS = (duckdb.DataError, duckdb.IntegrityError, pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError)
_DAMAGE_WORDS = (
    "failed to read file",
    "in parquet file",
    "corrupt",
    "checksum",
    "decompression",
    "magic bytes",
    "not a database",
    "malformed",
    "truncated",
    "no such file",
)
_BUSY_WORDS = ("locked", "busy")
# A write the storage could not take (a failed commit hides its cause: SQLite's error is lost
# in DuckLake's rollback message).
_WRITE_WORDS = (
    "failed to commit",
    "could not write",
    "no space left",
    "disk is full",
    "file too large",
    "disk i/o error",
    "permission denied",
    "read-only",
)


def is_data_error(error: BaseException) -> bool:
    """True when `error` is about the values written (one page's fault), not about the storage.
    A storage error that DuckDB reports as invalid input (a damaged Parquet file) is not data."""
    if isinstance(error, (WarehouseError, OSError)):
        return False
    if isinstance(error, duckdb.Error) and _mentions(error, _DAMAGE_WORDS):
        return False
    return isinstance(error, _DATA_ERRORS)


def storage_failure(error: BaseException, what: str) -> WarehouseError:
    """The WarehouseError to stop with: `what` (e.g. "cannot load into the lake …"), then why."""
    if isinstance(error, WarehouseError):
        return error
    message = _first_line(str(error)) or type(error).__name__
    if _mentions(error, _BUSY_WORDS):
        return DatabaseBusy(f"{what}: it is busy: {message}")
    if _mentions(error, _DAMAGE_WORDS):
        return StorageDamaged(f"{what}: the lake is damaged ({message}); restore it from a backup")
    if isinstance(error, (OSError, duckdb.IOException)) or _mentions(error, _WRITE_WORDS):
        return StorageWriteFailed(f"{what}: {message}; nothing of this batch was kept, the next run finishes the work")
    return WarehouseError(f"{what}: {message}")


def _mentions(error: BaseException, words: tuple[str, ...]) -> bool:
    text = str(error).lower()
    return any(word in text for word in words)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else ""
