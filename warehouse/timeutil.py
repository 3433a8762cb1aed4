"""The warehouse stores every timestamp as UTC without a zone (DuckDB TIMESTAMP)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utc_naive(value: datetime | None) -> datetime | None:
    """A zoned time converted to UTC; a naive one is taken as already UTC (or as the page wrote it)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
