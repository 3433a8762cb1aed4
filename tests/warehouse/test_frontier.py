"""The re-crawl policy of the URL frontier, visit by visit over simulated time, in a real DuckDB file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from extractors.records import CrawlRecords, FetchAttempt, UrlVisit, WatchedSource
from warehouse import db
from warehouse.frontier import RecrawlPolicy, due_urls
from warehouse.load import load_batch
from warehouse.polls import SourceVisit
from warehouse.runs import record_run_start
from warehouse.sources import sync_sources

T0 = datetime(2025, 3, 1, 8, 0)
POLICY = RecrawlPolicy(
    recrawl_offsets_h=(1, 6, 24, 72),
    source_interval_min=15,
    source_max_interval_min=120,
    failure_backoff_min=10,
    max_failures=3,
    adaptive_max_interval_min=60,
)
ARTICLE = "https://news.example/2025/03/story"
FEED = "https://news.example/feed.xml"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.fixture
def con(db_path):
    with db.writer(db_path) as connection:
        record_run_start(connection, "run-1", "monitor", {})
        yield connection


def visit(
    con, url: str, at: datetime, kind: str = "article", fetched: bool = True, policy: RecrawlPolicy = POLICY, **outcome
) -> dict:
    """Record one visit of `url` at `at` through the real loader; return its frontier row."""
    crawl = CrawlRecords(visits=[UrlVisit(url, kind, "input", fetched=fetched, **outcome)])
    load_batch(con, "run-1", [], [], now=at, crawl=crawl, policy=policy)
    return frontier(con, url)


def frontier(con, url: str) -> dict:
    columns = ["next_fetch_at", "fetch_count", "consecutive_failures", "unchanged_polls", "last_error"]
    [row] = con.execute(f"SELECT {', '.join(columns)} FROM urls WHERE url = ?", [url]).fetchall()
    return dict(zip(columns, row, strict=True))


def quiet(con, url: str, at: datetime, kind: str = "feed") -> dict:
    return visit(con, url, at, kind, status=304, not_modified=True)


def failure(
    con, url: str, at: datetime, kind: str = "article", transient: bool = True, policy: RecrawlPolicy = POLICY
) -> dict:
    status, reason = (503, "http_503") if transient else (404, "http_404")
    return visit(con, url, at, kind, policy=policy, status=status, error_reason=reason, transient_error=transient)


def test_a_discovered_url_is_due_at_once_and_not_yet_fetched(con):
    row = visit(con, ARTICLE, T0, fetched=False)
    assert (row["next_fetch_at"], row["fetch_count"]) == (T0, 0)
    assert due_urls(con, T0, ["article"], 10) == [(ARTICLE, "article")]


def test_every_fetch_attempt_is_logged_with_its_run_in_utc(con):
    zoned = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    attempts = [
        FetchAttempt(ARTICLE, ARTICLE, None, None, 0, 5000, 1, "ReadTimeout", "timed out", None, None, zoned),
        FetchAttempt(ARTICLE, ARTICLE, 200, "text/html", 5120, 80, 2, None, None, '"v1"', None, zoned),
    ]
    load_batch(con, "run-1", [], [], now=T0, crawl=CrawlRecords(attempts=attempts), policy=POLICY)
    rows = con.execute(
        "SELECT run_id, attempt, status, error_class, fetched_at FROM fetches ORDER BY attempt"
    ).fetchall()
    assert rows == [("run-1", 1, None, "ReadTimeout", T0 + minutes(30)), ("run-1", 2, 200, None, T0 + minutes(30))]


def test_an_article_is_recrawled_at_each_offset_after_first_sight_then_no_more(con):
    visit(con, ARTICLE, T0, fetched=False)
    assert visit(con, ARTICLE, T0 + minutes(2), status=200)["next_fetch_at"] == T0 + hours(1)
    assert visit(con, ARTICLE, T0 + hours(1), status=200)["next_fetch_at"] == T0 + hours(6)
    # offsets count from first sight, not from a late fetch
    assert visit(con, ARTICLE, T0 + hours(9), status=200)["next_fetch_at"] == T0 + hours(24)
    assert visit(con, ARTICLE, T0 + hours(24), status=200)["next_fetch_at"] == T0 + hours(72)
    last = visit(con, ARTICLE, T0 + hours(72), status=200)
    assert (last["next_fetch_at"], last["fetch_count"]) == (None, 5)


def listing(con, url: str, at: datetime, listed: int, new: int, policy: RecrawlPolicy = POLICY) -> dict:
    """A poll of source `url` that read `listed` links, `new` of them unknown before."""
    polled = SourceVisit(url, "feed", "watchlist", fetched=True, status=200, items_listed=listed, items_new=new)
    load_batch(con, "run-1", [], [], now=at, crawl=CrawlRecords(visits=[polled]), policy=policy)
    return frontier(con, url)


def polls(con, url: str) -> list[tuple]:
    return con.execute(
        "SELECT items_listed, items_new, interval_before_min, interval_after_min, reason FROM polls "
        "WHERE url = ? ORDER BY polled_at",
        [url],
    ).fetchall()


def test_a_sources_first_listing_keeps_its_starting_interval(con):
    """Everything a source lists is new the first time: no reason to poll it faster."""
    assert listing(con, FEED, T0, 10, 10)["next_fetch_at"] == T0 + minutes(15)
    assert polls(con, FEED) == [(10, 10, 15, 15, "0% seen: first listing")]


def test_quiet_polls_make_a_source_slower_by_half_again_up_to_the_longest_interval(con):
    row = listing(con, FEED, T0, 4, 4)
    for interval in (22.5, 33.75, 50.625, 60, 60):  # × 1.5 each time, up to 60: the longest (POLICY)
        at = row["next_fetch_at"]  # polled when due
        row = quiet(con, FEED, at)
        assert row["next_fetch_at"] == at + minutes(interval)
    assert [reason for *_, reason in polls(con, FEED)][1:] == ["not modified: slower"] * 4 + [
        "not modified: at the longest interval"
    ]
    at = row["next_fetch_at"]
    assert listing(con, FEED, at, 4, 3)["next_fetch_at"] == at + minutes(30)  # mostly new: twice as often
    assert polls(con, FEED)[-1] == (4, 3, 60, 30, "25% seen: faster")


def test_mostly_new_items_make_a_source_faster_down_to_the_shortest_interval(con):
    listing(con, FEED, T0, 10, 10)
    assert listing(con, FEED, T0 + minutes(15), 10, 9)["next_fetch_at"] == T0 + minutes(15 + 10)  # 7.5 < 10
    assert listing(con, FEED, T0 + minutes(25), 10, 7)["next_fetch_at"] == T0 + minutes(25 + 10)
    assert [row[2:] for row in polls(con, FEED)][1:] == [
        (15, 10, "10% seen: faster"),
        (10, 10, "30% seen: at the shortest interval"),
    ]


@pytest.mark.parametrize(("listed", "new"), [(10, 5), (3, 1), (3, 2)])
def test_a_middling_share_seen_keeps_the_interval(con, listed, new):
    listing(con, FEED, T0, listed, listed)
    assert listing(con, FEED, T0 + minutes(15), listed, new)["next_fetch_at"] == T0 + minutes(30)
    assert polls(con, FEED)[-1][4].endswith("seen: interval kept")


def test_a_watched_sources_own_interval_is_where_it_starts(con):
    sync_sources(con, [WatchedSource("courier", "feed", FEED, poll_interval_min=40)], "run-1", T0)
    assert frontier(con, FEED)["next_fetch_at"] == T0
    assert listing(con, FEED, T0, 3, 3)["next_fetch_at"] == T0 + minutes(40)
    assert quiet(con, FEED, T0 + minutes(40))["next_fetch_at"] == T0 + minutes(40 + 60)  # 60: the longest
    assert con.execute("SELECT source_name FROM polls").fetchall() == [("courier",)] * 2


def test_changing_a_sources_interval_reschedules_it(con):
    def watched(interval: float, at: datetime) -> None:
        sync_sources(con, [WatchedSource("courier", "feed", FEED, poll_interval_min=interval)], "run-1", at)

    watched(40, T0)
    listing(con, FEED, T0, 3, 3)
    watched(20, T0 + minutes(5))  # last poll + the new interval
    assert frontier(con, FEED)["next_fetch_at"] == T0 + minutes(20)
    watched(10, T0 + minutes(30))  # last poll + 10 min is past: now
    assert frontier(con, FEED)["next_fetch_at"] == T0 + minutes(30)
    watched(10, T0 + minutes(31))  # unchanged: not rescheduled
    assert frontier(con, FEED)["next_fetch_at"] == T0 + minutes(30)
    # the new interval is also where adaptive polling starts again
    assert quiet(con, FEED, T0 + minutes(30))["next_fetch_at"] == T0 + minutes(30 + 15)


@pytest.mark.parametrize("reason", ["private_address", "robots_disallowed", "invalid_url", "unsupported_scheme"])
def test_a_source_refused_by_configuration_stays_on_its_interval(con, reason):
    listing(con, FEED, T0, 3, 3)
    for n in range(1, 4):  # three refusals: no backoff, no failures counted
        at = T0 + minutes(15 * n)
        row = visit(con, FEED, at, "feed", error_reason=reason)
        assert (row["next_fetch_at"], row["consecutive_failures"], row["last_error"]) == (at + minutes(15), 0, reason)
    assert polls(con, FEED)[-1] == (None, None, 15, 15, f"refused by configuration ({reason}): no backoff")
    assert con.execute("SELECT DISTINCT outcome FROM polls WHERE error_reason IS NOT NULL").fetchall() == [("refused",)]


def test_a_source_whose_robots_txt_fails_is_a_failure_not_a_refusal(con):
    row = visit(con, FEED, T0, "feed", status=503, error_reason="robots_unavailable")
    assert (row["next_fetch_at"], row["consecutive_failures"]) == (T0 + minutes(120), 1)


def test_a_sources_transient_failure_backs_off_and_says_so(con):
    listing(con, FEED, T0, 3, 3)
    row = failure(con, FEED, T0 + minutes(15), "feed")
    assert (row["next_fetch_at"], row["consecutive_failures"]) == (T0 + minutes(25), 1)
    assert polls(con, FEED)[-1] == (None, None, 15, 15, "transient failure 1: backoff 10 min")


def test_transient_failures_back_off_exponentially_and_a_success_resets_them(con):
    visit(con, ARTICLE, T0, status=200)
    at = T0 + hours(1)
    for n, wait in enumerate((10, 20), start=1):  # 10 min, doubled; max_failures (3) not reached
        row = failure(con, ARTICLE, at)
        assert (row["consecutive_failures"], row["last_error"]) == (n, "http_503")
        assert row["next_fetch_at"] == at + minutes(wait)
        at += minutes(wait)
    recovered = visit(con, ARTICLE, at, status=200)
    assert (recovered["consecutive_failures"], recovered["last_error"], recovered["fetch_count"]) == (0, None, 4)
    # Back on the offsets from first sight. Failed fetches count as fetches: the two failures
    # used up the 6 h and 24 h offsets, so the next re-crawl is the 72 h one.
    assert recovered["next_fetch_at"] == T0 + hours(72)


def test_the_failure_backoff_is_capped_at_the_longest_source_interval(con):
    slow = RecrawlPolicy(failure_backoff_min=100, source_max_interval_min=120, max_failures=5)
    assert failure(con, ARTICLE, T0, policy=slow)["next_fetch_at"] == T0 + minutes(100)
    at = T0 + minutes(100)
    assert failure(con, ARTICLE, at, policy=slow)["next_fetch_at"] == at + minutes(120)  # not 200


def test_an_article_is_given_up_after_max_failures_in_a_row(con):
    at = T0
    for _ in range(POLICY.max_failures - 1):
        row = failure(con, ARTICLE, at)
        assert row["next_fetch_at"] is not None
        at = row["next_fetch_at"]
    given_up = failure(con, ARTICLE, at)
    assert (given_up["consecutive_failures"], given_up["next_fetch_at"]) == (POLICY.max_failures, None)
    assert due_urls(con, at + hours(24 * 30), ["article"], 10) == []


def test_a_permanent_failure_is_not_retried(con):
    row = failure(con, ARTICLE, T0, transient=False)
    assert (row["next_fetch_at"], row["consecutive_failures"], row["last_error"]) == (None, 1, "http_404")


@pytest.mark.parametrize("kind", ["feed", "sitemap", "section"])
def test_a_source_that_fails_for_good_is_still_polled_at_the_longest_interval(con, kind):
    url = f"https://news.example/{kind}"
    for at in (T0, T0 + minutes(120)):
        row = failure(con, url, at, kind, transient=False)
        assert (row["next_fetch_at"], row["last_error"]) == (at + minutes(120), "http_404")


def test_a_source_is_never_given_up_after_max_failures_and_recovers(con):
    at, waits = T0, [10, 20, 120, 120]  # backoff below max_failures (3), then the longest interval
    for n, wait in enumerate(waits, start=1):
        row = failure(con, FEED, at, "feed")
        assert (row["consecutive_failures"], row["next_fetch_at"]) == (n, at + minutes(wait))
        at = row["next_fetch_at"]
    recovered = visit(con, FEED, at, "feed", status=200)
    assert (recovered["consecutive_failures"], recovered["next_fetch_at"]) == (0, at + minutes(15))
