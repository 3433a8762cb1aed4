"""A small news site for the loopback server: article pages, an RSS feed, sitemaps, robots.txt."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from email.utils import format_datetime

from tests.support.http_server import LoopbackServer, Reply, SeenRequest

TOPICS = [
    "harbour barrier",
    "school meals",
    "rail timetable",
    "library opening",
    "bridge repairs",
    "market square",
    "river clean-up",
    "bus fares",
    "festival budget",
    "housing plan",
]


def article_html(number: int, canonical: str | None = None, extra: str = "") -> bytes:
    topic = TOPICS[number % len(TOPICS)]
    paragraphs = "".join(
        f"<p>Paragraph {p} of story {number}: the council discussed the {topic} again on day {number * 7 + p}, "
        f"and residents of ward {number + p} asked how the {topic} would be paid for this year.</p>"
        for p in range(1, 5)
    )
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f'<html lang="en"><head><meta charset="utf-8"><title>Story {number}: {topic}</title>{link}</head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>Story {number}: {topic}</h1>"
        f"{paragraphs}{extra}</article></body></html>"
    ).encode()


def rss(items: list[str]) -> bytes:
    entries = "".join(f"<item><title>{url}</title><link>{url}</link></item>" for url in items)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local news</title>'
        f"<link>http://example.invalid/</link>{entries}</channel></rss>"
    ).encode()


def with_etag(body: bytes, etag: str, content_type: str = "text/html; charset=utf-8"):
    """A responder that answers 304 when the client sends the ETag back (conditional GET)."""

    def respond(request: SeenRequest) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(status=304, body=b"", headers={"ETag": etag})
        return Reply(
            body=body,
            content_type=content_type,
            headers={"ETag": etag, "Last-Modified": format_datetime(datetime(2025, 1, 1, tzinfo=UTC), usegmt=True)},
        )

    return respond


def publish_feed(server: LoopbackServer, numbers: list[int], feed_path: str = "/feed.xml") -> str:
    """Serve articles `numbers` and a feed listing them, all with ETags; return the feed URL."""
    for number in numbers:
        server.route(f"/news/story-{number}", with_etag(article_html(number), f'"story-{number}"'))
    urls = [server.url(f"/news/story-{number}") for number in numbers]
    server.route(feed_path, with_etag(rss(urls), f'"feed-{len(numbers)}"', "application/rss+xml"))
    server.route("/robots.txt", Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"))
    return server.url(feed_path)


def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"<p>" + b"a" * size)
