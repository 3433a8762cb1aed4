"""The monitor flow on the real Prefect engine against a loopback news site."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest

from extractors.errors import RunInProgress, WatchlistError
from flows.monitor import monitor
from tests.support.commands import newsmon
from tests.support.http_server import Reply
from tests.support.news_site import article_html, publish_feed, rss
from tests.support.warehouse import execute, rows
from warehouse import db
from warehouse.checks import run_checks
from warehouse.run_lock import exclusive_run

pytestmark = pytest.mark.usefixtures("prefect_engine")


@pytest.fixture(autouse=True)
def loopback_settings(monkeypatch, http_server):
    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")
    monkeypatch.setenv("NEWSMON_PRIVATE_HOST_EXCEPTIONS", f'["{http_server.host_port}"]')


def watchlist(tmp_path, *entries: tuple[str, str, str]) -> str:
    path = tmp_path / "watchlist.toml"
    path.write_text("".join(f'[[source]]\nname = "{n}"\nkind = "{k}"\nurl = "{u}"\n\n' for n, k, u in entries))
    return str(path)


def feed_of(server, numbers: list[int]) -> bytes:
    return rss([server.url(f"/news/story-{n}") for n in numbers])


def comment_li(number: int) -> str:
    return (
        f'<li id="comment-{number}" class="comment depth-1"><article id="div-comment-{number}" '
        f'class="comment-body"><footer class="comment-meta"><div class="comment-author vcard">'
        f'<b class="fn">Reader {number}</b></div></footer><div class="comment-content">'
        f"<p>Reader comment number {number} on the harbour story.</p></div></article></li>"
    )


def article_with_comments(count: int) -> bytes:
    comments = "".join(comment_li(n) for n in range(1, count + 1))
    thread = f'<section id="comments"><ol class="comment-list">{comments}</ol></section>'
    return article_html(1).replace(b"</article>", b"</article>" + thread.encode())


def test_a_feed_that_gains_two_items_yields_exactly_two_new_articles(http_server, db_path, tmp_path):
    feed = publish_feed(http_server, [1, 2, 3])
    sources = watchlist(tmp_path, ("local", "feed", feed))
    first = monitor(watchlist=sources, db_path=str(db_path))
    assert first.counts.articles_new == 3 and first.sources_polled == 1
    publish_feed(http_server, [1, 2, 3, 4, 5])  # a new ETag: the conditional GET gets the new feed
    # the source is due again only after its interval: make it due now
    execute(db_path, "UPDATE urls SET next_fetch_at = now()::TIMESTAMP WHERE kind = 'feed'")
    second = monitor(watchlist=sources, db_path=str(db_path))
    assert second.counts.articles_new == 2
    assert rows(db_path, "SELECT count(*) FROM articles") == [(5,)]
    assert rows(db_path, "SELECT source_name, count(*) FROM source_articles GROUP BY ALL") == [("local", 5)]
    assert rows(
        db_path,
        "SELECT status, sources_polled, urls_fetched, urls_discovered, articles_new FROM runs ORDER BY started_at",
    ) == [("completed", 1, 4, 3, 3), ("completed", 1, 3, 2, 2)]
    with db.reader(db_path) as con:
        assert [r.check for r in run_checks(con) if not r.passed] == []


def test_growing_comments_are_caught_by_the_scheduled_recrawl(http_server, db_path, tmp_path):
    http_server.route("/news/story-1", Reply(body=article_with_comments(2)))
    http_server.route("/feed.xml", Reply(body=feed_of(http_server, [1]), content_type="application/rss+xml"))
    sources = watchlist(tmp_path, ("local", "feed", http_server.url("/feed.xml")))
    monitor(watchlist=sources, db_path=str(db_path))
    assert rows(db_path, "SELECT count(*) FROM comments") == [(2,)]

    http_server.route("/news/story-1", Reply(body=article_with_comments(3)))
    monitor(watchlist=sources, db_path=str(db_path))  # first re-crawl is due 1 h after first seen: not yet
    assert http_server.hits["/news/story-1"] == 1
    assert rows(db_path, "SELECT count(*) FROM comments") == [(2,)]

    execute(  # an hour passes
        db_path,
        "UPDATE urls SET first_seen_at = first_seen_at - INTERVAL 61 MINUTE, "
        "next_fetch_at = next_fetch_at - INTERVAL 61 MINUTE WHERE kind = 'article'",
    )
    later = monitor(watchlist=sources, db_path=str(db_path))
    assert http_server.hits["/news/story-1"] == 2
    assert later.counts.comments_new == 1 and later.counts.articles_new == 0
    assert rows(db_path, "SELECT count(*), count(DISTINCT page_comment_id) FROM comments") == [(3, 3)]
    assert rows(db_path, "SELECT fetch_count, next_fetch_at - first_seen_at FROM urls WHERE kind = 'article'") == [
        (2, timedelta(hours=6))
    ]


def test_an_edited_article_gets_a_second_revision(http_server, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_RECRAWL_OFFSETS_H", "[0, 0]")  # re-crawl at once, for the test
    http_server.route("/news/story-1", Reply(body=article_html(1)))
    http_server.route("/feed.xml", Reply(body=feed_of(http_server, [1]), content_type="application/rss+xml"))
    sources = watchlist(tmp_path, ("local", "feed", http_server.url("/feed.xml")))
    monitor(watchlist=sources, db_path=str(db_path))
    edited = article_html(1).replace(b"Paragraph 2 of story 1", b"Paragraph 2 (corrected) of story 1")
    http_server.route("/news/story-1", Reply(body=edited))
    summary = monitor(watchlist=sources, db_path=str(db_path))
    assert summary.counts.articles_updated == 1
    assert rows(db_path, "SELECT revision, words_added, words_removed FROM edited_articles") == [(2, 1, 0)]
    assert rows(db_path, "SELECT count(*) FROM articles") == [(1,)]
    assert "(corrected)" in rows(db_path, "SELECT text FROM articles")[0][0]


def test_removed_sources_stop_being_polled_and_stay_recorded(http_server, db_path, tmp_path):
    feed = publish_feed(http_server, [1])
    monitor(watchlist=watchlist(tmp_path, ("local", "feed", feed)), db_path=str(db_path))
    monitor(watchlist=watchlist(tmp_path), db_path=str(db_path))
    assert rows(db_path, "SELECT name, active FROM sources") == [("local", False)]
    assert rows(db_path, "SELECT next_fetch_at FROM urls WHERE kind = 'feed'") == [(None,)]


@pytest.mark.parametrize("spelling", ["as given", "through a symlinked directory", "with a dot-dot"])
def test_a_second_run_while_one_is_active_stops_with_a_clear_message(http_server, db_path, tmp_path, spelling):
    sources = watchlist(tmp_path, ("local", "feed", publish_feed(http_server, [1])))
    db_path.parent.mkdir(parents=True)
    (tmp_path / "alias").symlink_to(db_path.parent, target_is_directory=True)
    second_path = {
        "as given": db_path,
        "through a symlinked directory": tmp_path / "alias" / db_path.name,
        "with a dot-dot": db_path.parent / ".." / db_path.parent.name / db_path.name,
    }[spelling]
    with exclusive_run(db_path):
        with pytest.raises(RunInProgress, match="runs never overlap"):
            monitor(watchlist=sources, db_path=str(second_path))
    assert http_server.hits["/feed.xml"] == 0


def test_each_run_is_bounded_and_the_backlog_is_worked_off(http_server, db_path, tmp_path):
    feed = publish_feed(http_server, list(range(1, 8)))
    sources = watchlist(tmp_path, ("local", "feed", feed))
    first = monitor(watchlist=sources, db_path=str(db_path), max_urls=4)
    assert first.urls_fetched == 4 and first.counts.articles_new == 3  # the feed and three articles
    second = monitor(watchlist=sources, db_path=str(db_path), max_urls=4)
    assert second.counts.articles_new == 4  # the rest, new URLs first
    assert rows(db_path, "SELECT count(*) FROM articles") == [(7,)]


def test_poll_now_polls_named_sources_that_are_not_due_and_the_summary_says_what_waits(http_server, db_path, tmp_path):
    publish_feed(http_server, [1])
    publish_feed(http_server, [2], feed_path="/other.xml")
    sources = watchlist(
        tmp_path, ("local", "feed", http_server.url("/feed.xml")), ("other", "feed", http_server.url("/other.xml"))
    )
    monitor(watchlist=sources, db_path=str(db_path))
    nothing = monitor(watchlist=sources, db_path=str(db_path))
    [(first_due, name)] = rows(
        db_path,
        "SELECT u.next_fetch_at, s.name FROM urls u JOIN sources s USING (url) "
        "ORDER BY u.next_fetch_at, s.name LIMIT 1",
    )
    assert nothing.sources_polled == 0
    assert nothing.notes == [f"nothing due; next poll at {first_due:%Y-%m-%d %H:%M:%S} UTC ({name})"]

    one = monitor(watchlist=sources, db_path=str(db_path), poll_now=["other"])
    assert one.sources_polled == 1 and (http_server.hits["/feed.xml"], http_server.hits["/other.xml"]) == (1, 2)
    [(local_due,)] = rows(db_path, "SELECT next_fetch_at FROM urls WHERE url = ?", [http_server.url("/feed.xml")])
    assert one.notes == [f"1 of 2 sources not due; next poll at {local_due:%Y-%m-%d %H:%M:%S} UTC (local)"]

    every = monitor(watchlist=sources, db_path=str(db_path), poll_now=[])
    assert every.sources_polled == 2 and every.notes == []
    assert (http_server.hits["/feed.xml"], http_server.hits["/other.xml"]) == (2, 3)
    with pytest.raises(WatchlistError, match="no source named 'gone' on the watchlist"):
        monitor(watchlist=sources, db_path=str(db_path), poll_now=["gone"])
    assert (http_server.hits["/feed.xml"], http_server.hits["/other.xml"]) == (2, 3)


def test_monitor_now_on_the_command_line_polls_a_source_that_is_not_due(http_server, db_path, tmp_path):
    sources = watchlist(tmp_path, ("local", "feed", publish_feed(http_server, [1])))
    monitor(watchlist=sources, db_path=str(db_path))
    settings = {"NEWSMON_PER_HOST_MIN_DELAY_S": "0", "COLUMNS": "200"}
    common = ["--watchlist", sources, "--db", str(db_path), "--allow-private-hosts"]

    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    unknown = newsmon(["monitor", "--now", "gone", *common], tmp_path / "home", settings, **pipes)
    _, stderr = unknown.communicate(timeout=120)
    assert unknown.returncode == 2 and "no source named 'gone'" in stderr and len(stderr.splitlines()) == 1

    run = newsmon(["monitor", "--now", "local", *common], tmp_path / "home", settings, **pipes)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr[-3000:]
    assert re.search(r"sources polled\s*│\s*1\s*│", stdout), stdout
    assert http_server.hits["/feed.xml"] == 2
    assert rows(db_path, "SELECT count(*) FROM polls") == [(2,)]
