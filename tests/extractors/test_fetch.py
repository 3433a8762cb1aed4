"""The fetcher against a real HTTP server on 127.0.0.1 (plus a few pure unit tests).

Settings are shrunk (timeouts, backoff, delays, body limit) so the whole file runs in seconds.
Timing is asserted only as counts, order and lower bounds measured on the server side (a gap
between request starts of at least the delay), or as generous bounds that catch a hang: a
loaded machine makes things slower, never faster.
The loopback server is private, so most tests allow private hosts; the safety tests instead
exempt only the server's own host:port and check that everything else private is refused.
"""

from __future__ import annotations

import email.utils
import gzip
import itertools
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from extractors.errors import (
    BadContentEncoding,
    BlockedByRobots,
    BodyTooLarge,
    ConnectFailed,
    FetchTimeout,
    HttpStatusError,
    InvalidUrl,
    PrivateAddressRefused,
    RateLimited,
    RobotsUnavailable,
    ServerAskedToWait,
    ServerError,
    TooManyRedirects,
    UnsupportedContentType,
    UnsupportedScheme,
)
from extractors.fetch import (
    Expect,
    Fetcher,
    FetchRequest,
    FetchResult,
    FetchSettings,
    decode_body,
    non_public_reason,
    parse_retry_after,
    retry_delay,
)
from tests.support.http_server import LoopbackServer, Reply, SeenRequest

pytestmark = pytest.mark.anyio

LIMIT = 64 * 1024
FAST = FetchSettings(
    per_host_min_delay_s=0,
    connect_timeout_s=1,
    read_timeout_s=1,
    max_body_bytes=LIMIT,
    max_attempts=3,
    backoff_base_s=0.01,
    backoff_max_s=2,
    allow_private_hosts=True,
)
PAGE = "<html><head><title>t</title></head><body><p>Le café coûte 3 €.</p></body></html>"
FRENCH = (
    "Le café de la gare était fermé ce matin. Les habitués, déçus, sont allés à côté, "
    "où l'on sert un thé très réputé et des crêpes à la crème. "
) * 8


async def fetch(
    settings: FetchSettings,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    expect: Expect = "html",
) -> FetchResult:
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url, etag=etag, last_modified=last_modified, expect=expect)


# --- decoding -------------------------------------------------------------------------------


async def test_charset_from_the_content_type_header(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(body=PAGE.encode("cp1252"), content_type="text/html; charset=windows-1252"))
    result = await fetch(FAST, http_server.url("/a"))
    assert result.ok and result.status == 200
    assert "Le café coûte 3 €." in (result.text or "")
    assert result.body == PAGE.encode("cp1252")


async def test_charset_from_meta_when_the_header_has_none(http_server: LoopbackServer) -> None:
    page = PAGE.replace("<head>", '<head><meta charset="windows-1252">')
    http_server.route("/a", Reply(body=page.encode("cp1252"), content_type="text/html"))
    result = await fetch(FAST, http_server.url("/a"))
    assert "Le café coûte 3 €." in (result.text or "")


