"""Discovery: pure parsing of feeds, sitemaps and section pages, then the same over the
loopback server through the real fetcher (the localhost/IP links must survive)."""

from __future__ import annotations

import gzip

import pytest

from extractors.discovery import (
    detect_source_kind,
    links_from_feed,
    links_from_section_page,
    links_from_sitemap,
)
from extractors.errors import UnsupportedInput
from extractors.fetch import Fetcher, FetchRequest, FetchSettings
from tests.support.http_server import LoopbackServer, Reply

SITE = "https://news.example.com"

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Example News</title>
  <link>{SITE}/</link>
  <atom:link href="{SITE}/feed.xml" rel="self" type="application/rss+xml"/>
  <image><url>{SITE}/logo.png</url><link>{SITE}/</link></image>
  <item>
    <title>Flood</title>
    <link>{SITE}/world/2026/11/03/flood-hits-the-north?utm_source=rss&amp;utm_medium=feed</link>
    <enclosure url="{SITE}/media/flood.jpg" type="image/jpeg"/>
  </item>
  <item><title>Vote</title><link><![CDATA[/politics/vote-count-goes-on?page=2&amp;id=9]]></link></item>
  <item><title>Flood again</title><link>{SITE}/world/2026/11/03/flood-hits-the-north#comments</link></item>
  <item><title>Elsewhere</title><link>https://partner.example.org/story/12345</link></item>
</channel>
</rss>
"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example News</title>
  <link href="{SITE}/" rel="alternate"/>
  <link href="{SITE}/section/politics/" rel="alternate"/>
  <link href="{SITE}/atom.xml" rel="self"/>
  <entry>
    <title>One</title>
    <link href="{SITE}/politics/one-big-story" rel="alternate"/>
    <link href="{SITE}/politics/one-big-story/comments.atom" rel="replies" type="application/atom+xml"/>
    <link href="{SITE}/podcast/one.mp3" rel="enclosure"/>
  </entry>
  <entry><title>Two</title><link href="/politics/two-more-news"/></entry>
</feed>
"""

JSON_FEED = """{"version": "https://jsonfeed.org/version/1.1", "title": "Example",
 "items": [{"id": "1", "url": "https://news.example.com/a/first-json-story"},
           {"id": "https://news.example.com/a/second-json-story"}]}"""

URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
        xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <url>
    <loc>{SITE}/world/flood-hits-the-north</loc>
    <lastmod>2026-11-03</lastmod>
    <image:image><image:loc>{SITE}/media/flood.jpg</image:loc></image:image>
    <xhtml:link rel="alternate" hreflang="de" href="{SITE}/de/welt/flut"/>
  </url>
  <url><loc> {SITE}/politics/vote?utm_source=sitemap </loc></url>
  <url><loc>{SITE}/world/flood-hits-the-north</loc></url>
</urlset>
"""

SITEMAP_INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{SITE}/sitemaps/news.xml</loc><lastmod>2026-11-03</lastmod></sitemap>
  <sitemap><loc>{SITE}/sitemaps/2026-11.xml.gz</loc></sitemap>
  <sitemap><loc>{SITE}/sitemaps/pages?page=2</loc></sitemap>
</sitemapindex>
"""

NEWS_SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>{SITE}/business/markets-rally-on-rate-cut</loc>
    <news:news>
      <news:publication><news:name>Example News</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-11-03T08:00:00+00:00</news:publication_date>
      <news:title>Markets rally on rate cut</news:title>
    </news:news>
  </url>
  <url><loc>{SITE}/business/oil-prices-fall</loc></url>
</urlset>
"""


def section_page(site: str) -> str:
    host = site.split("://", 1)[1]
    return f"""<!DOCTYPE html><html><head><title>World</title>
<link rel="alternate" type="application/rss+xml" href="/world/feed"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport/football">Football</a>
  <a href="/login">Log in</a> <a href="/category/world/">All world</a> <a href="/tag/floods/">Floods</a></nav>
<main>
  <article><a href="/world/2026/11/03/flood-hits-the-north?utm_source=home">Flood hits the north</a>
    <a href="/world/2026/11/03/flood-hits-the-north#comments">12 comments</a></article>
  <article><a href="europe/talks-end-without-deal">Talks end without deal</a></article>
  <article><a href="{site}/news/12345678">Short id story</a></article>
  <article><a href="//www.{host}/culture/a-night-at-the-opera">Opera</a></article>
  <a href="/world/page/2/">Older</a> <a href="/media/report-2026.pdf">Report</a>
  <a href="https://other.example.org/world/their-own-long-story">Elsewhere</a>
  <a href="/sponsored/buy-this-great-thing" rel="sponsored nofollow">Ad</a>
  <a href="mailto:desk@{host}">Mail us</a> <a href="javascript:void(0)">Menu</a>
  <a href="{site}/world">World (again)</a>
</main></body></html>"""


