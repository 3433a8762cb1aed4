"""Fixtures for the extractor tests: a loopback HTTP server and the asyncio backend for anyio."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http_server import LoopbackServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the fetcher is asyncio code; anyio's plugin would also try trio


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server