async def test_wrong_header_charset_falls_back_to_meta(http_server: LoopbackServer) -> None:
    page = PAGE.replace("<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')
    http_server.route("/a", Reply(body=page.encode("cp1252"), content_type="text/html; charset=utf-8"))
    result = await fetch(FAST, http_server.url("/a"))
    assert "Le café coûte 3 €." in (result.text or "")


async def test_wrong_header_charset_and_no_meta_is_detected(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(body=f"<p>{FRENCH}</p>".encode("cp1252"), content_type="text/html; charset=utf-8"))
    result = await fetch(FAST, http_server.url("/a"))
    assert FRENCH in (result.text or "")


def test_bom_wins_over_a_wrong_header_and_latin1_means_windows_1252() -> None:
    assert decode_body(b"\xef\xbb\xbfcaf\xc3\xa9", "text/html; charset=iso-8859-1") == "café"
    assert decode_body("“quoted”".encode("cp1252"), "text/html; charset=ISO-8859-1") == "“quoted”"


# --- retries --------------------------------------------------------------------------------


async def test_server_error_then_success_is_retried(http_server: LoopbackServer) -> None:
    http_server.route_sequence("/a", [Reply(status=500, body=b"oops"), Reply(body=PAGE.encode())])
    result = await fetch(FAST, http_server.url("/a"))
    assert result.ok and result.status == 200
    assert [(a.attempt, a.status, a.error_class) for a in result.attempts if a.final_url.endswith("/a")] == [
        (1, 500, "ServerError"),
        (2, 200, None),
    ]
    assert http_server.hits["/a"] == 2


async def test_rate_limited_waits_for_retry_after(http_server: LoopbackServer) -> None:
    http_server.route_sequence("/a", [Reply(status=429, headers={"Retry-After": "1"}), Reply(body=PAGE.encode())])
    result = await fetch(FAST, http_server.url("/a"))
    assert result.ok
    first, second = http_server.requests_to("/a")
    assert second.started_at - first.started_at >= 0.95
    assert result.attempts[-2].error_class == "RateLimited"


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, lambda now: "3600"), (503, lambda now: email.utils.format_datetime(now + timedelta(hours=1), usegmt=True))],
)
async def test_a_retry_after_longer_than_backoff_max_is_deferred_not_retried(
    http_server: LoopbackServer, status: int, retry_after: Callable[[datetime], str]
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    http_server.route("/a", Reply(status=status, headers={"Retry-After": retry_after(before)}))
    result = await fetch(FAST, http_server.url("/a"))
    error = result.error
    assert isinstance(error, ServerAskedToWait) and error.reason == "retry_after"
    assert error.retry_at is not None and error.retry_at.tzinfo is not None
    assert before + timedelta(hours=1) - timedelta(seconds=1) <= error.retry_at
    assert error.retry_at <= datetime.now(UTC) + timedelta(hours=1)
    assert f"HTTP {status}" in error.detail and "longer than the 2 s we wait" in error.detail
    assert result.status == status
    assert [(a.status, a.error_class) for a in result.attempts if a.final_url.endswith("/a")] == [
        (status, "ServerAskedToWait")
    ]
    assert http_server.hits["/a"] == 1


async def test_a_retry_after_of_years_is_taken_as_a_week(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(status=503, headers={"Retry-After": "9" * 30}))
    result = await fetch(FAST, http_server.url("/a"))
    assert isinstance(result.error, ServerAskedToWait)
    assert result.error.retry_at is not None
    assert result.error.retry_at <= datetime.now(UTC) + timedelta(days=7)


async def test_a_hang_past_the_read_timeout_is_a_timeout_after_retries(http_server: LoopbackServer) -> None:
    hang_s = 60  # the server would answer after a minute; the test server wakes it when the test ends
    http_server.route("/slow", Reply(body=PAGE.encode(), delay_s=hang_s))
    settings = FAST.model_copy(update=dict(read_timeout_s=0.2, max_attempts=2))
    result = await fetch(settings, http_server.url("/slow"))
    assert isinstance(result.error, FetchTimeout)
    assert result.error.reason == "timeout" and result.error.stage == "fetch"
    slow = [a for a in result.attempts if a.final_url.endswith("/slow")]
    assert [a.error_class for a in slow] == ["FetchTimeout"] * 2
    assert all(a.status is None for a in slow)  # gave up before the server answered
    first, second = http_server.requests_to("/slow")
    assert second.started_at - first.started_at >= 0.9 * settings.read_timeout_s  # retried once the wait ran out
    assert all(a.elapsed_ms < hang_s * 1000 / 4 for a in slow)  # generous: catches waiting for the answer


async def test_not_found_is_not_retried(http_server: LoopbackServer) -> None:
    result = await fetch(FAST, http_server.url("/missing"))
    assert isinstance(result.error, HttpStatusError) and result.error.status == 404
    assert result.status == 404 and result.body is None
    assert http_server.hits["/missing"] == 1


# --- redirects and address safety -------------------------------------------------------------


async def test_redirects_are_followed_hop_by_hop(http_server: LoopbackServer) -> None:
    http_server.route("/old", Reply(status=301, headers={"Location": "/middle"}))
    http_server.route("/middle", Reply(status=302, headers={"Location": http_server.url("/new")}))
    http_server.route("/new", Reply(body=PAGE.encode()))
    result = await fetch(FAST, http_server.url("/old"))
    assert result.ok and result.final_url == http_server.url("/new")
    pages = [a for a in result.attempts if a.url == http_server.url("/old")]
    assert [(a.final_url.removeprefix(http_server.url("")), a.status) for a in pages] == [
        ("/old", 301),
        ("/middle", 302),
        ("/new", 200),
    ]


async def test_a_redirect_loop_is_too_many_redirects(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(status=302, headers={"Location": "/b"}))
    http_server.route("/b", Reply(status=302, headers={"Location": "/a"}))
    result = await fetch(FAST.model_copy(update=dict(max_redirects=3)), http_server.url("/a"))
    assert isinstance(result.error, TooManyRedirects)
    assert http_server.hits["/a"] + http_server.hits["/b"] == 4  # the first request + 3 redirects


async def test_a_loopback_url_is_refused_unless_private_hosts_are_allowed(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(body=PAGE.encode()))
    result = await fetch(FAST.model_copy(update=dict(allow_private_hosts=False)), http_server.url("/a"))
    assert isinstance(result.error, PrivateAddressRefused)
    assert "127.0.0.1" in result.error.detail and "loopback" in result.error.detail
    assert sum(http_server.hits.values()) == 0  # refused before connecting, robots.txt included


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.1/admin",  # private network
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://localhost:{port}/secret",  # the same server, by another name
        "http://localhost.:{port}/secret",  # ... with the root's dot
        "http://[::1]:{port}/secret",
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(http_server: LoopbackServer, target: str) -> None:
    # Only the test server's own host:port is exempt, as an operator would exempt one intranet
    # mirror. The redirect is refused before any connection to the target is attempted.
    settings = FAST.model_copy(
        update=dict(allow_private_hosts=False, private_host_exceptions=frozenset({http_server.host_port}))
    )
    http_server.route("/go", Reply(status=302, headers={"Location": target.format(port=http_server.port)}))
    result = await fetch(settings, http_server.url("/go"))
    assert isinstance(result.error, PrivateAddressRefused), result.error
    assert result.final_url == target.format(port=http_server.port)
    assert http_server.hits["/go"] == 1 and http_server.hits["/secret"] == 0


async def test_a_redirect_to_another_scheme_is_refused(http_server: LoopbackServer) -> None:
    http_server.route("/go", Reply(status=302, headers={"Location": "file:///etc/passwd"}))
    result = await fetch(FAST, http_server.url("/go"))
    assert isinstance(result.error, UnsupportedScheme)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("fd00:ec2::254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("fe80::1", True),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
        # IPv6 addresses that lead to an IPv4 one are judged by it.
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", True),  # 6to4 of 10.0.0.1
        ("2002:0808:0808::", False),  # 6to4 of 8.8.8.8
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True),  # Teredo, client 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", True),  # Teredo, client 10.0.0.1
        ("2001:0:a00:1:8000:63bf:f7f7:f7f7", True),  # Teredo, server 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", False),  # Teredo, server 65.54.227.120, client 8.8.8.8
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("64:ff9b:1::a00:1", True),  # local-use NAT64 of 10.0.0.1
        ("64:ff9b::808:808", False),  # NAT64 of 8.8.8.8: how an IPv6-only network reaches IPv4 sites
    ],
)
def test_non_public_addresses(address: str, refused: bool) -> None:
    assert (non_public_reason(address) is not None) is refused


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("2002:7f00:1::", "a loopback address (6to4 of 127.0.0.1)"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "a private address (Teredo client 10.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address (NAT64 of 169.254.169.254)"),
        ("64:ff9b:1::a00:1", "a private address (NAT64 of 10.0.0.1)"),
    ],
)
def test_an_address_carrying_ipv4_says_which(address: str, reason: str) -> None:
    assert non_public_reason(address) == reason


