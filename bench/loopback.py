"""A threaded HTTP server on a loopback address for the benchmarks: each request waits
`latency_s`, then gets what `respond(path, request_headers, base_url)` returns."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    body: bytes = b""
    content_type: str | None = None  # sent with "; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


ROBOTS_ALLOW_ALL = Answer(b"User-agent: *\nAllow: /\n", "text/plain")


def serve(host: str, latency_s: float, respond: Callable[[str, Message, str], Answer]) -> ThreadingHTTPServer:
    """Start serving on `host` (a free port) in a daemon thread; the server object tells the port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            time.sleep(latency_s)
            answer = respond(self.path, self.headers, f"http://{host}:{self.server.server_address[1]}")
            self.send_response(answer.status)
            if answer.content_type:
                self.send_header("Content-Type", f"{answer.content_type}; charset=utf-8")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args: object) -> None:  # quiet: the benchmark prints its own lines
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
