"""Loading one batch of extracted pages into DuckDB, deduplicated, in one transaction.

A batch is all in or all out: a run killed mid-batch, or stopped by a full disk, leaves the
previous batches and nothing of this one, and the next run (idempotent) finishes the work.
A page whose data the database refuses costs that page only (`load_batch_without_refused_pages`).
Rows go in through Arrow tables (INSERT … SELECT), never one INSERT per row, and
every key is de-duplicated inside the batch first: DuckDB keeps the first of two
conflicting rows of one statement without an error.

The steps, one module each: articles.py (article ids, new, known and changed articles,
sightings; with near_duplicates.py and revisions.py), comments.py, rejects.py, and
frontier.py (the fetch log and the URL frontier).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime

import duckdb

from extractors.records import CrawlRecords, InputState, LoadCounts, ParsedPage, RejectRecord
from warehouse.arrow_io import retrying, transaction
from warehouse.articles import PageToLoad, ResolvedPage, write_articles
from warehouse.comments import write_comments
from warehouse.failures import is_data_error, storage_failure
from warehouse.frontier import RecrawlPolicy, write_crawl_records
from warehouse.input_states import write_input_states
from warehouse.rejects import reject_id, write_rejects
from warehouse.timeutil import utc_now

__all__ = ["PageToLoad", "load_batch", "load_batch_without_refused_pages", "reject_id"]

_CANNOT_LOAD = "cannot load a batch into the lake"


def load_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    now: datetime | None = None,
    crawl: CrawlRecords | None = None,
    policy: RecrawlPolicy | None = None,
    inputs: Sequence[InputState] = (),
) -> LoadCounts:
    """Deduplicate `pages` against the warehouse and write them, `rejects`, the fetch log and
    URL frontier updates of `crawl`, and the read state of local `inputs`, atomically."""
    now = now or utc_now()
    return retrying(lambda: _load_once(con, run_id, pages, rejects, now, crawl, policy, inputs))


def _load_once(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    now: datetime,
    crawl: CrawlRecords | None,
    policy: RecrawlPolicy | None,
    inputs: Sequence[InputState],
) -> LoadCounts:
    """One attempt, reading the lake as it is now: a retry after a conflict sees the other
    writer's articles and so never inserts them twice."""
    with transaction(con):
        resolved, counts = write_articles(con, run_id, now, pages)
        counts.add(write_comments(con, run_id, now, *_comment_pages(resolved)))
        counts.add(write_rejects(con, run_id, now, rejects))
        write_input_states(con, run_id, now, inputs)
        if crawl is not None:
            article_by_source = {r.item.page.source: r.article_id for r in resolved}
            visits = [replace(v, article_id=article_by_source.get(v.url, v.article_id)) for v in crawl.visits]
            write_crawl_records(con, run_id, replace(crawl, visits=visits), now, policy or RecrawlPolicy())
    return counts


def _comment_pages(resolved: list[ResolvedPage]) -> tuple[list[tuple[str, ParsedPage]], set[str]]:
    """write_comments' arguments: (article id, page) pairs, and the articles new in the batch."""
    return [(r.article_id, r.item.page) for r in resolved], {r.article_id for r in resolved if r.new}


def load_batch_without_refused_pages(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    crawl: CrawlRecords | None = None,
    policy: RecrawlPolicy | None = None,
    inputs: Sequence[InputState] = (),
) -> tuple[LoadCounts, list[RejectRecord]]:
    """`load_batch`, except that pages whose data the database refuses become `load_error`
    rejects and the batch goes in without them, still in one transaction.

    Which pages are refused is found by trying each alone in a transaction that is rolled
    back, so nothing is ever committed page by page. A failure that is not about a page's data
    (disk full, a damaged file, a bug) raises a WarehouseError at once (warehouse/failures.py).
    """
    now = utc_now()
    try:
        return load_batch(con, run_id, pages, rejects, now, crawl, policy, inputs), []
    except Exception as batch_error:
        if not is_data_error(batch_error):
            raise storage_failure(batch_error, _CANNOT_LOAD) from batch_error
    kept, refused = [], []
    for item in pages:
        try:
            _try_alone(con, run_id, item, now)
        except Exception as error:
            if not is_data_error(error):
                raise storage_failure(error, _CANNOT_LOAD) from error
            refused.append(RejectRecord.from_error(item.page.source, error, stage="load", reason="load_error"))
        else:
            kept.append(item)
    # a refused page's file is read again next run: the refusal may not be about its bytes
    refused_sources = {r.source for r in refused}
    inputs = [i for i in inputs if i.source not in refused_sources]
    try:
        return load_batch(con, run_id, kept, rejects + refused, now, crawl, policy, inputs), refused
    except Exception as error:  # without the refused pages it still fails: not their data
        raise storage_failure(error, _CANNOT_LOAD) from error


def _try_alone(con: duckdb.DuckDBPyConnection, run_id: str, item: PageToLoad, now: datetime) -> None:
    """Write one page's rows and roll them back: raises what the database says about its data."""
    con.execute("BEGIN TRANSACTION")
    try:
        resolved, _ = write_articles(con, run_id, now, [item])
        write_comments(con, run_id, now, *_comment_pages(resolved))
    finally:
        with suppress(duckdb.TransactionException):  # a failed statement may have ended it already
            con.execute("ROLLBACK")
