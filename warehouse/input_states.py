"""What the warehouse remembers of each local file it read (`input_states`): enough to skip
an unchanged file on the next run without reading it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

import duckdb

from extractors.records import InputState
from warehouse.arrow_io import insert_rows

_COLUMNS = ("source", "size", "mtime_ns", "content_sha256", "extractor_version", "outcome")


def known_input_states(con: duckdb.DuckDBPyConnection, sources: Sequence[str]) -> dict[str, InputState]:
    """The last state of each of `sources` that was read before."""
    rows = con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM input_states WHERE source IN (SELECT unnest(?))", [list(sources)]
    ).fetchall()
    return {row[0]: InputState(*row) for row in rows}


def write_input_states(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, states: Sequence[InputState]
) -> None:
    """Record each file's state as read now; the caller holds the batch's transaction, so a
    file counts as read only once its pages or its reject are in."""
    latest = {s.source: s for s in states}  # one row per path, even if a batch named it twice
    rows = [{**asdict(s), "run_id": run_id, "read_at": now} for s in latest.values()]
    insert_rows(con, "input_states", rows, key=["source"], update=[*_COLUMNS[1:], "run_id", "read_at"])
