"""Politeness: per-origin request gates and robots.txt, for one Fetcher.

At most `max_concurrency` requests in flight, `per_host_concurrency` per origin, and request
starts to one origin at least that host's delay apart. robots.txt is read once per origin and
obeyed as RFC 9309 says (2xx: its rules, from its first `max_robots_bytes`; 4xx: no rules;
anything else: the origin is skipped for the run, or deferred to when a long Retry-After
says); a Crawl-delay larger than `per_host_min_delay_s` becomes the host's delay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult
from urllib.robotparser import RobotFileParser

from extractors.errors import (
    BlockedByRobots,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    RobotsUnavailable,
    ServerAskedToWait,
)
from extractors.fetch._guard import host_port, url_port
from extractors.fetch.settings import FetchSettings
from extractors.records import FetchAttempt

__all__ = ["Politeness", "RobotsLoader"]

# Fetches a robots.txt URL (recording its attempts in the list) and returns its body;
# raises FetchError when it cannot.
RobotsLoader = Callable[[str, list[FetchAttempt]], Awaitable[bytes | None]]


class Politeness:
    """The gates and robots.txt rules of every origin one Fetcher has met."""

    def __init__(self, settings: FetchSettings, load_robots: RobotsLoader):
        self._settings = settings
        self._load_robots = load_robots
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, asyncio.Task[_Robots]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, parts: SplitResult) -> AsyncIterator[None]:
        """Wait until a request to this URL's origin may start, and hold its place while it runs."""
        async with self._gate(parts).turn(), self._slots:
            yield

    async def obey_robots(self, url: str, parts: SplitResult, attempts: list[FetchAttempt]) -> None:
        """Raise BlockedByRobots (or the reason robots.txt could not be read) unless `url` may be fetched."""
        origin = _origin(parts)
        task = self._robots.get(origin)
        if task is None:
            # The fetch that asks first carries the robots.txt attempts in its own FetchResult.
            task = asyncio.ensure_future(self._read_robots(parts, attempts))
            self._robots[origin] = task
        # Shielded: the task is every waiter's, so one waiter's cancellation (the run's
        # deadline) must not cancel it under the others, nor leave a cancelled task for the
        # origin's later URLs.
        robots = await asyncio.shield(task)
        robots_url = _robots_url(parts)
        if robots.rules is None:
            assert robots.failure is not None  # _Robots holds one or the other
            raise _robots_failure(url, robots_url, robots.failure)
        if not robots.rules.can_fetch(self._settings.user_agent, url):
            raise BlockedByRobots(f"{url}: disallowed by {robots_url} for user agent {self._settings.user_agent!r}")

    async def close(self) -> None:
        # A robots.txt fetch is only still running if the fetch that started it was cancelled.
        pending = [task for task in self._robots.values() if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _read_robots(self, parts: SplitResult, attempts: list[FetchAttempt]) -> _Robots:
        try:
            body = await self._load_robots(_robots_url(parts), attempts)
        except HttpStatusError as error:
            if 400 <= error.status < 500:
                return _Robots(rules=_parse_robots(""))  # RFC 9309: robots.txt "unavailable" -> no rules
            return _Robots(rules=None, failure=error)
        except FetchError as error:
            return _Robots(rules=None, failure=error)
        # RFC 9309: robots.txt is UTF-8; a stray byte must not cost the rest of the rules.
        rules = _parse_robots((body or b"").decode("utf-8", errors="replace"))
        crawl_delay = rules.crawl_delay(self._settings.user_agent)
        if crawl_delay is not None:
            gate = self._gate(parts)
            gate.min_delay_s = max(gate.min_delay_s, float(crawl_delay))
        return _Robots(rules=rules)

    def _gate(self, parts: SplitResult) -> _HostGate:
        origin = _origin(parts)
        if origin not in self._gates:
            self._gates[origin] = _HostGate(self._settings.per_host_concurrency, self._settings.per_host_min_delay_s)
        return self._gates[origin]


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
        return FetchTimeout(detail, phase=failure.phase)
    if isinstance(failure, ConnectFailed):
        return ConnectFailed(detail)
    # Nor is a server that asked to be left alone for a while: every URL of it waits as long.
    if isinstance(failure, ServerAskedToWait):
        return ServerAskedToWait(detail, retry_at=failure.retry_at)
    return RobotsUnavailable(f"{detail}; RFC 9309 says to treat the site as disallowed, so it is skipped this run")


def _parse_robots(text: str) -> RobotFileParser:
    rules = RobotFileParser()
    rules.parse(text.splitlines())
    rules.modified()  # can_fetch() answers False until the parser believes it has read something
    return rules


def _origin(parts: SplitResult) -> str:
    assert parts.hostname is not None  # parse_http_url guarantees a host
    return f"{parts.scheme.lower()}://{host_port(parts.hostname, url_port(parts))}"


def _robots_url(parts: SplitResult) -> str:
    host_and_port = parts.netloc.rpartition("@")[2]  # never send credentials to robots.txt
    return f"{parts.scheme.lower()}://{host_and_port}/robots.txt"
