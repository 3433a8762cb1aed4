"""The `runs` table: one row per flow run, written at start and completed at the end."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from extractors.records import LoadCounts
from warehouse.timeutil import utc_now


@dataclass(frozen=True)
class CrawlCounts:
    sources_polled: int = 0
    urls_fetched: int = 0
    urls_not_modified: int = 0
    urls_discovered: int = 0


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
    crawl: CrawlCounts | None = None,
    error: str | None = None,
) -> None:
    crawl = crawl or CrawlCounts()
    con.execute(
        """UPDATE runs SET finished_at = ?, status = ?, inputs_seen = ?, articles_new = ?,
                  articles_duplicate = ?, articles_near_duplicate = ?, comments_new = ?,
                  comments_spam = ?, rejects = ?, error = ?, sources_polled = ?, urls_fetched = ?,
                  urls_not_modified = ?, urls_discovered = ?, articles_revised = ?
           WHERE run_id = ?""",
        [
            utc_now(),
            status,
            inputs_seen,
            counts.articles_new,
            counts.articles_duplicate,
            counts.articles_near_duplicate,
            counts.comments_new,
            counts.comments_spam,
            counts.rejects,
            error,
            crawl.sources_polled,
            crawl.urls_fetched,
            crawl.urls_not_modified,
            crawl.urls_discovered,
            counts.articles_updated,
            run_id,
        ],
    )


def mark_abandoned_runs(con: duckdb.DuckDBPyConnection, current_run_id: str) -> int:
    """Runs still 'running' died: every flow holds the warehouse's run lock (warehouse/run_lock.py)
    while it runs, and the caller holds it now, so no other run is alive."""
    return con.execute(
        """UPDATE runs SET status = 'abandoned', error = 'process ended before the run finished'
           WHERE status = 'running' AND run_id <> ?""",
        [current_run_id],
    ).fetchone()[0]
