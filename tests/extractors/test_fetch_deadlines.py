"""Time limits of the fetcher, against real sockets on 127.0.0.1: the request deadline (one
HTTP request, connect to last body byte) and the run's deadline given to fetch_many.

A server that drips its answer a byte at a time never trips a read timeout; `DripServer`
below is such a server (tests/support's LoopbackServer answers whole replies). Timing is
asserted only as attempt counts and generous upper bounds measured against the deadlines:
a loaded machine makes things slower, never faster.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType

import anyio
import pytest

from extractors.errors import FetchDeferred, FetchTimeout, RunDeadlineReached
from extractors.fetch import Fetcher, FetchSettings
from tests.support.http_server import LoopbackServer, Reply

pytestmark = pytest.mark.anyio

DEADLINE_S = 1.0
SLACK_S = 10.0  # how much later than a deadline a result may come on a busy machine
SETTINGS = FetchSettings(
    per_host_min_delay_s=0,
    connect_timeout_s=30,  # far longer than the deadline: only the deadline can end these requests
    read_timeout_s=30,
    request_deadline_s=DEADLINE_S,
    max_attempts=3,
    backoff_base_s=0.01,
    allow_private_hosts=True,
    respect_robots=False,  # the drip server answers every path alike, /robots.txt included
)
PAGE = b"<html><head><title>t</title></head><body><p>slow news</p></body></html>"


class DripServer:
    """A TCP server on 127.0.0.1 that reads a request, sends `at_once`, then `dripped` one byte
    every DRIP_INTERVAL_S. It stops dripping when the client hangs up (then `hung_up` is set)
    or after DRIP_AT_MOST_S, so a test that goes wrong cannot hang on it."""

    DRIP_INTERVAL_S = 0.05
    DRIP_AT_MOST_S = 30.0

    def __init__(self, at_once: bytes, dripped: bytes):
        self.connections = 0
        self.hung_up = threading.Event()
        self._at_once = at_once
        self._dripped = dripped
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # accept() wakes up to see `_stopping`
        self._threads = [threading.Thread(target=self._accept, name="drip-accept", daemon=True)]

    def __enter__(self) -> DripServer:
        self._threads[0].start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        for thread in self._threads:  # the accept thread first: once it ends, no thread is added
            thread.join()
        self._listener.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}{path}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            answer = threading.Thread(target=self._drip, args=(connection,), name="drip", daemon=True)
            self._threads.append(answer)
            answer.start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                received = connection.recv(4096)
                if not received:
                    return
                request += received
            stop_at = time.monotonic() + self.DRIP_AT_MOST_S
            try:
                connection.sendall(self._at_once)
                for byte in self._dripped:
                    if self._stopping.wait(self.DRIP_INTERVAL_S) or time.monotonic() > stop_at:
                        return
                    connection.sendall(bytes([byte]))
            except OSError:  # the client closed the connection: the one way this ends early
                self.hung_up.set()


async def hung_up(server: DripServer) -> bool:
    """Whether the client closed its connection to `server`, waiting up to SLACK_S for it."""
    return await anyio.to_thread.run_sync(server.hung_up.wait, SLACK_S)


# --- the request deadline -------------------------------------------------------------------


async def test_a_body_dripped_past_the_deadline_is_a_timeout_in_the_body_not_retried() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
    with DripServer(head, PAGE.ljust(100000)) as server:
        async with Fetcher(SETTINGS) as fetcher:
            began = time.monotonic()
            result = await fetcher.fetch(server.url("/slow"))
            elapsed = time.monotonic() - began
            assert await hung_up(server)  # the connection was closed then, not when the Fetcher closed
    error = result.error
    assert isinstance(error, FetchTimeout) and error.phase == "body" and error.reason == "timeout"
    assert "no complete response within the 1 s request deadline (while reading the body, " in error.detail
    (attempt,) = result.attempts  # one attempt: a deadline that passed is not retried
    assert (attempt.status, attempt.error_class, attempt.error_message) == (200, "FetchTimeout", error.detail)
    assert attempt.bytes > 0 and f"{attempt.bytes} bytes read" in error.detail
    assert server.connections == 1
    assert elapsed < DEADLINE_S + SLACK_S


async def test_headers_dripped_past_the_deadline_are_a_timeout_in_the_headers() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"a" * 4000 + b"\r\n\r\n"
    with DripServer(b"", head) as server:
        async with Fetcher(SETTINGS) as fetcher:
            began = time.monotonic()
            result = await fetcher.fetch(server.url("/slow"))
            elapsed = time.monotonic() - began
            assert await hung_up(server)
    error = result.error
    assert isinstance(error, FetchTimeout) and error.phase == "headers"
    assert error.detail.endswith("within the 1 s request deadline (while waiting for the status line and headers)")
    assert [(a.status, a.error_class) for a in result.attempts] == [(None, "FetchTimeout")]
    assert server.connections == 1
    assert elapsed < DEADLINE_S + SLACK_S


@contextlib.contextmanager
def unaccepting_listener():
    """A listening port whose accept queue is full: the kernel drops new connections' SYNs, so
    connecting hangs until the client gives up."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued: list[socket.socket] = []
    try:
        for _ in range(64):
            probe = socket.socket()
            queued.append(probe)
            probe.settimeout(0.5)
            try:
                probe.connect(listener.getsockname())
            except TimeoutError:
                break  # this one hung: the queue is full
        else:
            pytest.skip("this system accepted 64 connections into a backlog of 0")
        yield listener.getsockname()[1]
    finally:
        for probe in queued:
            probe.close()
        listener.close()


