"""The URL frontier and the fetch log: what was fetched, what is due again and when.

Re-fetch policy (a RecrawlPolicy; the flows pass their Settings, which extends it):
- an article is re-crawled at fixed offsets after it was first seen (default 1 h, 6 h,
  24 h, 72 h) to catch comment growth and edits, then no more;
- a source (feed, sitemap, section page) is polled every `poll_interval_min` (its own, from
  the watchlist, else `source_interval`); each poll that brings nothing new (304, or no new
  links) doubles the interval, up to `source_max_interval`; news resets it;
- an article's transient failure (timeout, 5xx, 429…) is retried with exponential backoff
  from `failure_backoff`, and given up after `max_failures` in a row; a permanent one (404,
  robots.txt, private address, wrong content type) is not retried;
- a source is never given up: after a permanent failure, or `max_failures` transient ones in
  a row, it is polled at `source_max_interval`;
- a deferred URL (the server asked us to wait with Retry-After, or the run's time or URL
  budget ran out) is no failure: it is due again when the server said, else at once, and its
  `last_error` says why it waits.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from extractors.records import CrawlRecords, FetchAttempt
from warehouse.arrow_io import insert_rows, registered
from warehouse.timeutil import utc_naive

__all__ = ["RecrawlPolicy", "due_urls", "known_urls", "validators", "write_crawl_records"]


class RecrawlPolicy(BaseModel):
    """When URLs are due again. The defaults here are newsmon's defaults: the flows'
    `Settings` inherits these fields, so each can be set as `NEWSMON_<FIELD>`."""

    model_config = ConfigDict(frozen=True)

    recrawl_offsets_h: tuple[float, ...] = Field(
        (1, 6, 24, 72), description="hours after first sight at which an article is fetched again"
    )
    source_interval_min: float = Field(15, gt=0, description="poll interval of a source without its own")
    source_max_interval_min: float = Field(240, gt=0, description="longest poll interval after quiet polls")
    failure_backoff_min: float = Field(15, gt=0, description="first wait after a transient failure; doubles")
    max_failures: int = Field(5, ge=1, description="transient failures in a row before an article is given up")


def validators(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """For each known URL: the ETag and Last-Modified to send with its next GET, and the hash of
    the body its article was last extracted from (the same body again is not extracted again)."""
    rows = con.execute(
        "SELECT url, etag, last_modified, content_sha256 FROM urls WHERE url IN (SELECT unnest(?))", [urls]
    ).fetchall()
    return {url: (etag, last_modified, sha256) for url, etag, last_modified, sha256 in rows}


def known_urls(con: duckdb.DuckDBPyConnection, urls: list[str]) -> set[str]:
    return {row[0] for row in con.execute("SELECT url FROM urls WHERE url IN (SELECT unnest(?))", [urls]).fetchall()}


def due_urls(con: duckdb.DuckDBPyConnection, now: datetime, kinds: list[str], limit: int) -> list[tuple[str, str]]:
    """(url, kind) due for fetching: sources first, then never-fetched URLs, then the most overdue."""
    return con.execute(
        """SELECT url, kind FROM urls
           WHERE next_fetch_at <= ? AND kind IN (SELECT unnest(?))
           ORDER BY kind = 'article', fetch_count > 0, next_fetch_at, url
           LIMIT ?""",
        [now, kinds, limit],
    ).fetchall()


def write_crawl_records(
    con: duckdb.DuckDBPyConnection, run_id: str, records: CrawlRecords, now: datetime, policy: RecrawlPolicy
) -> None:
    """Append the fetch log and merge the visits into `urls`; the caller holds the transaction."""
    insert_rows(con, "fetches", [_attempt_row(a, run_id) for a in records.attempts])
    visits = {v.url: v for v in records.visits}  # the last word on a URL in this batch wins
    if not visits:
        return
    rows = [
        asdict(v) | {"failed": v.fetched and v.error_reason is not None, "retry_at": utc_naive(v.retry_at)}
        for v in visits.values()
    ]
    with registered(con, "url_visits", pa.Table.from_pylist(rows, schema=_VISIT_SCHEMA)):
        con.execute(
            """INSERT INTO urls (url, kind, found_via, found_on, first_seen_at, first_run_id, next_fetch_at)
               SELECT url, kind, found_via, found_on, ?, ?, ? FROM url_visits
               WHERE url NOT IN (SELECT url FROM urls)""",
            [now, run_id, now],
        )
        con.execute(
            """UPDATE urls SET last_error = v.error_reason, next_fetch_at = coalesce(v.retry_at, ?)
               FROM url_visits v WHERE urls.url = v.url AND v.deferred""",
            [now],
        )
        con.execute(
            """UPDATE urls SET
                   last_fetched_at = ?,
                   last_status = v.status,
                   last_error = v.error_reason,
                   etag = CASE WHEN v.failed THEN urls.etag ELSE coalesce(v.etag, urls.etag) END,
                   last_modified = CASE WHEN v.failed THEN urls.last_modified
                                        ELSE coalesce(v.last_modified, urls.last_modified) END,
                   fetch_count = urls.fetch_count + 1,
                   consecutive_failures = CASE WHEN v.failed THEN urls.consecutive_failures + 1 ELSE 0 END,
                   unchanged_polls = CASE WHEN v.not_modified THEN urls.unchanged_polls + 1 ELSE 0 END,
                   article_id = coalesce(v.article_id, urls.article_id),
                   content_sha256 = coalesce(v.content_sha256, urls.content_sha256)
               FROM url_visits v
               WHERE urls.url = v.url AND v.fetched""",
            [now],
        )
        con.execute(
            """UPDATE urls SET next_fetch_at = CASE
                   -- a watched source is never given up: at worst it is polled at the longest interval
                   WHEN v.failed AND urls.kind <> 'article'
                        AND (NOT v.transient_error OR urls.consecutive_failures >= $max_failures)
                        THEN urls.last_fetched_at + to_minutes(CAST($source_max AS BIGINT))
                   WHEN v.failed AND NOT v.transient_error THEN NULL
                   WHEN v.failed AND urls.consecutive_failures >= $max_failures THEN NULL
                   WHEN v.failed THEN urls.last_fetched_at + to_minutes(CAST(
                        least($backoff * pow(2, urls.consecutive_failures - 1), $source_max) AS BIGINT))
                   WHEN urls.kind = 'article' THEN
                        CASE WHEN urls.fetch_count <= len($offsets::DOUBLE[])
                             THEN urls.first_seen_at
                                  + to_seconds(CAST(($offsets::DOUBLE[])[urls.fetch_count] * 3600 AS BIGINT))
                        END
                   ELSE urls.last_fetched_at + to_minutes(CAST(least(
                        coalesce(urls.poll_interval_min, $source_interval) * pow(2, urls.unchanged_polls),
                        $source_max) AS BIGINT))
               END
               FROM url_visits v
               WHERE urls.url = v.url AND v.fetched""",
            {
                "max_failures": policy.max_failures,
                "backoff": policy.failure_backoff_min,
                "offsets": list(policy.recrawl_offsets_h),
                "source_interval": policy.source_interval_min,
                "source_max": policy.source_max_interval_min,
            },
        )


def _attempt_row(attempt: FetchAttempt, run_id: str) -> dict:
    """A `fetches` row: the attempt, its run, its time as UTC without zone (as the warehouse stores it)."""
    return {
        "fetch_id": str(uuid.uuid4()),
        "run_id": run_id,
        **asdict(attempt),
        "fetched_at": utc_naive(attempt.fetched_at),
    }


# The shape of a UrlVisit plus `failed` (not a table's): the view the frontier's UPDATEs read.
_VISIT_SCHEMA = pa.schema(
    [
        (name, pa.string())
        for name in (
            "url",
            "kind",
            "found_via",
            "found_on",
            "error_reason",
            "etag",
            "last_modified",
            "article_id",
            "content_sha256",
        )  # fmt: skip
    ]
    + [(name, pa.bool_()) for name in ("fetched", "transient_error", "not_modified", "failed", "deferred")]
    + [("status", pa.int32()), ("retry_at", pa.timestamp("us"))]
)
