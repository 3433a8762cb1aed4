"""Loading one batch of extracted pages into DuckDB, deduplicated, in one transaction.

A batch is all in or all out: a run killed mid-batch leaves the previous batches
and nothing of this one, and the next run (idempotent) finishes the work.
Rows go in through Arrow tables (INSERT … SELECT), never one INSERT per row, and
every key is de-duplicated inside the batch first: DuckDB keeps the first of two
conflicting rows of one statement without an error.

The steps, one module each: articles.py (article ids, new, known and changed articles,
sightings; with near_duplicates.py and revisions.py), comments.py, rejects.py, and
frontier.py (the fetch log and the URL frontier).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb

from extractors.records import CrawlRecords, LoadCounts, RejectRecord
from warehouse.arrow_io import retrying, transaction
from warehouse.articles import PageToLoad, write_articles
from warehouse.comments import write_comments
from warehouse.frontier import RecrawlPolicy, write_crawl_records
from warehouse.rejects import reject_id, write_rejects
from warehouse.timeutil import utc_now

__all__ = ["PageToLoad", "load_batch", "reject_id"]


def load_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    now: datetime | None = None,
    crawl: CrawlRecords | None = None,
    policy: RecrawlPolicy | None = None,
) -> LoadCounts:
    """Deduplicate `pages` against the warehouse and write them, `rejects` and the fetch
    log and URL frontier updates of `crawl`, atomically."""
    now = now or utc_now()
    return retrying(lambda: _load_once(con, run_id, pages, rejects, now, crawl, policy))


def _load_once(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    now: datetime,
    crawl: CrawlRecords | None,
    policy: RecrawlPolicy | None,
) -> LoadCounts:
    """One attempt, reading the lake as it is now: a retry after a conflict sees the other
    writer's articles and so never inserts them twice."""
    with transaction(con):
        resolved, counts = write_articles(con, run_id, now, pages)
        counts.add(write_comments(con, run_id, now, [(r.article_id, r.item.page) for r in resolved]))
        counts.add(write_rejects(con, run_id, now, rejects))
        if crawl is not None:
            article_by_source = {r.item.page.source: r.article_id for r in resolved}
            visits = [replace(v, article_id=article_by_source.get(v.url, v.article_id)) for v in crawl.visits]
            write_crawl_records(con, run_id, replace(crawl, visits=visits), now, policy or RecrawlPolicy())
    return counts