# --- feeds ----------------------------------------------------------------------------------


def test_rss_item_links_in_order_without_feed_links_trackers_or_enclosures() -> None:
    assert links_from_feed(RSS, f"{SITE}/feed.xml") == [
        f"{SITE}/world/2026/11/03/flood-hits-the-north",
        f"{SITE}/politics/vote-count-goes-on?id=9&page=2",
        "https://partner.example.org/story/12345",
    ]


def test_atom_entry_links_resolve_relative_hrefs_and_skip_feed_level_links() -> None:
    assert links_from_feed(ATOM, f"{SITE}/atom.xml") == [
        f"{SITE}/politics/one-big-story",
        f"{SITE}/politics/two-more-news",
    ]


def test_json_feed() -> None:
    assert links_from_feed(JSON_FEED, f"{SITE}/feed.json") == [
        f"{SITE}/a/first-json-story",
        f"{SITE}/a/second-json-story",
    ]


def test_feed_links_on_localhost_and_ip_hosts_survive() -> None:
    # trafilatura's own extract_links() returns [] here: courlan's check_url rejects these hosts.
    for site in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"):
        assert links_from_feed(RSS.replace(SITE, site), f"{site}/feed.xml")[:2] == [
            f"{site}/world/2026/11/03/flood-hits-the-north",
            f"{site}/politics/vote-count-goes-on?id=9&page=2",
        ]


def test_an_empty_feed_has_no_links() -> None:
    assert (
        links_from_feed(
            '<rss version="2.0"><channel><title>t</title><link>https://x.example/</link></channel></rss>',
            "https://x.example/rss",
        )
        == []
    )


@pytest.mark.parametrize("text", ["<html><body>Hello</body></html>", "just words", ""])
def test_a_non_feed_is_rejected(text: str) -> None:
    with pytest.raises(UnsupportedInput, match="not an RSS, Atom or JSON feed"):
        links_from_feed(text, f"{SITE}/feed.xml")


# --- sitemaps -------------------------------------------------------------------------------


def test_urlset_pages_only_loc_of_each_url() -> None:
    assert links_from_sitemap(URLSET, f"{SITE}/sitemap.xml") == (
        [f"{SITE}/world/flood-hits-the-north", f"{SITE}/politics/vote"],
        [],
    )


def test_sitemap_index_gives_child_sitemaps_whatever_their_suffix() -> None:
    assert links_from_sitemap(SITEMAP_INDEX, f"{SITE}/sitemap_index.xml") == (
        [],
        [f"{SITE}/sitemaps/news.xml", f"{SITE}/sitemaps/2026-11.xml.gz", f"{SITE}/sitemaps/pages?page=2"],
    )


def test_google_news_sitemap() -> None:
    pages, children = links_from_sitemap(NEWS_SITEMAP, f"{SITE}/sitemaps/news.xml")
    assert pages == [f"{SITE}/business/markets-rally-on-rate-cut", f"{SITE}/business/oil-prices-fall"]
    assert children == []


def test_sitemap_without_namespace_and_with_a_latin1_declaration() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><urlset><url><loc>http://127.0.0.1:9/café-crème</loc></url></urlset>'
    assert links_from_sitemap(text, "http://127.0.0.1:9/sitemap.xml") == (
        ["http://127.0.0.1:9/caf%C3%A9-cr%C3%A8me"],
        [],
    )


def test_plain_text_sitemap() -> None:
    text = f"\ufeff{SITE}/a/one-story\n\n{SITE}/a/two-story\r\n{SITE}/a/one-story\n"
    assert links_from_sitemap(text, f"{SITE}/sitemap.txt") == ([f"{SITE}/a/one-story", f"{SITE}/a/two-story"], [])


@pytest.mark.parametrize("text", ["<html><body>no</body></html>", "hello world\nsecond line", "<rss><channel/></rss>"])
def test_a_non_sitemap_is_rejected(text: str) -> None:
    with pytest.raises(UnsupportedInput):
        links_from_sitemap(text, f"{SITE}/sitemap.xml")


# --- section pages --------------------------------------------------------------------------


def test_section_page_article_links_on_the_same_site() -> None:
    assert links_from_section_page(section_page(SITE), f"{SITE}/world/") == [
        f"{SITE}/world/2026/11/03/flood-hits-the-north",
        f"{SITE}/world/europe/talks-end-without-deal",
        f"{SITE}/news/12345678",
        "https://www.news.example.com/culture/a-night-at-the-opera",  # www. counts as the same site
    ]


