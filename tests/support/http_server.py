"""A real HTTP server on 127.0.0.1 (a free port), run in a thread, for network tests without
the internet.

Tests register what each path answers (`route`, `route_sequence`, or a function of the
request) and read back what the server saw: hits per path, every request's headers and
start time, and the most requests it ever had in flight at once.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering: a server that hangs past the client's timeout
    send_length: bool = True  # False: no Content-Length; the body ends when the connection closes


@dataclass(frozen=True)
class SeenRequest:
    path: str  # without the query
    target: str  # as sent: path and query
    headers: Mapping[str, str]  # names lowercased
    started_at: float  # time.monotonic() when the request arrived
    method: str = "GET"
    body: bytes = b""  # what a POST sent


Responder = Callable[[SeenRequest], Reply]
NOT_FOUND = Reply(status=404, body=b"not found", content_type="text/plain")


class LoopbackServer:
    """Use as a context manager, or through the `http_server` fixture."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[SeenRequest] = []
        self.max_in_flight = 0  # most requests at once between arrival and answer
        self._in_flight = 0
        self._routes: dict[str, Responder] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            # A short poll interval: shutdown() waits for the next poll, once per test.
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="loopback-http",
            daemon=True,
        )

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # wakes handlers that are hanging on purpose
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    def route(self, path: str, reply: Reply | Responder) -> None:
        """Answer `path` (query ignored) with `reply`, or with what `reply(request)` returns."""
        with self._lock:
            self._routes[path] = reply if callable(reply) else (lambda _request: reply)

    def route_sequence(self, path: str, replies: Sequence[Reply]) -> None:
        """Answer successive requests to `path` with `replies` in turn; the last one repeats."""
        remaining: Iterator[Reply] = iter(replies)
        last = replies[-1]
        self.route(path, lambda _request: next(remaining, last))

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def _begin(self, request: SeenRequest) -> Responder:
        with self._lock:
            self.hits[request.path] += 1
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._routes.get(request.path, lambda _request: NOT_FOUND)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    owner: LoopbackServer
    block_on_close = False  # handlers may still be writing to a client that gave up

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return  # the client hung up on purpose (size limit, timeout): not a server fault
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET", b"")

    def do_POST(self) -> None:
        self._answer("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, method: str, body: bytes) -> None:
        owner = self.server.owner
        request = SeenRequest(
            path=urlsplit(self.path).path,
            target=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            started_at=time.monotonic(),
            method=method,
            body=body,
        )
        responder = owner._begin(request)
        try:
            reply = responder(request)
            if reply.delay_s:
                owner._wait(reply.delay_s)
        finally:
            # Out of flight before answering: once the client has its answer it may send the
            # next request, which must not find this one still counted.
            owner._end()
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.send_length:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `hits` and `requests` instead of a log."""
