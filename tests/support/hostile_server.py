"""A hostile HTTP server on loopback addresses only, for proving that a bad server can neither
hang a run nor poison it.

Every `site()` listens on an address of its own (127.0.0.2, 127.0.0.3, …, a free port each):
per-host politeness never queues one case behind another, and each site has its own
robots.txt (`ROBOTS`). Every site answers every path of `PAGES`, the table of cases. Slow
answers (drips) stop after `drip_cap_s`, when the client hangs up, or when the server stops;
stopping never waits for them.

Also here, for the tests and bench/faults.py alike: `two_gzip_members`, and
`unreadable_to_children`, the way to make a directory unreadable to a child process even
when the tests run as root.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from tests.support.news_site import article_html, rss

DRIP_INTERVAL_S = 1.0  # one byte a second: any per-read timeout longer than this never fires
LONG_RETRY_AFTER_S = 3600
SECOND_MEMBER_SENTENCE = "This closing paragraph about the harbour wall travelled in the second gzip member."
FIRST_MEMBER_SENTENCE = "Paragraph 1 of story 42"  # article_html(42) opens with it, in the first member


def two_gzip_members(html: bytes) -> bytes:
    """`html` as two concatenated gzip members, split before SECOND_MEMBER_SENTENCE's paragraph
    (a valid gzip file: `gzip -d` and RFC 1952 read every member)."""
    split = html.index(SECOND_MEMBER_SENTENCE.encode()) - len(b"<p>")
    return gzip.compress(html[:split]) + gzip.compress(html[split:])


def page_in_two_gzip_members() -> bytes:
    return two_gzip_members(article_html(42, extra=f"<p>{SECOND_MEMBER_SENTENCE}</p>"))


@dataclass(frozen=True)
class Behaviour:
    what: str  # one line: what a client gets
    answer: Callable[[_Handler, re.Match[str] | None], None]  # the match of the path pattern (robots.txt: None)


def _story(handler: _Handler, match: re.Match[str] | None) -> None:
    assert match is not None
    handler.reply(200, article_html(int(match[1])), "text/html; charset=utf-8")


def _drip_body(handler: _Handler, _match: re.Match[str] | None) -> None:
    page = article_html(43)
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    # More than a drip sends before its cap, less than any body limit: the client waits for more.
    handler.send_header("Content-Length", str(2**20))
    handler.end_headers()
    handler.drip(page)


def _drip_headers(handler: _Handler, _match: re.Match[str] | None) -> None:
    handler.close_connection = True
    handler.drip(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Slow: ")


def _wait_an_hour(status: int) -> Callable[[_Handler, re.Match[str] | None], None]:
    def answer(handler: _Handler, _match: re.Match[str] | None) -> None:
        headers = {"Retry-After": str(LONG_RETRY_AFTER_S)}
        handler.reply(status, b"come back in an hour", "text/plain", headers)

    return answer


def _no_content_type(handler: _Handler, _match: re.Match[str] | None) -> None:
    handler.reply(200, article_html(41), content_type=None)


def _two_gzip_members(handler: _Handler, _match: re.Match[str] | None) -> None:
    handler.reply(200, page_in_two_gzip_members(), "text/html; charset=utf-8", {"Content-Encoding": "gzip"})


def _redirect(location: str) -> Callable[[_Handler, re.Match[str] | None], None]:
    def answer(handler: _Handler, _match: re.Match[str] | None) -> None:
        target = location.format(port=handler.server.site.port)
        handler.reply(302, b"", "text/plain", {"Location": target})

    return answer


def _feed(handler: _Handler, _match: re.Match[str] | None) -> None:
    handler.reply(200, rss(handler.server.site.feed_urls), "application/rss+xml")


PAGES: dict[str, Behaviour] = {  # a path pattern (re.fullmatch) → what every site does there
    r"/(?:news|private)/story-(\d+)": Behaviour("200 text/html, article number N", _story),
    r"/drip-body(?:/\d+)?": Behaviour("200 and its headers at once, then the body at 1 byte/s", _drip_body),
    "/drip-headers": Behaviour("the status line and headers at 1 byte/s", _drip_headers),
    "/rate-limited": Behaviour(f"429 with Retry-After: {LONG_RETRY_AFTER_S}", _wait_an_hour(429)),
    "/unavailable": Behaviour(f"503 with Retry-After: {LONG_RETRY_AFTER_S}", _wait_an_hour(503)),
    "/no-content-type": Behaviour("200, an article page, no Content-Type header", _no_content_type),
    "/two-gzip-members": Behaviour(
        "200, Content-Encoding: gzip, the article split across two concatenated gzip members", _two_gzip_members
    ),
    "/to-6to4": Behaviour(
        "302 to http://[2002:7f00:1::]:<port>/ (127.0.0.1 inside a 6to4 address)",
        _redirect("http://[2002:7f00:1::]:{port}/news/story-1"),
    ),
    "/to-trailing-dot": Behaviour(
        "302 to http://127.0.0.1.:<port>/ (loopback, spelled with a trailing dot)",
        _redirect("http://127.0.0.1.:{port}/news/story-1"),
    ),
    "/feed.xml": Behaviour("an RSS feed of the site's `feed_urls`", _feed),
}


def _allow_all(handler: _Handler, _match: re.Match[str] | None) -> None:
    handler.reply(200, b"User-agent: *\nAllow: /\n", "text/plain")


def _ten_megabytes(handler: _Handler, _match: re.Match[str] | None) -> None:
    rules = b"User-agent: *\nDisallow: /private/\n"
    filler = b"# " + b"this robots.txt goes on and on " * 2 + b"\n"
    body = (rules + filler * (10 * 2**20 // len(filler)))[: 10 * 2**20]
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.stream(body)


ROBOTS: dict[str, Behaviour] = {  # a site's robots.txt
    "allow_all": Behaviour("200, everything allowed", _allow_all),
    "busy_for_an_hour": Behaviour(f"429 with Retry-After: {LONG_RETRY_AFTER_S}", _wait_an_hour(429)),
    "ten_megabytes": Behaviour("200, 10 MB: `Disallow: /private/` in its first lines, then comments", _ten_megabytes),
}


class Site:
    """One origin of the hostile server: its own loopback address and port, and robots.txt."""

    def __init__(self, owner: HostileServer, address: str, robots: str):
        self.robots = ROBOTS[robots]
        self.hits: Counter[str] = Counter()  # requests per path (query left out)
        self.feed_urls: list[str] = []  # what /feed.xml lists
        self.owner = owner
        self._httpd = _Server((address, 0), _Handler)
        self._httpd.site = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"hostile-{address}", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def host_port(self) -> str:
        return f"{self.address}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    def _stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class HostileServer:
    """Use as a context manager; `site()` starts one more origin on the next loopback address."""

    def __init__(self, drip_cap_s: float = 90.0):
        self.drip_cap_s = drip_cap_s
        self.sites: list[Site] = []
        self.stopping = threading.Event()  # wakes every drip when the server stops

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        for site in self.sites:
            site._stop()

    def site(self, robots: str = "allow_all") -> Site:
        address = f"127.0.0.{len(self.sites) + 2}"  # 127.0.0.1 is left to everything else on the machine
        site = Site(self, address, robots)
        self.sites.append(site)
        return site

    def private_host_exceptions(self) -> str:
        """NEWSMON_PRIVATE_HOST_EXCEPTIONS naming every site: these, and no other private address, are fetched."""
        return json.dumps([site.host_port for site in self.sites])


class _Server(ThreadingHTTPServer):
    site: Site
    daemon_threads = True
    block_on_close = False  # stopping never waits for a drip

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client hung up or stopped reading: what a client with a deadline does
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30  # a socket write blocked this long (a client that stopped reading) gives up

    def do_GET(self) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        site.hits[path] += 1
        if path == "/robots.txt":
            site.robots.answer(self, None)
            return
        for pattern, behaviour in PAGES.items():
            match = re.fullmatch(pattern, path)
            if match:
                behaviour.answer(self, match)
                return
        self.reply(404, b"not found", "text/plain")

    def reply(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self, head: bytes) -> None:
        """`head`, then "a" forever, one byte every DRIP_INTERVAL_S, until the cap, the client
        hanging up (the write fails) or the server stopping."""
        self.wfile.flush()
        owner = self.server.site.owner
        stop_at = time.monotonic() + owner.drip_cap_s
        for byte in itertools.chain(head, itertools.repeat(ord("a"))):
            if time.monotonic() >= stop_at:
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if owner.stopping.wait(DRIP_INTERVAL_S):
                return

    def stream(self, body: bytes) -> None:
        """`body` as fast as the client reads it, until the cap or the server stopping."""
        owner = self.server.site.owner
        stop_at = time.monotonic() + owner.drip_cap_s
        for start in range(0, len(body), 64 * 1024):
            if owner.stopping.is_set() or time.monotonic() >= stop_at:
                return
            self.wfile.write(body[start : start + 64 * 1024])

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `Site.hits` instead of a log."""


# --- a directory a child process cannot read, even as root ------------------------------------

# Root reads a chmod-000 directory through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH; a child
# started through setpriv without them in its bounding set has neither.
_WITHOUT_DAC_CAPABILITIES = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def unreadable_to_children(directory: Path) -> list[str] | None:
    """chmod 000 `directory`; the command prefix under which a child process cannot list it
    ([] when not root), or None when this machine has no way to make it unreadable to root."""
    directory.chmod(0)
    prefix = _WITHOUT_DAC_CAPABILITIES if os.geteuid() == 0 else []
    probe = [sys.executable, "-c", "import os, sys; os.listdir(sys.argv[1])", str(directory)]
    try:
        listed = subprocess.run([*prefix, *probe], capture_output=True, timeout=60)
    except FileNotFoundError:
        return None  # no setpriv on this machine
    refused = listed.returncode != 0 and b"PermissionError" in listed.stderr
    return prefix if refused else None
