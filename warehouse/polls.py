"""Adaptive polling of sources (feeds, sitemaps, section pages), and the record of every poll.

A source's interval follows the share of its listed items already seen, as Media Cloud's
rss-fetcher does: over `slower_above_seen` (67 %) it is polled `slower_factor` (1.5×) less
often, under `faster_below_seen` (33 %) `faster_factor` (½) as often, always between
`adaptive_min_interval_min` (10 min) and `adaptive_max_interval_min` (24 h). A 304, or a
listing of nothing, is 100 % seen. A source's first listing is all new by definition: it keeps
the watchlist's interval, which is where every source starts.

Failures: a transient one backs off from `failure_backoff_min`, doubling, up to
`source_max_interval_min`, and so does a source failing for good (a 404) or `max_failures`
times in a row; a refusal by configuration (private address, robots.txt, an invalid URL: the
configuration must change, not the server) is recorded but keeps the source on its interval.
The adaptive interval itself only moves on polls that read the source.

Each decision is one row of `polls`, its reason in words ("78% seen: slower").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from extractors.errors import BlockedByRobots, InvalidUrl, PrivateAddressRefused, UnsupportedScheme
from extractors.records import UrlVisit
from warehouse.arrow_io import registered, typed_rows

if TYPE_CHECKING:
    from warehouse.frontier import RecrawlPolicy

__all__ = [
    "REFUSED_BY_CONFIGURATION",
    "PollDecision",
    "PollStatus",
    "SourceState",
    "SourceVisit",
    "decide",
    "has_polls",
    "poll_status",
    "record_polls",
    "source_states",
]

# Failures only a change of configuration cures, so waiting longer would not help. Not
# RobotsUnavailable (a subclass of BlockedByRobots): that is the server's robots.txt failing.
REFUSED_BY_CONFIGURATION = frozenset(
    {PrivateAddressRefused.reason, BlockedByRobots.reason, InvalidUrl.reason, UnsupportedScheme.reason}
)


@dataclass(frozen=True)
class SourceVisit(UrlVisit):
    """A source's visit with what its listing held: how many links, and how many were new."""

    items_listed: int = 0
    items_new: int = 0

    @classmethod
    def of(cls, visit: UrlVisit, listed: int, new: int) -> SourceVisit:
        return cls(**asdict(visit), items_listed=listed, items_new=new)


@dataclass(frozen=True)
class SourceState:
    """A source as the frontier had it before this poll."""

    interval_min: float  # its adaptive interval (before its first poll: the watchlist's, or the default)
    consecutive_failures: int
    listed_before: bool  # an earlier poll read its listing (or got a 304)


@dataclass(frozen=True)
class PollDecision:
    """One row of `polls`: what a poll found, and when the source is due again and why."""

    url: str
    polled_at: datetime
    status: int | None
    outcome: str  # listed | not_modified | refused | failed
    error_reason: str | None
    items_listed: int | None
    items_new: int | None
    share_seen: float | None
    interval_before_min: float
    interval_after_min: float
    next_poll_at: datetime
    reason: str


def decide(visit: UrlVisit, state: SourceState, policy: RecrawlPolicy, now: datetime) -> PollDecision:
    """The next poll of a source after `visit` (fetched, not deferred)."""
    interval = state.interval_min
    unread = _unread(visit, now, interval)
    if visit.error_reason in REFUSED_BY_CONFIGURATION:
        return unread("refused", interval, f"refused by configuration ({visit.error_reason}): no backoff")
    if visit.error_reason is not None:
        failures = state.consecutive_failures + 1
        if visit.transient_error and failures < policy.max_failures:
            wait = min(policy.failure_backoff_min * 2 ** (failures - 1), policy.source_max_interval_min)
            return unread("failed", wait, f"transient failure {failures}: backoff {wait:g} min")
        wait = policy.source_max_interval_min
        what = "transient failure" if visit.transient_error else f"failure ({visit.error_reason})"
        return unread("failed", wait, f"{what} {failures}: polled every {wait:g} min until it recovers")
    listed, new = _listing(visit)
    share = (listed - new) / listed if listed else 1.0
    after, verdict = _adapted(interval, share, policy) if state.listed_before else (interval, "first listing")
    not_modified = visit.status == 304
    return PollDecision(
        url=visit.url,
        polled_at=now,
        status=visit.status,
        outcome="not_modified" if not_modified else "listed",
        error_reason=None,
        items_listed=listed,
        items_new=new,
        share_seen=share,
        interval_before_min=interval,
        interval_after_min=after,
        next_poll_at=now + timedelta(minutes=after),
        reason=f"{'not modified' if not_modified else f'{share:.0%} seen'}: {verdict}",
    )


