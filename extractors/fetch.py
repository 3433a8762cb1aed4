"""Fetching pages, feeds and sitemaps over HTTP: the only module that touches the network.

What a URL goes through, on its first request and again on every redirect hop:

1. URL check: an absolute http(s) URL, else InvalidUrl / UnsupportedScheme.
2. Address safety: unless `allow_private_hosts` is set or the host:port is listed in
   `private_host_exceptions`, a host that resolves (getaddrinfo, every address) to a loopback,
   private, link-local, reserved, multicast, unspecified, carrier-grade-NAT or cloud-metadata
   address is refused with PrivateAddressRefused. The check runs before the request (a clear
   error, nothing sent) and again inside the connection pool, which connects to exactly the
   addresses it checked: a DNS answer that changes between check and connect gains nothing.
   Proxies from the environment are ignored for the same reason (we would check the proxy,
   not the site).
3. robots.txt, fetched once per origin per Fetcher and obeyed for our user agent, as RFC 9309
   says: 2xx -> its rules; 4xx (401/403 included) -> no rules, all allowed; anything else once
   retries are spent -> nothing of that origin is fetched for the rest of the run. Those URLs
   fail with RobotsUnavailable (5xx, 429, a refused redirect...), except when the host could
   not be reached at all: then with ConnectFailed / FetchTimeout, which say what went wrong.
   A Crawl-delay larger than `per_host_min_delay_s` becomes that host's delay. The robots.txt
   attempts are recorded in the FetchResult of the fetch that needed them first.
4. Politeness: at most `max_concurrency` requests in flight, `per_host_concurrency` per origin,
   and request starts to one origin at least the host's delay apart.
5. Request: GET with conditional headers when given; connect errors, timeouts, 429 and 5xx are
   retried with exponential backoff and jitter (Retry-After honoured, capped at `backoff_max_s`);
   other 4xx are not. Every HTTP attempt becomes a FetchAttempt; a hop refused before anything
   was sent (bad URL, private address, robots.txt) has none, only FetchResult.error.
6. Response: the Content-Type must match `expect` before any body is read; the body is
   decompressed here, never past `max_body_bytes` (so a gzip bomb stops at the limit); a
   gzip-file payload (a .xml.gz sitemap) is unpacked under the same limit; text is decoded.
"""
from __future__ import annotations

import asyncio
import codecs
import contextlib
import email.utils
import random
import re
import socket
import time
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from ipaddress import IPv6Address, ip_address, ip_network
from typing import Literal, Protocol
from urllib.parse import SplitResult, urljoin
from urllib.robotparser import RobotFileParser

import anyio
import httpcore
import httpx
from pydantic import BaseModel, ConfigDict, Field

from extractors.charset import guess_decode
from extractors.errors import (
    BadContentEncoding,
    BlockedByRobots,
    BodyTooLarge,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    InvalidUrl,
    PrivateAddressRefused,
    RateLimited,
    RobotsUnavailable,
    ServerError,
    TooManyRedirects,
    TransientFetchError,
    UnsupportedContentType,
)
from extractors.records import Expect, FetchAttempt, FetchRequest, FetchResult
from extractors.urls import parse_http_url

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})  # .xml.gz sitemaps
_FEED_TYPES = (
    frozenset({
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",  # RSS 1.0
        "application/xml",
        "text/xml",
        "text/plain",  # plain-text sitemaps
    })
    | _GZIP_TYPES
)
_ACCEPTED_TYPES: dict[str, frozenset[str] | None] = {
    "html": _HTML_TYPES, "feed": _FEED_TYPES, "html_or_feed": _HTML_TYPES | _FEED_TYPES, "any": None,
}
_ACCEPT_HEADERS = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.5,*/*;q=0.1",
    "html_or_feed": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1",
    "any": "*/*",
}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# We decompress bodies ourselves (to cap them), so we only ask for what zlib reads.
_ACCEPT_ENCODING = "gzip, deflate"


