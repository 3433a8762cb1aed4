"""URLs as inputs, over real sockets: the ingest flow against a loopback news site."""

from __future__ import annotations

import pytest

from flows.crawl import FETCH_UNIT
from flows.ingest import ingest
from flows.parallel import MIN_FILES_FOR_POOL
from flows.states import summary_of
from tests.support.http_server import Reply
from tests.support.news_site import article_html, gzip_bomb, publish_feed, with_etag
from tests.support.seeds import SEED_003
from tests.support.warehouse import rows
from warehouse import db
from warehouse.checks import run_checks

pytestmark = pytest.mark.usefixtures("prefect_engine")


@pytest.fixture(autouse=True)
def fast_polite_settings(monkeypatch):
    # One loopback host serves everything: keep politeness delays and timeouts test-sized.
    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")
    monkeypatch.setenv("NEWSMON_READ_TIMEOUT_S", "0.5")
    monkeypatch.setenv("NEWSMON_CONNECT_TIMEOUT_S", "0.5")
    monkeypatch.setenv("NEWSMON_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("NEWSMON_MAX_BODY_BYTES", str(512 * 1024))


def test_a_feed_is_ingested_and_a_rerun_uses_conditional_gets_and_adds_nothing(http_server, db_path):
    feed = publish_feed(http_server, [1, 2, 3])
    first = ingest(paths=[feed], db_path=str(db_path), allow_private_hosts=True)
    assert first.counts.articles_new == 3 and not first.rejects
    assert http_server.hits["/robots.txt"] == 1  # once per host per run, across the feed and article batches
    assert rows(db_path, "SELECT count(*) FROM articles WHERE url LIKE 'http://127.0.0.1:%/news/story-_'") == [(3,)]
    assert rows(db_path, "SELECT kind, found_via, count(*) FROM urls GROUP BY ALL ORDER BY 1") == [
        ("article", "feed", 3),
        ("feed", "input", 1),
    ]
    assert rows(db_path, "SELECT count(*) FROM sightings WHERE source_kind = 'url'") == [(3,)]
    before = rows(
        db_path, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM sightings), (SELECT count(*) FROM urls)"
    )

    second = ingest(paths=[feed], db_path=str(db_path), allow_private_hosts=True)
    assert second.counts.articles_new == 0 and second.urls_not_modified == 1
    assert http_server.requests_to("/feed.xml")[-1].headers["if-none-match"] == '"feed-3"'
    assert (
        rows(
            db_path,
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM sightings), (SELECT count(*) FROM urls)",
        )
        == before
    )
    assert rows(db_path, "SELECT status FROM fetches WHERE url LIKE '%/feed.xml' ORDER BY fetched_at") == [
        (200,),
        (304,),
    ]
    with db.reader(db_path) as con:
        assert all(r.passed for r in run_checks(con))


def test_a_feed_that_gains_items_adds_only_those_articles(http_server, db_path):
    feed = publish_feed(http_server, [1, 2])
    ingest(paths=[feed], db_path=str(db_path), allow_private_hosts=True)
    publish_feed(http_server, [1, 2, 3, 4])
    later = ingest(paths=[feed], db_path=str(db_path), allow_private_hosts=True)
    assert later.counts.articles_new == 2
    assert http_server.hits["/news/story-1"] == 1  # known articles are not re-fetched from the feed
    assert rows(db_path, "SELECT count(*) FROM articles") == [(4,)]


def test_loopback_urls_are_refused_unless_private_hosts_are_allowed(http_server, db_path):
    url = http_server.url("/news/story-1")
    http_server.route("/news/story-1", Reply(body=article_html(1)))
    summary = summary_of(ingest(paths=[url], db_path=str(db_path), return_state=True))
    assert http_server.hits["/news/story-1"] == 0
    assert summary.inputs_loaded == 0
    assert rows(db_path, "SELECT stage, reason FROM rejects") == [("fetch", "private_address")]
    assert rows(db_path, "SELECT count(*) FROM articles") == [(0,)]


