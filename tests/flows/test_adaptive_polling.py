"""Adaptive polling on the real Prefect engine against a loopback news site: each source's
interval follows the share of its listed items already seen, refusals by configuration do
not back off, a new watchlist interval reschedules, and every decision is a row of `polls`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.monitor import monitor
from flows.states import summary_of
from tests.support.http_server import Reply
from tests.support.news_site import article_html, publish_feed, rss
from tests.support.warehouse import execute, rows

pytestmark = pytest.mark.usefixtures("prefect_engine")


@pytest.fixture(autouse=True)
def fast_loopback(monkeypatch):
    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")


@pytest.fixture
def loopback_allowed(monkeypatch, http_server):
    monkeypatch.setenv("NEWSMON_PRIVATE_HOST_EXCEPTIONS", f'["{http_server.host_port}"]')


def watchlist(tmp_path, name: str, url: str, interval: float = 15) -> str:
    path = tmp_path / "watchlist.toml"
    path.write_text(f'[[source]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\npoll_interval_min = {interval}\n')
    return str(path)


def serve_feed_without_validators(server, numbers: list[int]) -> str:
    """A feed that answers 200 every time (no ETag): its listing is read, and counted, each poll."""
    for number in numbers:
        server.route(f"/news/story-{number}", Reply(body=article_html(number)))
    feed = rss([server.url(f"/news/story-{number}") for number in numbers])
    server.route("/feed.xml", Reply(body=feed, content_type="application/rss+xml"))
    return server.url("/feed.xml")


def make_due(db_path) -> None:
    execute(db_path, "UPDATE urls SET next_fetch_at = now()::TIMESTAMP WHERE kind = 'feed'")


def decisions(db_path) -> list[tuple]:
    return rows(
        db_path,
        "SELECT source_name, status, items_listed, items_new, interval_before_min, interval_after_min, reason "
        "FROM polls ORDER BY polled_at",
    )


def feed_schedule(db_path) -> tuple:
    """The feed's adaptive interval, and its next poll counted from its last."""
    [row] = rows(db_path, "SELECT adaptive_interval_min, next_fetch_at - last_fetched_at FROM urls WHERE kind = 'feed'")
    return row


@pytest.mark.usefixtures("loopback_allowed")
def test_a_feed_whose_items_are_all_seen_again_is_polled_slower_up_to_the_longest_interval(
    http_server, db_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("NEWSMON_ADAPTIVE_MAX_INTERVAL_MIN", "30")
    sources = watchlist(tmp_path, "local", serve_feed_without_validators(http_server, [1, 2, 3]))
    monitor(watchlist=sources, db_path=str(db_path))
    for _ in range(3):
        make_due(db_path)
        assert monitor(watchlist=sources, db_path=str(db_path)).sources_polled == 1
    assert http_server.hits["/feed.xml"] == 4
    assert decisions(db_path) == [
        ("local", 200, 3, 3, 15, 15, "0% seen: first listing"),
        ("local", 200, 3, 0, 15, 22.5, "100% seen: slower"),
        ("local", 200, 3, 0, 22.5, 30, "100% seen: slower"),  # 33.75, but 30 is the longest
        ("local", 200, 3, 0, 30, 30, "100% seen: at the longest interval"),
    ]
    assert feed_schedule(db_path) == (30, timedelta(minutes=30))


@pytest.mark.usefixtures("loopback_allowed")
def test_a_feed_with_mostly_new_items_is_polled_faster_down_to_the_shortest_interval(
    http_server, db_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("NEWSMON_ADAPTIVE_MIN_INTERVAL_MIN", "5")
    sources = watchlist(tmp_path, "local", publish_feed(http_server, [1]))
    monitor(watchlist=sources, db_path=str(db_path))
    for listed in (5, 20):  # 1 of 5 seen, then 5 of 20
        publish_feed(http_server, list(range(1, listed + 1)))  # a new ETag: the conditional GET reads it
        make_due(db_path)
        monitor(watchlist=sources, db_path=str(db_path))
    assert decisions(db_path) == [
        ("local", 200, 1, 1, 15, 15, "0% seen: first listing"),
        ("local", 200, 5, 4, 15, 7.5, "20% seen: faster"),
        ("local", 200, 20, 15, 7.5, 5, "25% seen: faster"),  # 3.75, but 5 is the shortest
    ]
    assert feed_schedule(db_path) == (5, timedelta(minutes=5))
    assert rows(db_path, "SELECT count(*) FROM articles") == [(20,)]


def test_a_private_host_refused_by_configuration_does_not_back_off(http_server, db_path, tmp_path):
    sources = watchlist(tmp_path, "local", publish_feed(http_server, [1]))
    for _ in range(3):  # refused every time: by configuration, not by the server
        make_due(db_path)
        refused = summary_of(monitor(watchlist=sources, db_path=str(db_path), return_state=True))
        assert refused.status == "failed"  # its one fetch failed: the run says so, the interval does not
    assert http_server.hits["/feed.xml"] == 0
    assert rows(db_path, "SELECT last_error, consecutive_failures FROM urls WHERE kind = 'feed'") == [
        ("private_address", 0)
    ]
    assert feed_schedule(db_path) == (15, timedelta(minutes=15))  # its interval, not a backoff
    assert (
        decisions(db_path)
        == [("local", None, None, None, 15, 15, "refused by configuration (private_address): no backoff")] * 3
    )
    assert rows(db_path, "SELECT DISTINCT outcome, error_reason FROM polls") == [("refused", "private_address")]


@pytest.mark.usefixtures("loopback_allowed")
def test_a_new_interval_on_the_watchlist_reschedules_the_source(http_server, db_path, tmp_path):
    feed = publish_feed(http_server, [1])
    monitor(watchlist=watchlist(tmp_path, "local", feed, interval=60), db_path=str(db_path))
    assert feed_schedule(db_path) == (60, timedelta(minutes=60))

    quicker = monitor(watchlist=watchlist(tmp_path, "local", feed, interval=5), db_path=str(db_path))
    assert quicker.sources_polled == 0  # rescheduled to its last poll + 5 min: not due yet
    assert feed_schedule(db_path) == (5, timedelta(minutes=5))
    [(next_poll,)] = rows(db_path, "SELECT next_fetch_at FROM urls WHERE kind = 'feed'")
    assert quicker.notes == [f"nothing due; next poll at {next_poll:%Y-%m-%d %H:%M:%S} UTC (local)"]

    execute(db_path, "UPDATE urls SET last_fetched_at = last_fetched_at - INTERVAL 10 MINUTE WHERE kind = 'feed'")
    at_once = monitor(watchlist=watchlist(tmp_path, "local", feed, interval=3), db_path=str(db_path))
    assert at_once.sources_polled == 1  # its last poll + 3 min is past: due now
    assert http_server.hits["/feed.xml"] == 2