def _unread(visit: UrlVisit, now: datetime, interval: float):
    """A poll that read nothing: its interval stays, its next poll is `wait` minutes away."""

    def decision(outcome: str, wait: float, reason: str) -> PollDecision:
        return PollDecision(
            url=visit.url,
            polled_at=now,
            status=visit.status,
            outcome=outcome,
            error_reason=visit.error_reason,
            items_listed=None,
            items_new=None,
            share_seen=None,
            interval_before_min=interval,
            interval_after_min=interval,
            next_poll_at=now + timedelta(minutes=wait),
            reason=reason,
        )

    return decision


def _listing(visit: UrlVisit) -> tuple[int | None, int | None]:
    """(links listed, new links); (None, None) for a 304: nothing was read."""
    if isinstance(visit, SourceVisit):
        return visit.items_listed, visit.items_new
    if visit.status == 304:
        return None, None
    return 0, 0  # a listing of no links comes as a plain visit


def _adapted(interval: float, share_seen: float, policy: RecrawlPolicy) -> tuple[float, str]:
    """The new interval and the word for it. A move never goes the wrong way: a source whose
    watchlist interval is outside the bounds (5 min) is not made slower by "faster"."""
    if share_seen > policy.slower_above_seen:
        after = max(interval, min(interval * policy.slower_factor, policy.adaptive_max_interval_min))
        return after, "slower" if after > interval else "at the longest interval"
    if share_seen < policy.faster_below_seen:
        after = min(interval, max(interval * policy.faster_factor, policy.adaptive_min_interval_min))
        return after, "faster" if after < interval else "at the shortest interval"
    return interval, "interval kept"


def source_states(con: duckdb.DuckDBPyConnection, urls: list[str], default_interval: float) -> dict[str, SourceState]:
    """The frontier's state of those of `urls` that are sources (not articles)."""
    rows = con.execute(
        """SELECT u.url, coalesce(u.adaptive_interval_min, u.poll_interval_min, ?), u.consecutive_failures,
                  EXISTS (SELECT 1 FROM polls p WHERE p.url = u.url AND p.outcome IN ('listed', 'not_modified'))
           FROM urls u WHERE u.url IN (SELECT unnest(?)) AND u.kind <> 'article'""",
        [default_interval, urls],
    ).fetchall()
    return {url: SourceState(interval, failures, listed) for url, interval, failures, listed in rows}


def record_polls(con: duckdb.DuckDBPyConnection, run_id: str, decisions: list[PollDecision]) -> None:
    """Append the polls, each with its source's watchlist name, and set each source's interval
    and next poll in the frontier. The caller holds the transaction."""
    if not decisions:
        return
    rows = typed_rows(con, "polls", [asdict(d) | {"run_id": run_id} for d in decisions])
    with registered(con, "decided", rows):
        con.execute(
            f"""INSERT INTO polls ({", ".join(rows.column_names)}, source_name)
                SELECT d.*, (SELECT min(s.name) FROM sources s WHERE s.url = d.url AND s.active) FROM decided d"""
        )
        con.execute(
            """UPDATE urls SET adaptive_interval_min = d.interval_after_min, next_fetch_at = d.next_poll_at
               FROM decided d WHERE urls.url = d.url"""
        )


@dataclass(frozen=True)
class PollStatus:
    """Where a source stands: what `newsmon watch list` shows of it."""

    interval_min: float | None  # its adaptive interval now (None: its watchlist's, not polled yet)
    last_fetched_at: datetime | None
    last_outcome: str | None  # of its last poll (as in polls.outcome); None: polled before polls were recorded
    last_error: str | None
    last_reason: str | None
    consecutive_failures: int
    next_poll_at: datetime | None


def has_polls(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the lake has the `polls` table (it is migrated by any run since adaptive polling)."""
    return bool(con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'polls'").fetchall())


def poll_status(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, PollStatus]:
    """The state of each of `urls` known to the frontier as a source; the others were never polled."""
    rows = con.execute(
        """WITH last_poll AS (
               SELECT url, outcome, reason FROM polls WHERE url IN (SELECT unnest($urls))
               QUALIFY row_number() OVER (PARTITION BY url ORDER BY polled_at DESC) = 1
           )
           SELECT u.url, coalesce(u.adaptive_interval_min, u.poll_interval_min),
                  date_trunc('second', u.last_fetched_at), p.outcome, u.last_error, p.reason,
                  u.consecutive_failures, date_trunc('second', u.next_fetch_at)
           FROM urls u LEFT JOIN last_poll p ON p.url = u.url
           WHERE u.url IN (SELECT unnest($urls)) AND u.kind <> 'article'""",
        {"urls": urls},
    ).fetchall()
    return {url: PollStatus(*state) for url, *state in rows}
