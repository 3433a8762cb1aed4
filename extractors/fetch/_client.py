"""Fetcher: one URL at a time through every check, redirects one hop at a time, retries with
backoff, and an attempt log of every HTTP request.

The steps a URL goes through are listed in extractors/fetch/__init__.py. This module runs
them in order and records them; the checks themselves live beside it (_guard, _politeness,
_response, _decoders).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import SplitResult

import httpcore
import httpx

from extractors.errors import (
    ConnectFailed,
    FetchError,
    FetchTimeout,
    InvalidUrl,
    RunDeadlineReached,
    TooManyRedirects,
    TransientFetchError,
)
from extractors.fetch._decoders import ACCEPT_ENCODING
from extractors.fetch._guard import AddressGuard, guarded_transport, url_port
from extractors.fetch._politeness import Politeness
from extractors.fetch._response import (
    ACCEPT_HEADERS,
    Exchange,
    classify_status,
    failed_result,
    read_accepted_body,
    result,
)
from extractors.fetch.settings import FetchSettings
from extractors.records import Expect, FetchAttempt, FetchRequest, FetchResult
from extractors.urls import parse_http_url

__all__ = ["Fetcher", "retry_delay"]

_DEFAULTS = FetchSettings()


@dataclass(frozen=True)
class _Asked:
    """What every hop of one fetch asks for and accepts."""

    headers: dict[str, str]  # conditional headers, when the caller had validators
    expect: Expect
    robots_txt: bool = False  # a robots.txt: not itself subject to robots.txt, its body cut at max_robots_bytes


class Fetcher:
    """Fetches URLs politely and safely; use as `async with Fetcher(settings) as fetcher:`.

    `transport` replaces the network (tests: httpx.MockTransport). The connect-time address
    guard lives in the default transport, so a replacement transport is trusted as it is.
    """

    def __init__(self, settings: FetchSettings = _DEFAULTS, *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._guard = AddressGuard(settings)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._politeness = Politeness(settings, self._fetch_robots)

    async def __aenter__(self) -> Fetcher:
        self._client = _make_client(self.settings, self._guard, self._transport)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._politeness.close()
        if self._client is not None:
            await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, expect: Expect = "html"
    ) -> FetchResult:
        """Fetch one URL. Never raises FetchError: a failure is returned in `FetchResult.error`."""
        request = FetchRequest(url, etag=etag, last_modified=last_modified, expect=expect)
        return await self._fetch(request, deadline=None)

    async def fetch_many(
        self, requests: Iterable[FetchRequest | str], *, deadline: float | None = None
    ) -> list[FetchResult]:
        """Fetch concurrently (within the limits); results in input order, one per request.

        `deadline` is a time.monotonic() instant, the run's own: a fetch not finished by then
        is cancelled and its result's error is RunDeadlineReached (the URL goes back to the
        frontier); the fetches that finished before it are returned as they are.
        """
        wanted = [FetchRequest(request) if isinstance(request, str) else request for request in requests]
        return list(await asyncio.gather(*(self._fetch(request, deadline) for request in wanted)))

    async def _fetch(self, request: FetchRequest, deadline: float | None) -> FetchResult:
        url = request.url
        attempts: list[FetchAttempt] = []
        hops: list[str] = []
        asked = _Asked(_conditional_headers(request.etag, request.last_modified), request.expect)
        try:
            async with asyncio.timeout(None if deadline is None else deadline - time.monotonic()):
                exchange = await self._follow_redirects(url, asked, attempts, hops)
        except FetchError as error:
            return failed_result(url, hops, attempts, error)
        except TimeoutError:  # only the run's deadline raises it here: timeouts of requests are FetchErrors
            reached = RunDeadlineReached(
                f"{url}: the run's time limit came before this fetch finished; it was cancelled"
                " and the URL goes back to the frontier for the next run"
            )
            return failed_result(url, hops, attempts, reached)
        return result(url, hops[-1], exchange, attempts, request.etag, request.last_modified)

    async def _follow_redirects(
        self, url: str, asked: _Asked, attempts: list[FetchAttempt], hops: list[str]
    ) -> Exchange:
        """Redirects are followed here, hop by hop, so that every hop passes every check.
        `hops` receives each URL requested (the last one is the final URL)."""
        hop_url = url
        for _ in range(self.settings.max_redirects + 1):
            hops.append(hop_url)
            parts = parse_http_url(hop_url)
            await self._refuse_private_host(parts)
            if self.settings.respect_robots and not asked.robots_txt:
                await self._politeness.obey_robots(hop_url, parts, attempts)
            exchange = await self._with_retries(url, hop_url, parts, asked, attempts)
            if exchange.redirect_to is None:
                return exchange
            hop_url = exchange.redirect_to
        raise TooManyRedirects(f"{url}: more than {self.settings.max_redirects} redirects (the last one to {hop_url})")

    async def _fetch_robots(self, robots_url: str, attempts: list[FetchAttempt]) -> bytes | None:
        """A robots.txt body, through the same checks as any hop except robots.txt itself."""
        exchange = await self._follow_redirects(robots_url, _Asked({}, "any", robots_txt=True), attempts, [])
        return exchange.body

    async def _with_retries(
        self, url: str, hop_url: str, parts: SplitResult, asked: _Asked, attempts: list[FetchAttempt]
    ) -> Exchange:
        last = self.settings.max_attempts
        for number in range(1, last):
            exchange = Exchange()
            try:
                await self._attempt(url, hop_url, parts, number, asked, exchange, attempts)
                return exchange
            except TransientFetchError as error:
                # A server that took the whole request deadline would most likely take it again:
                # retrying would hold the run max_attempts times as long. The frontier retries
                # the URL in a later run instead.
                if exchange.deadline_passed:
                    raise
                delay = retry_delay(number, error, self.settings, jitter=random.random())
            await asyncio.sleep(delay)
        exchange = Exchange()
        await self._attempt(url, hop_url, parts, last, asked, exchange, attempts)  # its error is final
        return exchange

    async def _attempt(
        self,
        url: str,
        hop_url: str,
        parts: SplitResult,
        number: int,
        asked: _Asked,
        exchange: Exchange,
        attempts: list[FetchAttempt],
    ) -> None:
        """One HTTP request, recorded as a FetchAttempt whatever happens once it has started."""
        async with self._politeness.turn(parts):
            error: FetchError | None = None
            fetched_at = datetime.now(UTC)  # the request starts now, not when it queued
            started = time.perf_counter()
            try:
                await self._exchange_within_deadline(hop_url, asked, exchange)
                classify_status(hop_url, exchange, self.settings.backoff_max_s)
            except FetchError as caught:
                error = caught
                raise
            except asyncio.CancelledError:
                # A cancelled fetch's attempts are only ever seen in fetch_many's result for a
                # fetch the run's deadline cancelled (any other cancel discards the result).
                error = RunDeadlineReached(f"{hop_url}: cancelled at the run's deadline ({_progress(exchange)})")
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

    async def _exchange_within_deadline(self, url: str, asked: _Asked, exchange: Exchange) -> None:
        """The exchange, cut off at the request deadline: the read timeout alone never ends a
        server that sends a byte now and then, in its headers or its body."""
        deadline_s = self.settings.request_deadline_s
        try:
            # Cancelling closes the connection: httpcore drops one whose response was not read to the end.
            async with asyncio.timeout(deadline_s):
                await self._exchange(url, asked, exchange)
        except TimeoutError as error:
            exchange.deadline_passed = True
            raise FetchTimeout(
                f"{url}: no complete response within the {deadline_s:g} s request deadline ({_progress(exchange)})",
                phase=exchange.phase,
            ) from error

    async def _exchange(self, url: str, asked: _Asked, exchange: Exchange) -> None:
        if self._client is None:
            raise RuntimeError("Fetcher used outside `async with Fetcher(...)`")
        request_headers = {**asked.headers, "Accept": ACCEPT_HEADERS[asked.expect]}

        async def note_phase(event: str, info: dict[str, object]) -> None:
            # httpcore's trace: the connection is up (new or reused) once the request is being sent.
            if event == "http11.send_request_headers.started":
                exchange.phase = "headers"

        try:
            async with self._client.stream(
                "GET", url, headers=request_headers, extensions={"trace": note_phase}
            ) as response:
                exchange.phase = "body"
                exchange.status = response.status_code
                exchange.headers = response.headers
                exchange.content_type = response.headers.get("content-type")
                if response.is_success:
                    limit = self.settings.max_robots_bytes if asked.robots_txt else self.settings.max_body_bytes
                    await read_accepted_body(
                        url, response, asked.expect, limit, exchange, cut_at_limit=asked.robots_txt
                    )
        except httpx.InvalidURL as error:
            raise InvalidUrl(f"{url}: {error}") from error
        except httpx.TimeoutException as error:
            connecting = isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout)
            raise FetchTimeout(
                f"{url}: {type(error).__name__} (connect timeout {self.settings.connect_timeout_s}s,"
                f" read timeout {self.settings.read_timeout_s}s)",
                phase="connect" if connecting else exchange.phase,
            ) from error
        except httpx.TransportError as error:
            raise ConnectFailed(f"{url}: {type(error).__name__}: {error}") from error

    async def _refuse_private_host(self, parts: SplitResult) -> None:
        assert parts.hostname is not None  # parse_http_url guarantees a host
        host, port = parts.hostname, url_port(parts)
        if self._guard.exempt(host, port):
            return
        try:
            await self._guard.checked_addresses(host, port, self.settings.connect_timeout_s)
        except (httpcore.ConnectError, httpcore.ConnectTimeout):
            return  # unresolvable now: the request itself fails, is retried and recorded as ConnectFailed


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


def _make_client(
    settings: FetchSettings, guard: AddressGuard, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The one place an httpx client is configured."""
    return httpx.AsyncClient(
        transport=transport or guarded_transport(settings, guard),
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.connect_timeout_s,
        ),
        follow_redirects=False,  # followed hop by hop in Fetcher, so that every hop is checked
        trust_env=False,
    )


def _progress(exchange: Exchange) -> str:
    """How far an unfinished exchange got, for an error's detail."""
    if exchange.phase == "connect":
        return "while connecting"
    if exchange.phase == "headers":
        return "while waiting for the status line and headers"
    return f"while reading the body, {exchange.size} bytes read"


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
