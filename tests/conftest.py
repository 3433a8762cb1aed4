"""Shared test set-up: an isolated Prefect home, the real Prefect engine, temp databases."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Before anything imports prefect: its settings are read at import time.
# Tests never share the developer's ~/.prefect nor write into the working tree.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsmon-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] = "ignore"
os.environ.pop("PREFECT_API_URL", None)
for name in [n for n in os.environ if n.startswith("NEWSMON_")]:
    del os.environ[name]

import pytest  # noqa: E402 -- after the environment above


@pytest.fixture(scope="session")
def prefect_engine():
    """A real Prefect API (temporary server + database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "newsmon.sqlite"


@pytest.fixture
def http_server():
    """A real HTTP server on 127.0.0.1 (tests/support/http_server.py)."""
    from tests.support.http_server import LoopbackServer

    with LoopbackServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_dsn():
    """A real PostgreSQL 15 server for the whole session (tests/support/postgres.py): the libpq
    DSN of its empty database `news`. Tests that need a database of their own make one with
    `tests.support.postgres.create_database(postgres_dsn, name)`."""
    from tests.support.postgres import postgres_server

    with postgres_server() as dsn:
        yield dsn