class FetchSettings(BaseModel):
    """Limits and manners of fetching. The defaults here are newsmon's defaults: the flows'
    `Settings` inherits these fields, so each can be set as `NEWSMON_<FIELD>`."""

    model_config = ConfigDict(frozen=True)

    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    max_concurrency: int = Field(16, ge=1, description="requests in flight at once")
    per_host_concurrency: int = Field(2, ge=1, description="requests in flight per origin")
    per_host_min_delay_s: float = Field(0.5, ge=0, description="seconds between request starts to one origin")
    connect_timeout_s: float = Field(5, gt=0)
    read_timeout_s: float = Field(15, gt=0, description="longest wait for the next bytes")
    max_body_bytes: int = Field(5 * 2**20, gt=0, description="decompressed body limit")
    max_redirects: int = Field(5, ge=0)
    max_attempts: int = Field(4, ge=1, description="tries per URL (transient errors only)")
    backoff_base_s: float = Field(0.5, ge=0, description="first retry wait; doubles per attempt, with jitter")
    backoff_max_s: float = Field(30, ge=0, description="longest retry wait, Retry-After included")
    allow_private_hosts: bool = Field(False, description="fetch loopback/private/link-local hosts (tests, intranets)")
    # "host:port" entries (IPv6 as "[::1]:8080") exempt from the private-address refusal while
    # allow_private_hosts stays False: one known intranet server (or a test server) can be
    # fetched without letting redirects reach every other private address.
    private_host_exceptions: frozenset[str] = Field(
        frozenset(), description='"host:port" entries fetched even though private, as JSON'
    )
    respect_robots: bool = Field(True, description="obey robots.txt (RFC 9309)")