def test_every_misbehaviour_ends_as_an_article_or_a_reject_with_its_reason(http_server, db_path, tmp_path, monkeypatch):
    s = http_server
    s.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    s.route_sequence("/flaky", [Reply(status=500, body=b"oops"), Reply(body=article_html(1))])
    s.route_sequence("/busy", [Reply(status=429, headers={"Retry-After": "1"}), Reply(body=article_html(2))])
    s.route("/hang", Reply(body=article_html(3), delay_s=3))
    s.route("/loop-a", Reply(status=302, headers={"Location": "/loop-b"}))
    s.route("/loop-b", Reply(status=302, headers={"Location": "/loop-a"}))
    s.route("/to-metadata", Reply(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    s.route("/huge", Reply(body=b"<p>" + b"x" * (1024 * 1024)))
    s.route("/bomb", Reply(body=gzip_bomb(20 * 1024 * 1024), headers={"Content-Encoding": "gzip"}))
    s.route("/report.pdf", Reply(body=b"%PDF-1.7 ...", content_type="application/pdf"))
    s.route(
        "/latin1",
        Reply(
            body=article_html(4, extra="<p>Café crème à l'hôtel de ville.</p>").decode().encode("latin-1"),
            content_type="text/html; charset=utf-8",
        ),
    )
    s.route("/private/page", Reply(body=article_html(5)))
    s.route("/etag", with_etag(article_html(6), '"v1"'))
    s.route("/gone", Reply(status=404, body=b"not here", content_type="text/plain"))
    paths = [
        "/flaky",
        "/busy",
        "/hang",
        "/loop-a",
        "/to-metadata",
        "/huge",
        "/bomb",
        "/report.pdf",
        "/latin1",
        "/private/page",
        "/etag",
        "/gone",
    ]
    url_list = tmp_path / "urls.txt"
    url_list.write_text("# misbehaving pages\n" + "\n".join(s.url(p) for p in paths) + "\n")

    # Private hosts allowed only for the loopback server: the redirect to 169.254.169.254 is refused.
    monkeypatch.setenv("NEWSMON_PRIVATE_HOST_EXCEPTIONS", f'["{s.host_port}"]')
    summary = ingest(paths=[str(url_list), str(SEED_003)], db_path=str(db_path))
    reasons = dict(rows(db_path, "SELECT regexp_extract(source, '/[^/]+$'), reason FROM rejects"))
    assert reasons == {
        "/hang": "timeout",
        "/loop-a": "too_many_redirects",
        "/to-metadata": "private_address",
        "/huge": "body_too_large",
        "/bomb": "body_too_large",
        "/report.pdf": "unsupported_content_type",
        "/page": "robots_disallowed",
        "/gone": "http_status",
    }
    loaded = {r[0] for r in rows(db_path, "SELECT regexp_extract(url, '/[^/]+$') FROM articles WHERE url IS NOT NULL")}
    assert loaded == {"/flaky", "/busy", "/latin1", "/etag"}
    assert "Café crème" in rows(db_path, "SELECT text FROM articles WHERE url LIKE '%/latin1'")[0][0]
    assert rows(db_path, "SELECT attempt, status FROM fetches WHERE url LIKE '%/flaky' ORDER BY attempt") == [
        (1, 500),
        (2, 200),
    ]
    assert s.hits["/private/page"] == 0
    assert summary.counts.articles_new == 5  # four pages and the seed file: the run went on

    again = ingest(paths=[s.url("/etag")], db_path=str(db_path))
    assert again.urls_not_modified == 1 and again.counts.articles_new == 0


def test_urls_with_the_same_canonical_url_are_one_article(http_server, db_path):
    canonical = http_server.url("/news/the-story")
    http_server.route("/news/the-story", Reply(body=article_html(7, canonical=canonical)))
    http_server.route("/amp/the-story", Reply(body=article_html(7, canonical=canonical)))
    urls = [canonical + "?utm_source=newsletter&fbclid=abc", canonical + "#comments", http_server.url("/amp/the-story")]
    ingest(paths=urls, db_path=str(db_path), allow_private_hosts=True)
    assert rows(db_path, "SELECT url FROM articles") == [(canonical,)]
    assert http_server.hits["/news/the-story"] == 1  # the tracking and fragment variants are one URL
    assert rows(db_path, "SELECT count(*) FROM sightings") == [(2,)]  # /news/the-story and /amp/the-story


def test_sitemap_index_leads_to_its_articles(http_server, db_path):
    s = http_server
    for n in (1, 2, 3):
        s.route(f"/news/story-{n}", Reply(body=article_html(n)))
    s.route(
        "/sitemap-news.xml",
        Reply(
            body=(
                b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + b"".join(f"<url><loc>{s.url(f'/news/story-{n}')}</loc></url>".encode() for n in (1, 2, 3))
                + b"</urlset>"
            ),
            content_type="application/xml",
        ),
    )
    s.route(
        "/sitemap.xml",
        Reply(
            body=(
                b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + f"<sitemap><loc>{s.url('/sitemap-news.xml')}</loc></sitemap></sitemapindex>".encode()
            ),
            content_type="application/xml",
        ),
    )
    summary = ingest(paths=[s.url("/sitemap.xml")], db_path=str(db_path), allow_private_hosts=True)
    assert summary.counts.articles_new == 3
    assert rows(db_path, "SELECT kind, count(*) FROM urls GROUP BY ALL ORDER BY 1") == [("article", 3), ("sitemap", 2)]


def test_every_url_given_is_fetched_whatever_the_run_budget_and_the_summary_says_so(
    http_server, db_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("NEWSMON_MAX_URLS_PER_RUN", "2")  # bounds what is followed, not what was asked for
    for n in range(1, 6):
        http_server.route(f"/news/story-{n}", Reply(body=article_html(n)))
    url_list = tmp_path / "urls.txt"
    url_list.write_text("".join(f"{http_server.url(f'/news/story-{n}')}\n" for n in range(1, 6)))
    summary = ingest(paths=[str(url_list)], db_path=str(db_path), allow_private_hosts=True)
    assert summary.urls_fetched == 5 and summary.counts.articles_new == 5
    assert summary.inputs_seen == 5 and summary.inputs_loaded == 5 and not summary.urls_deferred
    assert rows(db_path, "SELECT urls_fetched, urls_deferred FROM runs") == [(5, 0)]


def test_urls_not_fetched_when_the_run_time_is_up_are_deferred_and_counted(http_server, db_path):
    http_server.route("/news/story-1", Reply(body=article_html(1)))
    # a deadline already past: nothing is fetched, nothing is lost
    summary = ingest(
        paths=[http_server.url("/news/story-1")], db_path=str(db_path), allow_private_hosts=True, max_minutes=1e-9
    )
    assert http_server.hits["/news/story-1"] == 0
    assert summary.urls_deferred == {"run_deadline": 1} and summary.inputs_loaded == 0 and not summary.rejects
    assert rows(db_path, "SELECT last_error, next_fetch_at IS NOT NULL FROM urls") == [("run_deadline", True)]
    assert rows(db_path, "SELECT urls_deferred, status FROM runs") == [(1, "completed")]


def test_a_page_served_again_with_the_same_bytes_is_not_extracted_again(http_server, db_path):
    # No ETag or Last-Modified: the server answers 200 each time; the body's hash tells.
    for n in (1, 2):
        http_server.route(f"/news/story-{n}", Reply(body=article_html(n)))
    urls = [http_server.url("/news/story-1"), http_server.url("/news/story-2")]
    ingest(paths=urls, db_path=str(db_path), allow_private_hosts=True)
    before = rows(db_path, "SELECT url, content_sha256 FROM urls ORDER BY url")
    assert all(sha256 for _, sha256 in before)

    http_server.route("/news/story-2", Reply(body=article_html(2, extra="<p>A correction was added.</p>")))
    again = ingest(paths=urls, db_path=str(db_path), allow_private_hosts=True)
    assert again.urls_not_modified == 1 and again.counts.articles_updated == 1
    after = dict(rows(db_path, "SELECT url, content_sha256 FROM urls"))
    assert after[urls[0]] == dict(before)[urls[0]] and after[urls[1]] != dict(before)[urls[1]]
    assert rows(db_path, "SELECT count(*) FROM sightings") == [(2,)]


def test_pages_fetched_and_extracted_on_the_pool_load_as_in_one_process(http_server, db_path, tmp_path, monkeypatch):
    count = MIN_FILES_FOR_POOL + 10  # enough for the pool, and more than one batch
    for n in range(count):
        http_server.route(f"/news/story-{n}", Reply(body=article_html(n, extra=f"<p>Only story {n} says {n}.</p>")))
    url_list = tmp_path / "urls.txt"
    url_list.write_text("".join(f"{http_server.url(f'/news/story-{n}')}\n" for n in range(count)))
    query = "SELECT url, title, text, language FROM articles ORDER BY url"
    monkeypatch.setenv("NEWSMON_EXTRACT_PROCESSES", "1")
    alone = ingest(paths=[str(url_list)], db_path=str(tmp_path / "alone.sqlite"), allow_private_hosts=True)
    monkeypatch.setenv("NEWSMON_EXTRACT_PROCESSES", "2")
    pooled = ingest(paths=[str(url_list)], db_path=str(db_path), allow_private_hosts=True)
    assert pooled.counts.articles_new == alone.counts.articles_new == count
    assert rows(db_path, query) == rows(tmp_path / "alone.sqlite", query)


def test_urls_fetched_in_units_load_a_batch_per_transaction(http_server, db_path, tmp_path):
    batch_size = 2 * FETCH_UNIT
    count = batch_size + FETCH_UNIT // 2  # two units make the first batch; the half unit left is the second
    for n in range(count):
        http_server.route(f"/news/story-{n}", Reply(body=article_html(n, extra=f"<p>Only story {n} says {n}.</p>")))
    url_list = tmp_path / "urls.txt"
    url_list.write_text("".join(f"{http_server.url(f'/news/story-{n}')}\n" for n in range(count)))
    summary = ingest(paths=[str(url_list)], db_path=str(db_path), batch_size=batch_size, allow_private_hosts=True)
    assert summary.counts.articles_new == count
    # each load writes its articles with its own time: one time per transaction
    assert rows(db_path, "SELECT count(*), count(DISTINCT first_seen_at) FROM articles") == [(count, 2)]
