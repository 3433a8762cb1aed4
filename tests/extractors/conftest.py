"""Fixtures for the extractor tests: the asyncio backend for anyio (http_server is in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the fetcher is asyncio code; anyio's plugin would also try trio