class Fetcher:
    """Fetches URLs politely and safely; use as `async with Fetcher(settings) as fetcher:`.

    `transport` replaces the network (tests: httpx.MockTransport). The connect-time address
    guard lives in the default transport, so a replacement transport is trusted as it is.
    """

    def __init__(self, settings: FetchSettings = FetchSettings(), *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._guard = _AddressGuard(settings)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, asyncio.Task[_Robots]] = {}

    async def __aenter__(self) -> Fetcher:
        self._client = _make_client(self.settings, self._guard, self._transport)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # A robots.txt fetch is only still running if the fetch that started it was cancelled.
        pending = [task for task in self._robots.values() if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        if self._client is not None:
            await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, expect: Expect = "html"
    ) -> FetchResult:
        """Fetch one URL. Never raises FetchError: a failure is returned in `FetchResult.error`."""
        attempts: list[FetchAttempt] = []
        hops: list[str] = []
        headers = _conditional_headers(etag, last_modified)
        try:
            exchange = await self._follow_redirects(url, headers, expect, attempts, hops, obey_robots=True)
        except FetchError as error:
            return _failed_result(url, hops, attempts, error)
        return _result(url, hops[-1], exchange, attempts, etag, last_modified)

    async def fetch_many(self, requests: Iterable[FetchRequest | str]) -> list[FetchResult]:
        """Fetch concurrently (within the limits); results in input order, one per request."""
        wanted = [FetchRequest(request) if isinstance(request, str) else request for request in requests]
        return list(
            await asyncio.gather(
                *(self.fetch(r.url, etag=r.etag, last_modified=r.last_modified, expect=r.expect) for r in wanted)
            )
        )

    async def _follow_redirects(
        self,
        url: str,
        headers: dict[str, str],
        expect: Expect,
        attempts: list[FetchAttempt],
        hops: list[str],
        *,
        obey_robots: bool,
    ) -> _Exchange:
        """Redirects are followed here, hop by hop, so that every hop passes every check.
        `hops` receives each URL requested (the last one is the final URL)."""
        hop_url = url
        for _ in range(self.settings.max_redirects + 1):
            hops.append(hop_url)
            parts = parse_http_url(hop_url)
            await self._refuse_private_host(parts)
            if obey_robots and self.settings.respect_robots:
                await self._obey_robots(hop_url, parts, attempts)
            exchange = await self._with_retries(url, hop_url, parts, headers, expect, attempts)
            if exchange.redirect_to is None:
                return exchange
            hop_url = exchange.redirect_to
        raise TooManyRedirects(f"{url}: more than {self.settings.max_redirects} redirects (the last one to {hop_url})")

    async def _with_retries(
        self,
        url: str,
        hop_url: str,
        parts: SplitResult,
        headers: dict[str, str],
        expect: Expect,
        attempts: list[FetchAttempt],
    ) -> _Exchange:
        last = self.settings.max_attempts
        for number in range(1, last):
            try:
                return await self._attempt(url, hop_url, parts, number, headers, expect, attempts)
            except TransientFetchError as error:
                delay = retry_delay(number, error, self.settings, jitter=random.random())
            await asyncio.sleep(delay)
        return await self._attempt(url, hop_url, parts, last, headers, expect, attempts)  # its error is final

    async def _attempt(
        self,
        url: str,
        hop_url: str,
        parts: SplitResult,
        number: int,
        headers: dict[str, str],
        expect: Expect,
        attempts: list[FetchAttempt],
    ) -> _Exchange:
        """One HTTP request, recorded as a FetchAttempt whatever happens."""
        exchange = _Exchange()
        error: FetchError | None = None
        fetched_at = datetime.now(timezone.utc)
        started = time.perf_counter()
        try:
            async with self._gate(parts).turn(), self._slots:
                fetched_at = datetime.now(timezone.utc)  # the request starts now, not when it queued
                started = time.perf_counter()
                await self._exchange(hop_url, headers, expect, exchange)
            _classify_status(hop_url, exchange)
            return exchange
        except FetchError as caught:
            error = caught
            raise
        finally:
            attempts.append(
                FetchAttempt(
                    url=url,
                    final_url=hop_url,
                    status=exchange.status,
                    content_type=exchange.headers.get("content-type"),
                    bytes=exchange.size,
                    elapsed_ms=round((time.perf_counter() - started) * 1000),
                    attempt=number,
                    error_class=type(error).__name__ if error else None,
                    error_message=error.detail if error else None,
                    etag=exchange.headers.get("etag"),
                    last_modified=exchange.headers.get("last-modified"),
                    fetched_at=fetched_at,
                )
            )

    async def _exchange(self, url: str, headers: dict[str, str], expect: Expect, exchange: _Exchange) -> None:
        if self._client is None:
            raise RuntimeError("Fetcher used outside `async with Fetcher(...)`")
        request_headers = {**headers, "Accept": _ACCEPT_HEADERS[expect]}
        try:
            async with self._client.stream("GET", url, headers=request_headers) as response:
                exchange.status = response.status_code
                exchange.headers = response.headers
                if response.is_success:
                    _check_content_type(url, response.headers, expect)
                    exchange.body = await _read_body(url, response, self.settings.max_body_bytes, exchange)
        except httpx.InvalidURL as error:
            raise InvalidUrl(f"{url}: {error}") from error
        except httpx.TimeoutException as error:
            raise FetchTimeout(
                f"{url}: {type(error).__name__} (connect timeout {self.settings.connect_timeout_s}s,"
                f" read timeout {self.settings.read_timeout_s}s)"
            ) from error
        except httpx.TransportError as error:
            raise ConnectFailed(f"{url}: {type(error).__name__}: {error}") from error

    async def _refuse_private_host(self, parts: SplitResult) -> None:
        assert parts.hostname is not None  # parse_http_url guarantees a host
        host, port = parts.hostname, _port(parts)
        if self._guard.exempt(host, port):
            return
        try:
            await self._guard.checked_addresses(host, port, self.settings.connect_timeout_s)
        except (httpcore.ConnectError, httpcore.ConnectTimeout):
            return  # unresolvable now: the request itself fails, is retried and recorded as ConnectFailed

    async def _obey_robots(self, url: str, parts: SplitResult, attempts: list[FetchAttempt]) -> None:
        origin = _origin(parts)
        task = self._robots.get(origin)
        if task is None:
            # The fetch that asks first carries the robots.txt attempts in its own FetchResult.
            task = asyncio.ensure_future(self._load_robots(parts, attempts))
            self._robots[origin] = task
        robots = await task
        robots_url = _robots_url(parts)
        if robots.rules is None:
            assert robots.failure is not None  # _Robots holds one or the other
            raise _robots_failure(url, robots_url, robots.failure)
        if not robots.rules.can_fetch(self.settings.user_agent, url):
            raise BlockedByRobots(f"{url}: disallowed by {robots_url} for user agent {self.settings.user_agent!r}")

    async def _load_robots(self, parts: SplitResult, attempts: list[FetchAttempt]) -> _Robots:
        robots_url = _robots_url(parts)
        try:
            exchange = await self._follow_redirects(robots_url, {}, "any", attempts, [], obey_robots=False)
        except HttpStatusError as error:
            if 400 <= error.status < 500:
                return _Robots(rules=_parse_robots(""))  # RFC 9309: robots.txt "unavailable" -> no rules
            return _Robots(rules=None, failure=error)
        except FetchError as error:
            return _Robots(rules=None, failure=error)
        # RFC 9309: robots.txt is UTF-8; a stray byte must not cost the rest of the rules.
        rules = _parse_robots((exchange.body or b"").decode("utf-8", errors="replace"))
        crawl_delay = rules.crawl_delay(self.settings.user_agent)
        if crawl_delay is not None:
            gate = self._gate(parts)
            gate.min_delay_s = max(gate.min_delay_s, float(crawl_delay))
        return _Robots(rules=rules)

    def _gate(self, parts: SplitResult) -> _HostGate:
        origin = _origin(parts)
        if origin not in self._gates:
            self._gates[origin] = _HostGate(self.settings.per_host_concurrency, self.settings.per_host_min_delay_s)
        return self._gates[origin]


