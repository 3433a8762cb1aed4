"""The `rejects` table: inputs that could not be loaded, with why, one row per
(input version, stage, reason); seeing the same failure again updates its row."""

from __future__ import annotations

from datetime import datetime

import duckdb

from extractors.records import LoadCounts, RejectRecord
from warehouse.arrow_io import insert_rows
from warehouse.dedup import sha256_hex

__all__ = ["reject_id", "write_rejects"]


def reject_id(reject: RejectRecord) -> str:
    """Stable per (input, content, stage, reason): seeing the same failure again updates its row."""
    return sha256_hex(reject.source, reject.input_hash or "", reject.stage, reject.reason)[:16]


def write_rejects(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, rejects: list[RejectRecord]
) -> LoadCounts:
    rows = {
        reject_id(r): {
            "reject_id": reject_id(r),
            "source": r.source,
            "input_hash": r.input_hash,
            "stage": r.stage,
            "reason": r.reason,
            "detail": r.detail,
            "first_seen_at": now,
            "last_seen_at": now,
            "first_run_id": run_id,
            "last_run_id": run_id,
        }
        for r in rejects
    }
    insert_rows(
        con,
        "rejects",
        list(rows.values()),
        key=("reject_id",),
        update=("last_seen_at", "last_run_id", "detail"),
    )
    return LoadCounts(rejects=len(rejects))