async def test_a_connect_that_hangs_past_the_deadline_is_a_timeout_while_connecting() -> None:
    with unaccepting_listener() as port:
        async with Fetcher(SETTINGS) as fetcher:
            began = time.monotonic()
            result = await fetcher.fetch(f"http://127.0.0.1:{port}/a")
            elapsed = time.monotonic() - began
    error = result.error
    assert isinstance(error, FetchTimeout) and error.phase == "connect"
    assert error.detail.endswith("within the 1 s request deadline (while connecting)")
    assert len(result.attempts) == 1
    assert elapsed < DEADLINE_S + SLACK_S


# --- the run's deadline ---------------------------------------------------------------------


async def test_fetch_many_cancels_what_is_not_done_by_the_run_deadline(http_server: LoopbackServer) -> None:
    http_server.route("/fast", Reply(body=PAGE))
    http_server.route("/slow", Reply(body=PAGE, delay_s=60))  # woken when the test server stops
    http_server.route("/queued", Reply(body=PAGE))
    settings = SETTINGS.model_copy(update=dict(request_deadline_s=60, per_host_concurrency=1, respect_robots=True))
    run_for_s = 1.5
    async with Fetcher(settings) as fetcher:
        began = time.monotonic()
        fast, slow, queued = await fetcher.fetch_many(
            [http_server.url("/fast"), http_server.url("/slow"), http_server.url("/queued")],
            deadline=began + run_for_s,
        )
        elapsed = time.monotonic() - began
    assert fast.ok and fast.body == PAGE
    for result in (slow, queued):
        error = result.error
        assert isinstance(error, RunDeadlineReached) and isinstance(error, FetchDeferred)
        assert error.reason == "run_deadline" and error.retry_at is None
        assert "the run's time limit came" in error.detail and "goes back to the frontier" in error.detail
    # The request in flight is recorded as cut off; the one still queued never started.
    assert [(a.status, a.error_class) for a in slow.attempts] == [(None, "RunDeadlineReached")]
    assert queued.attempts == ()
    assert http_server.hits["/slow"] == 1 and http_server.hits["/queued"] == 0
    assert run_for_s <= elapsed < run_for_s + SLACK_S


async def test_a_robots_txt_cut_off_by_the_run_deadline_still_serves_later_fetches(
    http_server: LoopbackServer,
) -> None:
    # One robots.txt fetch per origin serves every URL of it: the fetch cancelled while it
    # waited for robots.txt must not take robots.txt down with it for the next batch.
    http_server.route("/robots.txt", Reply(status=404, delay_s=2))
    http_server.route("/a", Reply(body=PAGE))
    settings = SETTINGS.model_copy(update=dict(request_deadline_s=60, respect_robots=True))
    async with Fetcher(settings) as fetcher:
        (cut_off,) = await fetcher.fetch_many([http_server.url("/a")], deadline=time.monotonic() + 0.5)
        later = await fetcher.fetch(http_server.url("/a"))
    assert isinstance(cut_off.error, RunDeadlineReached)
    assert later.ok and later.body == PAGE
    assert http_server.hits["/robots.txt"] == 1 and http_server.hits["/a"] == 1
