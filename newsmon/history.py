"""`newsmon runs`: the recent runs, as the `runs` table recorded them, with their rejects by reason."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

import duckdb
import typer

from newsmon.app import DbOption, FormatOption, app, catalog_spec, table_width
from newsmon.query_output import OutputFormat, render
from warehouse import db

COLUMNS = (
    "run_id",
    "flow",
    "status",
    "started_utc",
    "seconds",
    "inputs",
    "articles_new",
    "near_duplicates",
    "comments_new",
    "rejects",
    "rejects_by_reason",
)


@app.command()
def runs(
    last: Annotated[int, typer.Option("--last", "-n", min=0, help="the last N runs (0: all)")] = 10,
    output_format: FormatOption = OutputFormat.table,
    db_path: DbOption = None,
) -> None:
    """The last runs, oldest first: flow, status, start, duration, counts and rejects by reason."""
    with db.reader(catalog_spec(db_path)) as con:
        recorded = con.execute(
            """SELECT * FROM (
                   SELECT run_id, flow_name, status, started_at, finished_at, inputs_seen, articles_new,
                          articles_near_duplicate, comments_new, rejects, snapshot_id
                   FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?
               ) ORDER BY started_at, run_id""",
            [last or None],  # LIMIT NULL: every row
        ).fetchall()
        snapshots = {row[0] for row in con.execute(f"SELECT snapshot_id FROM {db.LAKE}.snapshots()").fetchall()}
        reasons = {row[0]: _reject_reasons(con, row[0], row[-1], snapshots) for row in recorded}
    rows = [
        (
            run_id,
            flow,
            status,
            started.replace(microsecond=0),
            _seconds(started, finished),
            *counts,
            _by_reason(reasons[run_id], output_format),
        )
        for run_id, flow, status, started, finished, *counts, _snapshot in recorded
    ]
    typer.echo(render(output_format, COLUMNS, rows, width=table_width(output_format, None), null=""), nl=False)


def _reject_reasons(
    con: duckdb.DuckDBPyConnection, run_id: str, snapshot_id: int | None, snapshots: set[int]
) -> Counter[str]:
    """The run's rejects by reason. A `rejects` row names only the last run that saw it, so each run
    is read as it left the lake (its snapshot); a running run, or one whose snapshot has expired,
    from the lake as it is now (then rejects seen again by later runs count there instead)."""
    at = " AT (VERSION => $snapshot)" if snapshot_id in snapshots else ""
    found = con.execute(
        f"SELECT reason, count(*) FROM rejects{at} WHERE last_run_id = $run_id GROUP BY reason",
        {"run_id": run_id} | ({"snapshot": snapshot_id} if at else {}),
    ).fetchall()
    return Counter(dict(found))


def _seconds(started: datetime, finished: datetime | None) -> float | None:
    return round((finished - started).total_seconds(), 1) if finished else None


def _by_reason(reasons: Counter[str], output_format: OutputFormat) -> Any:
    """An object in JSON; `reason count, …` (most first) in the other formats."""
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    if output_format in (OutputFormat.json, OutputFormat.jsonl):
        return dict(ordered)
    return ", ".join(f"{reason} {count}" for reason, count in ordered)
