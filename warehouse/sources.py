"""Syncing the watchlist into the warehouse: the `sources` table and the sources' rows in `urls`."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from extractors.records import WatchedSource
from warehouse.arrow_io import registered, retrying, table_schema, transaction

__all__ = ["source_schedule", "sync_sources"]

_WATCHED = ("name", "kind", "url", "poll_interval_min", "tags", "max_new_articles")


def sync_sources(con: duckdb.DuckDBPyConnection, sources: list[WatchedSource], run_id: str, now: datetime) -> None:
    """Upsert the watched sources; mark the others inactive and stop polling them; a source whose
    interval changed is rescheduled. One transaction."""
    retrying(lambda: _sync_once(con, sources, run_id, now))


def _sync_once(con: duckdb.DuckDBPyConnection, sources: list[WatchedSource], run_id: str, now: datetime) -> None:
    columns = table_schema(con, "sources")  # typed like the table, also when the watchlist is empty
    rows = pa.Table.from_pylist(
        [
            {
                "name": s.name,
                "kind": s.kind,
                "url": s.url,
                "poll_interval_min": s.poll_interval_min,
                "tags": list(s.tags),
                "max_new_articles": s.max_new_articles,
            }
            for s in sources
        ],
        schema=pa.schema([columns.field(name) for name in _WATCHED]),
    )
    with transaction(con), registered(con, "watchlist", rows):
        con.execute(
            """INSERT INTO sources (name, kind, url, poll_interval_min, tags, max_new_articles, active,
                                    first_seen_at, updated_at)
               SELECT name, kind, url, poll_interval_min, tags, max_new_articles, true, ?, ? FROM watchlist
               WHERE name NOT IN (SELECT name FROM sources)""",
            [now, now],
        )
        con.execute(
            """UPDATE sources SET kind = w.kind, url = w.url, poll_interval_min = w.poll_interval_min,
                   tags = w.tags, max_new_articles = w.max_new_articles, active = true, updated_at = ?
               FROM watchlist w WHERE sources.name = w.name
                 AND (sources.kind, sources.url, sources.poll_interval_min, sources.tags,
                      sources.max_new_articles, sources.active)
                     IS DISTINCT FROM (w.kind, w.url, w.poll_interval_min, w.tags, w.max_new_articles, true)""",
            [now],
        )
        con.execute(
            """UPDATE sources SET active = false, updated_at = ?
               WHERE active AND name NOT IN (SELECT name FROM watchlist)""",
            [now],
        )
        con.execute(
            """INSERT INTO urls (url, kind, found_via, first_seen_at, first_run_id, next_fetch_at, poll_interval_min)
               SELECT url, kind, 'watchlist', ?, ?, ?, poll_interval_min FROM watchlist
               WHERE url NOT IN (SELECT url FROM urls)""",
            [now, run_id, now],
        )
        # A new interval on the watchlist restarts the source's adaptive interval there, and
        # reschedules it: its last poll + the new interval, or now if that is past.
        con.execute(
            """UPDATE urls SET poll_interval_min = w.poll_interval_min, adaptive_interval_min = w.poll_interval_min,
                   next_fetch_at = greatest(coalesce(urls.last_fetched_at + to_microseconds(
                       CAST(w.poll_interval_min * 60e6 AS BIGINT)), ?), ?)
               FROM watchlist w
               WHERE urls.url = w.url AND urls.poll_interval_min IS DISTINCT FROM w.poll_interval_min""",
            [now, now],
        )
        con.execute(
            """UPDATE urls SET kind = w.kind, poll_interval_min = w.poll_interval_min,
                   next_fetch_at = coalesce(urls.next_fetch_at, ?)
               FROM watchlist w WHERE urls.url = w.url
                 AND (urls.kind, urls.poll_interval_min, urls.next_fetch_at IS NULL)
                     IS DISTINCT FROM (w.kind, w.poll_interval_min, false)""",
            [now],
        )
        con.execute(
            """UPDATE urls SET next_fetch_at = NULL
               WHERE found_via = 'watchlist' AND url NOT IN (SELECT url FROM sources WHERE active)""",
        )


def source_schedule(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, datetime | None]]:
    """(name, url, next poll) of every active source, the soonest first."""
    return con.execute(
        """SELECT s.name, s.url, u.next_fetch_at FROM sources s LEFT JOIN urls u ON u.url = s.url
           WHERE s.active ORDER BY u.next_fetch_at NULLS LAST, s.name"""
    ).fetchall()