def retry_delay(attempt: int, error: TransientFetchError, settings: FetchSettings, *, jitter: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based); `jitter` is in [0, 1).

    The server's Retry-After wins when it gave one (capped at backoff_max_s). Otherwise
    exponential backoff with "equal jitter": between half and all of base * 2^(attempt-1),
    so retries never come at once and many clients do not retry in lockstep.
    """
    if error.retry_after is not None:
        return min(error.retry_after, settings.backoff_max_s)
    ceiling = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** (attempt - 1))
    return ceiling / 2 * (1 + jitter)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`; None when absent
    or unreadable, so the caller falls back to its own backoff."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def decode_body(body: bytes, content_type: str | None) -> str:
    """Bytes of a page or feed as text: a BOM, else the Content-Type charset, else a
    <meta charset> or <?xml encoding?> declaration, else charset-normalizer's detection.

    A declared charset is used only if it really decodes the bytes, so a wrong header falls
    through to the next clue. Bytes that no encoding explains come back with U+FFFD
    replacement characters rather than failing: the rest of the page is still readable.
    """
    for label in (_bom_charset(body), _header_charset(content_type), _declared_charset(body)):
        text = _decode_as(body, label)
        if text is not None:
            return text
    guessed = guess_decode(body)
    return guessed if guessed is not None else body.decode("utf-8", errors="replace")


# --- safety: which addresses may be connected to -----------------------------------------

_METADATA_ADDRESSES = frozenset({ip_address("169.254.169.254"), ip_address("fd00:ec2::254")})
_SHARED_ADDRESS_SPACE = ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598


def non_public_reason(address: str) -> str | None:
    """Why a connection to this IP address is refused, or None for a public address."""
    ip = ip_address(address)
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    kinds = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("carrier-grade NAT", ip.version == 4 and ip in _SHARED_ADDRESS_SPACE),
    )
    for kind, matches in kinds:
        if matches:
            return f"a {kind} address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


class _AddressGuard:
    """Resolves hosts and refuses non-public addresses, unless allowed by the settings.

    Checked addresses are kept for the Fetcher's lifetime: the connection pool connects to
    exactly these, so DNS cannot answer differently between the check and the connect.
    """

    def __init__(self, settings: FetchSettings):
        self._allow_all = settings.allow_private_hosts
        self._exceptions = settings.private_host_exceptions
        self._checked: dict[tuple[str, int], list[str]] = {}

    def exempt(self, host: str, port: int) -> bool:
        return self._allow_all or _host_port(host, port) in self._exceptions

    async def checked_addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """Every address of `host`, all public; raises PrivateAddressRefused, or httpcore's
        ConnectError / ConnectTimeout when the name does not resolve."""
        key = (host.lower(), port)
        if key not in self._checked:
            addresses = await _resolve(host, port, timeout)
            for address in addresses:
                reason = non_public_reason(address)
                if reason is not None:
                    raise PrivateAddressRefused(
                        f"{_host_port(host, port)} resolves to {address}, {reason}; "
                        "private hosts are fetched only when allowed (NEWSMON_ALLOW_PRIVATE_HOSTS=1)"
                    )
            self._checked[key] = addresses
        return self._checked[key]


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    try:
        with anyio.fail_after(timeout):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as error:
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout}s") from error
    except UnicodeError as error:  # anyio encodes host names with IDNA 2008, stricter than urls.py's check
        raise InvalidUrl(f"{host} is not a valid IDNA 2008 host name: {error}") from error
    except OSError as error:  # socket.gaierror
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(info[4][0] for info in infos))


class _GuardedNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the address guard in front of every TCP connect."""

    def __init__(self, guard: _AddressGuard):
        self._guard = guard
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._guard.exempt(host, port):
            return await self._network.connect_tcp(
                host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )
        failures: list[Exception] = []
        # TLS still verifies `host`: httpcore passes it as server_hostname to start_tls.
        for address in await self._guard.checked_addresses(host, port, timeout):
            try:
                return await self._network.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failures.append(error)
        raise failures[-1]

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