def test_section_page_on_a_loopback_host_keeps_its_links() -> None:
    site = "http://127.0.0.1:8000"
    links = links_from_section_page(section_page(site), f"{site}/world/")
    assert links[:3] == [
        f"{site}/world/2026/11/03/flood-hits-the-north",
        f"{site}/world/europe/talks-end-without-deal",
        f"{site}/news/12345678",
    ]


def test_base_href_is_honoured() -> None:
    page = (
        '<html><head><base href="https://news.example.com/archive/"></head>'
        '<body><a href="old-story-from-last-year">x</a></body></html>'
    )
    assert links_from_section_page(page, f"{SITE}/world/") == [f"{SITE}/archive/old-story-from-last-year"]


@pytest.mark.parametrize("page", ["", "  \n", "<!-- nothing -->"])
def test_an_empty_page_has_no_links(page: str) -> None:
    assert links_from_section_page(page, f"{SITE}/") == []


# --- what kind of source ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "content_type", "kind"),
    [
        (RSS, "application/rss+xml", "feed"),
        (RSS, "text/html", "feed"),  # the document wins over a wrong label
        (ATOM, "application/xml", "feed"),
        ('<?xml version="1.0"?><!-- c --><rdf:RDF xmlns:rdf="x"></rdf:RDF>', "text/xml", "feed"),
        (JSON_FEED, "application/json", "feed"),
        (URLSET, "application/xml", "sitemap"),
        (SITEMAP_INDEX, "text/xml", "sitemap"),
        (f"{SITE}/a\n{SITE}/b\n", "text/plain", "sitemap"),
        (section_page(SITE), "text/html; charset=utf-8", "page"),
        ("just some text", "text/plain", "page"),
        ("", None, "page"),
    ],
)
def test_detect_source_kind(text: str, content_type: str | None, kind: str) -> None:
    assert detect_source_kind(text, content_type) == kind


# --- over the loopback server ---------------------------------------------------------------


@pytest.mark.anyio
async def test_discovery_over_the_loopback_server(http_server: LoopbackServer) -> None:
    site = f"http://{http_server.host_port}"
    http_server.route("/feed.xml", Reply(body=RSS.replace(SITE, site).encode(), content_type="application/rss+xml"))
    http_server.route(
        "/sitemap_index.xml", Reply(body=SITEMAP_INDEX.replace(SITE, site).encode(), content_type="application/xml")
    )
    http_server.route(
        "/sitemaps/news.xml", Reply(body=NEWS_SITEMAP.replace(SITE, site).encode(), content_type="text/xml")
    )
    http_server.route(
        "/sitemaps/2026-11.xml.gz",
        Reply(body=gzip.compress(URLSET.replace(SITE, site).encode()), content_type="application/x-gzip"),
    )
    http_server.route("/world/", Reply(body=section_page(site).encode()))
    # The fetcher refuses private addresses except the one this test exempts: the server's own.
    settings = FetchSettings(per_host_min_delay_s=0, private_host_exceptions=frozenset({http_server.host_port}))

    async with Fetcher(settings) as fetcher:
        feed, index, section = await fetcher.fetch_many(
            [
                FetchRequest(f"{site}/feed.xml", expect="feed"),
                FetchRequest(f"{site}/sitemap_index.xml", expect="feed"),
                FetchRequest(f"{site}/world/"),
            ]
        )
        assert feed.text and index.text and section.text
        _, children = links_from_sitemap(index.text, index.final_url)
        news, monthly = await fetcher.fetch_many(
            [FetchRequest(url, expect="feed") for url in children if "pages" not in url]
        )

    assert detect_source_kind(feed.text, feed.content_type) == "feed"
    assert links_from_feed(feed.text, feed.final_url)[:2] == [
        f"{site}/world/2026/11/03/flood-hits-the-north",
        f"{site}/politics/vote-count-goes-on?id=9&page=2",
    ]
    assert children[:2] == [f"{site}/sitemaps/news.xml", f"{site}/sitemaps/2026-11.xml.gz"]
    assert news.text and links_from_sitemap(news.text, news.final_url)[0] == [
        f"{site}/business/markets-rally-on-rate-cut",
        f"{site}/business/oil-prices-fall",
    ]
    assert monthly.text and links_from_sitemap(monthly.text, monthly.final_url)[0] == [
        f"{site}/world/flood-hits-the-north",
        f"{site}/politics/vote",
    ]
    assert detect_source_kind(section.text, section.content_type) == "page"
    assert (
        links_from_section_page(section.text, section.final_url)[0] == f"{site}/world/2026/11/03/flood-hits-the-north"
    )
