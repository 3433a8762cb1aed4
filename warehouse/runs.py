"""The `runs` table: one row per flow run, written at start and completed at the end."""
from __future__ import annotations

import json

import duckdb

from warehouse.load import LoadCounts
from warehouse.timeutil import utc_now


def record_run_start(con: duckdb.DuckDBPyConnection, run_id: str, flow_name: str, parameters: dict) -> None:
    con.execute(
        """INSERT INTO runs (run_id, flow_name, parameters, started_at, status)
           VALUES (?, ?, ?, ?, 'running')
           ON CONFLICT (run_id) DO UPDATE SET status = 'running', finished_at = NULL, error = NULL""",
        [run_id, flow_name, json.dumps(parameters, default=str), utc_now()],
    )


def record_run_end(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    inputs_seen: int,
    counts: LoadCounts,
    error: str | None = None,
) -> None:
    con.execute(
        """UPDATE runs SET finished_at = ?, status = ?, inputs_seen = ?, articles_new = ?,
                  articles_duplicate = ?, articles_near_duplicate = ?, comments_new = ?,
                  comments_spam = ?, rejects = ?, error = ?
           WHERE run_id = ?""",
        [utc_now(), status, inputs_seen, counts.articles_new, counts.articles_duplicate,
         counts.articles_near_duplicate, counts.comments_new, counts.comments_spam, counts.rejects,
         error, run_id],
    )


def mark_abandoned_runs(con: duckdb.DuckDBPyConnection, flow_name: str, current_run_id: str) -> int:
    """Runs of this flow still 'running' were killed: the one-writer lock means none is alive now."""
    return con.execute(
        """UPDATE runs SET status = 'abandoned', error = 'process ended before the run finished'
           WHERE flow_name = ? AND status = 'running' AND run_id <> ?""",
        [flow_name, current_run_id],
    ).fetchone()[0]
