"""Syncing the watchlist into the warehouse: the `sources` table and the sources' rows in `urls`."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from extractors.records import WatchedSource
from warehouse.arrow_io import registered, table_schema, transaction

__all__ = ["sync_sources"]

_WATCHED = ("name", "kind", "url", "poll_interval_min", "tags", "max_new_articles")


def sync_sources(con: duckdb.DuckDBPyConnection, sources: list[WatchedSource], run_id: str, now: datetime) -> None:
    """Upsert the watched sources; mark the others inactive and stop polling them. One transaction."""
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
               ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url,
                   poll_interval_min = excluded.poll_interval_min, tags = excluded.tags,
                   max_new_articles = excluded.max_new_articles, active = true, updated_at = excluded.updated_at""",
            [now, now],
        )
        con.execute(
            """UPDATE sources SET active = false, updated_at = ?
               WHERE active AND name NOT IN (SELECT name FROM watchlist)""",
            [now],
        )
        con.execute(
            """INSERT INTO urls (url, kind, found_via, first_seen_at, first_run_id, next_fetch_at, poll_interval_min)
               SELECT url, kind, 'watchlist', ?, ?, ?, poll_interval_min FROM watchlist
               ON CONFLICT (url) DO UPDATE SET kind = excluded.kind, poll_interval_min = excluded.poll_interval_min,
                   next_fetch_at = coalesce(urls.next_fetch_at, excluded.next_fetch_at)""",
            [now, run_id, now],
        )
        con.execute(
            """UPDATE urls SET next_fetch_at = NULL
               WHERE found_via = 'watchlist' AND url NOT IN (SELECT url FROM sources WHERE active)""",
        )