def _make_client(
    settings: FetchSettings, guard: _AddressGuard, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The one place an httpx client is configured."""
    return httpx.AsyncClient(
        transport=transport or _guarded_transport(settings, guard),
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.connect_timeout_s,
        ),
        follow_redirects=False,  # followed hop by hop in Fetcher, so that every hop is checked
        trust_env=False,
    )


def _guarded_transport(settings: FetchSettings, guard: _AddressGuard) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx 0.28 has no public option for httpcore's network backend; the transport's
    # connection pool is its only user of it, so that pool is replaced by a guarded one.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=settings.max_concurrency,
        max_keepalive_connections=settings.max_concurrency,
        network_backend=_GuardedNetwork(guard),
    )
    return transport


# --- politeness ------------------------------------------------------------------------------


class _HostGate:
    """One origin's limits: `concurrency` requests in flight, starts `min_delay_s` apart."""

    def __init__(self, concurrency: int, min_delay_s: float):
        self.min_delay_s = min_delay_s
        self._slots = asyncio.Semaphore(concurrency)
        self._next_start = 0.0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._slots:
            now = asyncio.get_running_loop().time()
            # Reserve a start time before sleeping (no await in between), so waiters queue in order.
            start = max(now, self._next_start)
            self._next_start = start + self.min_delay_s
            await asyncio.sleep(start - now)
            yield


@dataclass(frozen=True)
class _Robots:
    """One origin's robots.txt: its rules, or the error that kept us from reading it."""

    rules: RobotFileParser | None
    failure: FetchError | None = None


def _robots_failure(url: str, robots_url: str, failure: FetchError) -> FetchError:
    """The error for `url` when its robots.txt could not be read (so `url` is not fetched)."""
    detail = f"{url}: not fetched, {robots_url} could not be read ({failure.detail})"
    # A host that cannot be reached at all is reported as such, not as a robots.txt problem.
    if isinstance(failure, FetchTimeout):
        return FetchTimeout(detail)
    if isinstance(failure, ConnectFailed):
        return ConnectFailed(detail)
    return RobotsUnavailable(f"{detail}; RFC 9309 says to treat the site as disallowed, so it is skipped this run")


def _parse_robots(text: str) -> RobotFileParser:
    rules = RobotFileParser()
    rules.parse(text.splitlines())
    rules.modified()  # can_fetch() answers False until the parser believes it has read something
    return rules


# --- one HTTP exchange ---------------------------------------------------------------------


@dataclass
class _Exchange:
    """What one HTTP attempt got, filled in as the response arrives."""

    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes | None = None
    size: int = 0  # decompressed body bytes read so far
    redirect_to: str | None = None


def _classify_status(url: str, exchange: _Exchange) -> None:
    """Sets `redirect_to` for a redirect, raises for an error status, passes 2xx and 304."""
    status = exchange.status
    assert status is not None  # only called after a response arrived
    if 200 <= status < 300 or status == 304:
        return
    location = exchange.headers.get("location")
    if status in _REDIRECT_STATUSES and location:
        exchange.redirect_to = urljoin(url, location.strip())
        return
    described = f"{url}: HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
    retry_after = parse_retry_after(exchange.headers.get("retry-after"), datetime.now(timezone.utc))
    if status == 429:
        raise RateLimited(described, retry_after=retry_after)
    if status >= 500:
        raise ServerError(described, status=status, retry_after=retry_after)
    if status in _REDIRECT_STATUSES:
        described += " without a Location header"
    raise HttpStatusError(described, status=status)


def _check_content_type(url: str, headers: httpx.Headers, expect: Expect) -> None:
    accepted = _ACCEPTED_TYPES[expect]
    if accepted is None or _media_type(headers.get("content-type")) in accepted:
        return
    given = headers.get("content-type") or "no Content-Type"
    raise UnsupportedContentType(f"{url}: {given} is not an accepted {expect} type ({', '.join(sorted(accepted))})")


async def _read_body(url: str, response: httpx.Response, limit: int, exchange: _Exchange) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"{url}: Content-Length is {declared} bytes, over the {limit}-byte limit")
    decoder = _content_decoder(url, response.headers.get("content-encoding"))
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.feed(chunk, limit + 1 - len(body))
        exchange.size = len(body)
        if len(body) > limit:
            raise BodyTooLarge(f"{url}: body is over the {limit}-byte limit (decompressed); stopped reading")
    decoder.finish()
    if _media_type(response.headers.get("content-type")) in _GZIP_TYPES and body.startswith(b"\x1f\x8b"):
        return _gunzip_payload(url, bytes(body), limit)
    return bytes(body)


