"""The URL frontier and the fetch log: what was fetched, what is due again and when.

Re-fetch policy (a RecrawlPolicy; the flows pass their Settings, which extends it):
- an article is re-crawled at fixed offsets after it was first seen (default 1 h, 6 h,
  24 h, 72 h) to catch comment growth and edits, then no more;
- a source (feed, sitemap, section page) is polled on its adaptive interval: it starts at
  its `poll_interval_min` (from the watchlist, else `source_interval_min`) and moves with the
  share of its listed items already seen, between `adaptive_min_interval_min` and
  `adaptive_max_interval_min` (warehouse/polls.py, which records every poll in `polls`);
- an article's transient failure (timeout, 5xx, 429…) is retried with exponential backoff
  from `failure_backoff`, and given up after `max_failures` in a row; a permanent one (404,
  robots.txt, private address, wrong content type) is not retried;
- a source is never given up: after a transient failure it backs off the same way, after a
  permanent failure, or `max_failures` transient ones in a row, it is polled at
  `source_max_interval_min`; a refusal by configuration (private address, robots.txt, an
  invalid URL) is no failure of the source: it stays on its interval;
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
from pydantic import BaseModel, ConfigDict, Field, model_validator

from extractors.records import CrawlRecords, FetchAttempt
from warehouse.arrow_io import insert_rows, registered
from warehouse.polls import REFUSED_BY_CONFIGURATION, decide, record_polls, source_states
from warehouse.timeutil import utc_naive

__all__ = ["RecrawlPolicy", "due_urls", "known_urls", "validators", "write_crawl_records"]


class RecrawlPolicy(BaseModel):
    """When URLs are due again. The defaults here are newsmon's defaults: the flows'
    `Settings` inherits these fields, so each can be set as `NEWSMON_<FIELD>`."""

    model_config = ConfigDict(frozen=True)

    recrawl_offsets_h: tuple[float, ...] = Field(
        (1, 6, 24, 72), description="hours after first sight at which an article is fetched again"
    )
    source_interval_min: float = Field(15, gt=0, description="starting poll interval of a source without its own")
    source_max_interval_min: float = Field(
        240, gt=0, description="longest wait after a source's failures (a failure backoff stops growing here)"
    )
    failure_backoff_min: float = Field(15, gt=0, description="first wait after a transient failure; doubles")
    max_failures: int = Field(5, ge=1, description="transient failures in a row before an article is given up")
    adaptive_min_interval_min: float = Field(10, gt=0, description="shortest poll interval adaptive polling sets")
    adaptive_max_interval_min: float = Field(1440, gt=0, description="longest poll interval adaptive polling sets")
    slower_above_seen: float = Field(
        0.67, ge=0, le=1, description="share of listed items already seen above which a source is polled slower"
    )
    faster_below_seen: float = Field(
        0.33, ge=0, le=1, description="share of listed items already seen below which a source is polled faster"
    )
    slower_factor: float = Field(1.5, gt=1, description="a slower source's interval is multiplied by this")
    faster_factor: float = Field(0.5, gt=0, lt=1, description="a faster source's interval is multiplied by this")

    @model_validator(mode="after")
    def _adaptive_bounds_in_order(self) -> RecrawlPolicy:
        if self.adaptive_min_interval_min > self.adaptive_max_interval_min:
            raise ValueError("adaptive_min_interval_min is above adaptive_max_interval_min")
        if self.faster_below_seen >= self.slower_above_seen:
            raise ValueError("faster_below_seen must be below slower_above_seen")
        return self


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
        asdict(v)
        | {
            "failed": v.fetched and v.error_reason is not None,
            "refused": v.error_reason in REFUSED_BY_CONFIGURATION,
            "retry_at": utc_naive(v.retry_at),
        }
        for v in visits.values()
    ]
    with registered(con, "url_visits", pa.Table.from_pylist(rows, schema=_VISIT_SCHEMA)):
        con.execute(
            """INSERT INTO urls (url, kind, found_via, found_on, first_seen_at, first_run_id, next_fetch_at)
               SELECT url, kind, found_via, found_on, ?, ?, ? FROM url_visits
               WHERE url NOT IN (SELECT url FROM urls)""",
            [now, run_id, now],
        )
        if any(v.deferred for v in visits.values()):  # each statement on `urls` scans it: only when needed
            con.execute(
                """UPDATE urls SET last_error = v.error_reason, next_fetch_at = coalesce(v.retry_at, ?)
                   FROM url_visits v WHERE urls.url = v.url AND v.deferred""",
                [now],
            )
        fetched = [v for v in visits.values() if v.fetched]
        polled = [v.url for v in fetched if v.kind != "article"]
        sources = source_states(con, polled, policy.source_interval_min) if polled else {}  # before this visit
        con.execute(
            """UPDATE urls SET
                   last_fetched_at = ?,
                   last_status = v.status,
                   last_error = v.error_reason,
                   etag = CASE WHEN v.failed THEN urls.etag ELSE coalesce(v.etag, urls.etag) END,
                   last_modified = CASE WHEN v.failed THEN urls.last_modified
                                        ELSE coalesce(v.last_modified, urls.last_modified) END,
                   fetch_count = urls.fetch_count + 1,
                   -- a source refused by configuration has not failed: its count neither grows nor resets
                   consecutive_failures = CASE WHEN v.refused AND urls.kind <> 'article' THEN urls.consecutive_failures
                                               WHEN v.failed THEN urls.consecutive_failures + 1 ELSE 0 END,
                   unchanged_polls = CASE WHEN v.not_modified THEN urls.unchanged_polls + 1 ELSE 0 END,
                   article_id = coalesce(v.article_id, urls.article_id),
                   content_sha256 = coalesce(v.content_sha256, urls.content_sha256)
               FROM url_visits v
               WHERE urls.url = v.url AND v.fetched""",
            [now],
        )
        con.execute(
            """UPDATE urls SET next_fetch_at = CASE
                   WHEN v.failed AND NOT v.transient_error THEN NULL
                   WHEN v.failed AND urls.consecutive_failures >= $max_failures THEN NULL
                   WHEN v.failed THEN urls.last_fetched_at + to_minutes(CAST(
                        least($backoff * pow(2, urls.consecutive_failures - 1), $source_max) AS BIGINT))
                   WHEN urls.fetch_count <= len($offsets::DOUBLE[])
                        THEN urls.first_seen_at
                             + to_seconds(CAST(($offsets::DOUBLE[])[urls.fetch_count] * 3600 AS BIGINT))
               END
               FROM url_visits v
               WHERE urls.url = v.url AND v.fetched AND urls.kind = 'article'""",
            {
                "max_failures": policy.max_failures,
                "backoff": policy.failure_backoff_min,
                "offsets": list(policy.recrawl_offsets_h),
                "source_max": policy.source_max_interval_min,
            },
        )
    # sources: their next poll and adaptive interval, each decision recorded in `polls`
    record_polls(con, run_id, [decide(v, sources[v.url], policy, now) for v in fetched if v.url in sources])


def _attempt_row(attempt: FetchAttempt, run_id: str) -> dict:
    """A `fetches` row: the attempt, its run, its time as UTC without zone (as the warehouse stores it)."""
    return {
        "fetch_id": str(uuid.uuid4()),
        "run_id": run_id,
        **asdict(attempt),
        "fetched_at": utc_naive(attempt.fetched_at),
    }


# The shape of a UrlVisit plus `failed` and `refused` (not a table's): the view the frontier's UPDATEs read.
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
    + [(name, pa.bool_()) for name in ("fetched", "transient_error", "not_modified", "failed", "refused", "deferred")]
    + [("status", pa.int32()), ("retry_at", pa.timestamp("us"))]
)