@pytest.mark.parametrize("host", ["127.0.0.1.", "localhost."])
async def test_a_host_with_a_root_dot_is_refused_like_without(http_server: LoopbackServer, host: str) -> None:
    http_server.route("/a", Reply(body=PAGE.encode()))
    url = f"http://{host}:{http_server.port}/a"
    result = await fetch(FAST.model_copy(update=dict(allow_private_hosts=False)), url)
    assert isinstance(result.error, PrivateAddressRefused), result.error
    assert "127.0.0.1, a loopback address" in result.error.detail
    assert result.attempts == () and sum(http_server.hits.values()) == 0  # refused before connecting


@pytest.mark.parametrize(
    ("host", "exception"), [("127.0.0.1.", "127.0.0.1:{port}"), ("localhost", "LocalHost.:{port}")]
)
async def test_a_private_host_exception_matches_with_or_without_the_root_dot(
    http_server: LoopbackServer, host: str, exception: str
) -> None:
    http_server.route("/a", Reply(body=PAGE.encode()))
    settings = FAST.model_copy(
        update=dict(
            allow_private_hosts=False, private_host_exceptions=frozenset({exception.format(port=http_server.port)})
        )
    )
    result = await fetch(settings, f"http://{host}:{http_server.port}/a")
    assert result.ok, result.error
    assert http_server.hits["/a"] == 1