class _Decoder(Protocol):
    def feed(self, data: bytes, max_out: int) -> bytes: ...
    def finish(self) -> None: ...


class _Identity:
    def feed(self, data: bytes, max_out: int) -> bytes:
        return data  # at most one network chunk past the limit, which the caller then rejects

    def finish(self) -> None:
        """Nothing is buffered."""


class _Inflater:
    """gzip or zlib-wrapped deflate, never producing more than `max_out` bytes per call."""

    def __init__(self, url: str, what: str):
        self._url = url
        self._what = what
        self._zlib = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # | 32: gzip or zlib header, detected
        self._fed = False

    def feed(self, data: bytes, max_out: int) -> bytes:
        self._fed = self._fed or bool(data)
        try:
            # Input that would produce more than max_out stays unconsumed; the caller, seeing
            # max_out bytes come back, knows the limit is passed and stops.
            return self._zlib.decompress(data, max_out)
        except zlib.error as error:
            raise BadContentEncoding(f"{self._url}: {self._what} is corrupt ({error})") from error

    def finish(self) -> None:
        if self._fed and not self._zlib.eof:
            raise BadContentEncoding(f"{self._url}: {self._what} ends before its end marker (truncated)")


def _content_decoder(url: str, content_encoding: str | None) -> _Decoder:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity()
    if codings in (["gzip"], ["x-gzip"], ["deflate"]):
        return _Inflater(url, f"Content-Encoding {codings[0]}")
    raise BadContentEncoding(
        f"{url}: Content-Encoding {content_encoding!r} is not supported (we ask for {_ACCEPT_ENCODING})"
    )