# --- limits ---------------------------------------------------------------------------------


async def test_an_announced_oversized_body_is_refused_unread(http_server: LoopbackServer) -> None:
    http_server.route("/big", Reply(body=b"x" * (4 * LIMIT)))
    result = await fetch(FAST, http_server.url("/big"))
    assert isinstance(result.error, BodyTooLarge) and "Content-Length" in result.error.detail
    assert result.attempts[-1].bytes == 0


async def test_an_oversized_body_without_length_stops_at_the_limit(http_server: LoopbackServer) -> None:
    http_server.route("/big", Reply(body=b"x" * (16 * LIMIT), send_length=False))
    result = await fetch(FAST, http_server.url("/big"))
    assert isinstance(result.error, BodyTooLarge)
    assert LIMIT < result.attempts[-1].bytes <= LIMIT + 64 * 1024  # stopped within one network read


async def test_a_gzip_bomb_stops_at_the_limit(http_server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * (50 * 2**20), compresslevel=9)  # 50 MiB in ~50 KB, under the limit
    assert len(bomb) < LIMIT
    http_server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    result = await fetch(FAST, http_server.url("/bomb"))
    assert isinstance(result.error, BodyTooLarge)
    assert result.attempts[-1].bytes == LIMIT + 1  # decompression itself stopped one byte past the limit
    assert http_server.hits["/bomb"] == 1  # final, not retried


async def test_a_gzip_encoded_page_is_decoded(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(body=gzip.compress(PAGE.encode()), headers={"Content-Encoding": "gzip"}))
    result = await fetch(FAST, http_server.url("/a"))
    assert result.ok and result.text == PAGE
    assert http_server.requests_to("/a")[0].headers["accept-encoding"] == "gzip, deflate"


async def test_every_member_of_a_gzip_encoded_page_is_decoded(http_server: LoopbackServer) -> None:
    half = len(PAGE) // 2
    members = gzip.compress(PAGE[:half].encode()) + gzip.compress(PAGE[half:].encode())  # `cat a.gz b.gz`
    http_server.route("/a", Reply(body=members, headers={"Content-Encoding": "gzip"}))
    result = await fetch(FAST, http_server.url("/a"))
    assert result.ok and result.text == PAGE


async def test_a_gzip_bomb_in_a_second_member_stops_at_the_limit(http_server: LoopbackServer) -> None:
    members = gzip.compress(PAGE.encode()) + gzip.compress(b"\0" * (50 * 2**20), compresslevel=9)
    http_server.route("/bomb", Reply(body=members, headers={"Content-Encoding": "gzip"}))
    result = await fetch(FAST, http_server.url("/bomb"))
    assert isinstance(result.error, BodyTooLarge)
    assert result.attempts[-1].bytes == LIMIT + 1


async def test_a_pdf_is_an_unsupported_content_type(http_server: LoopbackServer) -> None:
    http_server.route("/paper.pdf", Reply(body=b"%PDF-1.7 ...", content_type="application/pdf"))
    result = await fetch(FAST, http_server.url("/paper.pdf"))
    assert isinstance(result.error, UnsupportedContentType)
    assert result.status == 200 and result.content_type == "application/pdf"
    assert result.attempts[-1].bytes == 0  # refused on the header, body never read