def _gunzip_payload(url: str, data: bytes, limit: int) -> bytes:
    inflater = _Inflater(url, "gzip file")
    unpacked = inflater.feed(data, limit + 1)
    if len(unpacked) > limit:
        raise BodyTooLarge(f"{url}: gzip file unpacks to over the {limit}-byte limit; stopped unpacking")
    inflater.finish()
    return unpacked


# --- results ---------------------------------------------------------------------------------


def _result(
    url: str,
    final_url: str,
    exchange: _Exchange,
    attempts: list[FetchAttempt],
    sent_etag: str | None,
    sent_last_modified: str | None,
) -> FetchResult:
    not_modified = exchange.status == 304
    body = None if not_modified else exchange.body or b""
    content_type = exchange.headers.get("content-type")
    return FetchResult(
        url=url,
        final_url=final_url,
        status=exchange.status,
        content_type=content_type,
        body=body,
        text=None if body is None else decode_body(body, content_type),
        etag=exchange.headers.get("etag") or (sent_etag if not_modified else None),
        last_modified=exchange.headers.get("last-modified") or (sent_last_modified if not_modified else None),
        not_modified=not_modified,
        attempts=tuple(attempts),
        error=None,
    )


def _failed_result(url: str, hops: list[str], attempts: list[FetchAttempt], error: FetchError) -> FetchResult:
    final_url = hops[-1] if hops else url
    # The response details, when the last hop got as far as a response (not a robots.txt attempt).
    last = attempts[-1] if attempts and (attempts[-1].url, attempts[-1].final_url) == (url, final_url) else None
    return FetchResult(
        url=url,
        final_url=final_url,
        status=last.status if last else None,
        content_type=last.content_type if last else None,
        body=None,
        text=None,
        etag=None,
        last_modified=None,
        not_modified=False,
        attempts=tuple(attempts),
        error=error,
    )


# --- small helpers ---------------------------------------------------------------------------


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _origin(parts: SplitResult) -> str:
    assert parts.hostname is not None  # parse_http_url guarantees a host
    return f"{parts.scheme.lower()}://{_host_port(parts.hostname, _port(parts))}"


def _robots_url(parts: SplitResult) -> str:
    host_and_port = parts.netloc.rpartition("@")[2]  # never send credentials to robots.txt
    return f"{parts.scheme.lower()}://{host_and_port}/robots.txt"


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# As browsers do (WHATWG Encoding): these labels mean windows-1252, which also covers the
# "smart quotes" that pages labelled latin-1 are full of.
_BROWSER_CHARSETS = dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"), "cp1252")
_SNIFF_BYTES = 4096  # <meta charset> belongs in the first 1024 bytes; allow some slack


def _header_charset(content_type: str | None) -> str | None:
    match = _CHARSET_PARAM.search(content_type or "")
    return match[1] if match else None


def _bom_charset(body: bytes) -> str | None:
    return next((charset for bom, charset in _BOMS if body.startswith(bom)), None)


def _declared_charset(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match[1].decode("ascii") if match else None


def _decode_as(body: bytes, label: str | None) -> str | None:
    """`body` decoded with the charset `label`, or None if the label is unknown or wrong."""
    if not label:
        return None
    charset = _BROWSER_CHARSETS.get(label.lower(), label)
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None