@pytest.mark.parametrize(
    ("body", "sniffed"),
    [
        (PAGE, "text/html"),
        ("\ufeff\n  <!DOCTYPE html>\n<p>Le café.</p>", "text/html"),
        ("<!-- generated --><div class=story>Le café.</div>", "text/html"),
        ("<p>Le café.</p>", "text/html"),
        ('<?xml version="1.0"?>\n<?xml-stylesheet href="/rss.xsl"?>\n<rss version="2.0"></rss>', "application/rss+xml"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "application/atom+xml"),
        ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', "application/xml"),
    ],
)
@pytest.mark.parametrize("header", [None, ""])
async def test_a_body_without_content_type_is_sniffed(
    http_server: LoopbackServer, body: str, sniffed: str, header: str | None
) -> None:
    http_server.route("/a", Reply(body=body.encode(), content_type=header))
    result = await fetch(FAST, http_server.url("/a"), expect="html_or_feed")
    assert result.ok, result.error
    assert result.content_type == sniffed and result.text == body.removeprefix("\ufeff")
    assert result.attempts[-1].content_type == header  # the log keeps what the server sent


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "no Content-Type and the body does not look like HTML or a feed"),
        (b"Just some words, no markup.", "no Content-Type and the body does not look like HTML or a feed"),
        (b"<param name=x>", "no Content-Type and the body does not look like HTML or a feed"),
        (b'<rss version="2.0"></rss>', "no Content-Type, and the body looks like application/rss+xml, not an"),
    ],
)
async def test_a_body_without_content_type_that_is_not_html_is_refused(
    http_server: LoopbackServer, body: bytes, said: str
) -> None:
    http_server.route("/a", Reply(body=body, content_type=None))
    result = await fetch(FAST, http_server.url("/a"))
    assert isinstance(result.error, UnsupportedContentType) and said in result.error.detail
    assert result.status == 200 and result.body is None
    assert http_server.hits["/a"] == 1


async def test_a_gzipped_sitemap_is_unpacked_for_expect_feed(http_server: LoopbackServer) -> None:
    xml = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    http_server.route("/sitemap.xml.gz", Reply(body=gzip.compress(xml), content_type="application/x-gzip"))
    result = await fetch(FAST, http_server.url("/sitemap.xml.gz"), expect="feed")
    assert result.ok and result.body == xml and result.text == xml.decode()
    assert isinstance((await fetch(FAST, http_server.url("/sitemap.xml.gz"))).error, UnsupportedContentType)


@pytest.mark.parametrize(
    ("payload", "error_class", "said"),
    [
        (gzip.compress(b"<urlset>" + b" " * (4 * LIMIT)), BodyTooLarge, "gzip file unpacks to over the"),
        (gzip.compress(b"<urlset></urlset>" * 50)[:-12], BadContentEncoding, "gzip file ends before its end marker"),
        (b"\x1f\x8b\x08\x00 this is not deflate data", BadContentEncoding, "gzip file is corrupt"),
    ],
)
async def test_a_gzipped_sitemap_too_large_cut_off_or_corrupt_is_refused(
    http_server: LoopbackServer, payload: bytes, error_class: type[Exception], said: str
) -> None:
    assert len(payload) < LIMIT  # the body itself is under the limit; only what it unpacks to is not
    http_server.route("/sitemap.xml.gz", Reply(body=payload, content_type="application/gzip"))
    result = await fetch(FAST, http_server.url("/sitemap.xml.gz"), expect="feed")
    assert type(result.error) is error_class and said in result.error.detail
    assert http_server.hits["/sitemap.xml.gz"] == 1  # final, not retried


# --- conditional GET --------------------------------------------------------------------------


async def test_second_fetch_with_etag_is_not_modified(http_server: LoopbackServer) -> None:
    def page(request: SeenRequest) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'}, content_type=None)
        return Reply(body=PAGE.encode(), headers={"ETag": '"v1"', "Last-Modified": "Tue, 03 Nov 2026 10:00:00 GMT"})

    http_server.route("/a", page)
    first = await fetch(FAST, http_server.url("/a"))
    assert first.etag == '"v1"' and first.last_modified == "Tue, 03 Nov 2026 10:00:00 GMT"
    second = await fetch(FAST, http_server.url("/a"), etag=first.etag, last_modified=first.last_modified)
    assert second.ok and second.not_modified and second.status == 304
    assert second.body is None and second.text is None and second.etag == '"v1"'
    sent = http_server.requests_to("/a")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == first.last_modified


# --- robots.txt and politeness ------------------------------------------------------------------


async def test_robots_disallow_is_obeyed_and_robots_is_fetched_once(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    for n in range(6):
        http_server.route(f"/news/{n}", Reply(body=PAGE.encode()))
    http_server.route("/private/x", Reply(body=PAGE.encode()))
    urls = [http_server.url(f"/news/{n}") for n in range(6)] + [http_server.url("/private/x")]
    async with Fetcher(FAST) as fetcher:
        results = await fetcher.fetch_many(urls)
    assert [r.ok for r in results] == [True] * 6 + [False]
    assert isinstance(results[-1].error, BlockedByRobots) and results[-1].error.reason == "robots_disallowed"
    assert http_server.hits["/robots.txt"] == 1 and http_server.hits["/private/x"] == 0
    robots_attempts = [a for r in results for a in r.attempts if a.url.endswith("/robots.txt")]
    assert len(robots_attempts) == 1  # recorded once, in the result of the fetch that needed it


async def test_our_user_agent_group_in_robots_is_obeyed(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", Reply(body=b"User-agent: newsmon\nDisallow: /\n\nUser-agent: *\nAllow: /\n"))
    http_server.route("/a", Reply(body=PAGE.encode()))
    result = await fetch(FAST, http_server.url("/a"))
    assert isinstance(result.error, BlockedByRobots)
    assert http_server.requests_to("/robots.txt")[0].headers["user-agent"] == FAST.user_agent


async def test_robots_server_error_disallows_the_host_for_the_run(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", Reply(status=503))
    http_server.route("/a", Reply(body=PAGE.encode()))
    result = await fetch(FAST.model_copy(update=dict(max_attempts=2)), http_server.url("/a"))
    assert isinstance(result.error, RobotsUnavailable) and result.error.reason == "robots_unavailable"
    assert http_server.hits["/robots.txt"] == 2 and http_server.hits["/a"] == 0


async def test_robots_asking_to_wait_defers_every_url_of_the_host(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", Reply(status=429, headers={"Retry-After": "3600"}))
    http_server.route("/a", Reply(body=PAGE.encode()))
    async with Fetcher(FAST) as fetcher:
        first, second = await fetcher.fetch_many([http_server.url("/a"), http_server.url("/b")])
        later = await fetcher.fetch(http_server.url("/a"))
    for result in (first, second, later):
        assert isinstance(result.error, ServerAskedToWait), result.error
        assert result.error.retry_at == first.error.retry_at
        assert result.error.retry_at > datetime.now(UTC) + timedelta(minutes=59)
        assert "/robots.txt could not be read" in result.error.detail
    assert http_server.hits["/robots.txt"] == 1  # not retried, and asked once for the Fetcher's life
    assert http_server.hits["/a"] == http_server.hits["/b"] == 0


async def test_a_huge_robots_txt_is_read_up_to_500_kib_at_a_whole_line(http_server: LoopbackServer) -> None:
    limit = FAST.max_robots_bytes
    assert limit == 500 * 1024 and FAST.max_body_bytes < limit  # robots.txt has its own limit
    head = b"User-agent: *\nDisallow: /private\n"
    # A rule that straddles the limit: cut there, it would read "Disallow: /" and shut the site.
    fill = limit - len(head) - len(b"Disallow: /")
    body = head + b"#" * (fill - 1) + b"\n" + b"Disallow: /late\n"
    body += b"Disallow: /ok\n" + b"# padding\n" * 150_000  # only past the limit
    assert body[:limit].endswith(b"\nDisallow: /") and len(body) > 2_000_000
    http_server.route("/robots.txt", Reply(body=body, content_type="text/plain"))
    http_server.route("/ok", Reply(body=PAGE.encode()))
    async with Fetcher(FAST) as fetcher:
        private, ok = await fetcher.fetch_many([http_server.url("/private"), http_server.url("/ok")])
    assert isinstance(private.error, BlockedByRobots) and type(private.error) is BlockedByRobots
    assert ok.ok and ok.text == PAGE
    assert http_server.hits["/robots.txt"] == 1 and http_server.hits["/private"] == 0
    (robots,) = [a for a in private.attempts + ok.attempts if a.url.endswith("/robots.txt")]
    assert robots.status == 200 and robots.error_class is None
    assert limit < robots.bytes < len(body)  # stopped reading soon after the limit


async def test_an_unreachable_host_is_connect_failed_not_a_robots_problem() -> None:
    with socket.socket() as probe:  # a port nothing listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with Fetcher(FAST.model_copy(update=dict(max_attempts=2))) as fetcher:
        first, second = await fetcher.fetch_many(
            [f"http://127.0.0.1:{closed_port}/a", f"http://127.0.0.1:{closed_port}/b"]
        )
    for result in (first, second):
        assert isinstance(result.error, ConnectFailed) and "robots.txt" in result.error.detail
    assert [a.error_class for a in first.attempts + second.attempts] == ["ConnectFailed"] * 2  # robots.txt, once


async def test_missing_robots_allows_everything(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(body=PAGE.encode()))  # /robots.txt answers 404
    result = await fetch(FAST, http_server.url("/a"))
    assert result.ok
    assert [a.status for a in result.attempts] == [404, 200]


async def test_never_more_than_two_requests_in_flight_per_host(http_server: LoopbackServer) -> None:
    # Each request is answered only once a second one is in flight beside it (or after a
    # generous wait, which only a fetcher sending one at a time would reach): no timing luck.
    pair = threading.Barrier(2)

    def answer_in_pairs(_request: SeenRequest) -> Reply:
        pair.wait(timeout=10)
        return Reply(body=PAGE.encode())

    http_server.route("/slow", answer_in_pairs)
    urls = [http_server.url(f"/slow?n={n}") for n in range(8)]
    async with Fetcher(FAST.model_copy(update=dict(per_host_concurrency=2))) as fetcher:
        results = await fetcher.fetch_many(urls)
    assert all(r.ok for r in results)
    assert http_server.hits["/slow"] == 8
    assert http_server.max_in_flight == 2


async def test_crawl_delay_spaces_request_starts(http_server: LoopbackServer) -> None:
    http_server.route("/robots.txt", Reply(body=b"User-agent: *\nCrawl-delay: 1\n", content_type="text/plain"))
    http_server.route("/a", Reply(body=PAGE.encode()))
    async with Fetcher(FAST.model_copy(update=dict(per_host_min_delay_s=0.05))) as fetcher:
        await fetcher.fetch_many([http_server.url(f"/a?n={n}") for n in range(3)])
    assert [request.path for request in http_server.requests] == ["/robots.txt", "/a", "/a", "/a"]
    starts = [request.started_at for request in http_server.requests_to("/a")]
    # 1 s apart as the client starts them; the server sees each a little late or early on a busy machine
    assert all(later - earlier >= 0.8 for earlier, later in itertools.pairwise(starts))


async def test_fetch_many_keeps_order_and_never_raises_for_a_bad_url(http_server: LoopbackServer) -> None:
    http_server.route("/a", Reply(body=PAGE.encode()))
    http_server.route("/feed.xml", Reply(body=b"<rss/>", content_type="application/rss+xml"))
    async with Fetcher(FAST) as fetcher:
        results = await fetcher.fetch_many(
            [
                "ftp://example.com/file",
                http_server.url("/a"),
                "not a url",
                FetchRequest(http_server.url("/feed.xml"), expect="feed"),
            ]
        )
    assert isinstance(results[0].error, UnsupportedScheme)
    assert results[1].ok and results[1].url == http_server.url("/a")
    assert isinstance(results[2].error, InvalidUrl) and results[2].attempts == ()
    assert results[3].ok and results[3].text == "<rss/>"


# --- retry logic, pure ------------------------------------------------------------------------


def test_retry_delay_grows_exponentially_with_jitter_and_is_capped() -> None:
    settings = FetchSettings(backoff_base_s=0.5, backoff_max_s=30)
    error = ServerError("HTTP 503", status=503)
    assert retry_delay(1, error, settings, jitter=0) == 0.25
    assert retry_delay(1, error, settings, jitter=0.999) == pytest.approx(0.5, abs=0.001)
    assert retry_delay(3, error, settings, jitter=0) == 1.0
    assert retry_delay(20, error, settings, jitter=0.999) == pytest.approx(30, abs=0.1)


def test_retry_after_wins_and_is_capped() -> None:
    settings = FetchSettings(backoff_max_s=30)
    assert retry_delay(1, RateLimited("429", retry_after=7), settings, jitter=0.5) == 7
    assert retry_delay(1, RateLimited("429", retry_after=3600), settings, jitter=0.5) == 30


def test_parse_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 3, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Tue, 03 Nov 2026 10:00:30 GMT", now) == 30
    assert parse_retry_after("Tue, 03 Nov 2026 09:00:00 GMT", now) == 0  # already past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after(" 5 ", now + timedelta(days=1)) == 5


async def test_transient_errors_are_retried_up_to_max_attempts() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(503)

    settings = FAST.model_copy(update=dict(max_attempts=4))
    async with Fetcher(settings, transport=httpx.MockTransport(answer)) as fetcher:
        result = await fetcher.fetch("https://news.example/a")
    assert isinstance(result.error, ServerError) and result.error.status == 503
    assert calls == ["/robots.txt", "/a", "/a", "/a", "/a"]
    assert [a.attempt for a in result.attempts[1:]] == [1, 2, 3, 4]
