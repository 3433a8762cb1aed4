"""FetchSettings: the limits and manners of fetching, one frozen pydantic model.

The flows' `Settings` inherits these fields (so each can be set as `NEWSMON_<FIELD>`): keep
their names, defaults and descriptions stable.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FetchSettings"]


class FetchSettings(BaseModel):
    """Limits and manners of fetching. The defaults here are newsmon's defaults: the flows'
    `Settings` inherits these fields, so each can be set as `NEWSMON_<FIELD>`."""

    model_config = ConfigDict(frozen=True)

    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    max_concurrency: int = Field(32, ge=1, description="requests in flight at once, across origins")
    per_host_concurrency: int = Field(2, ge=1, description="requests in flight per origin")
    per_host_min_delay_s: float = Field(0.5, ge=0, description="seconds between request starts to one origin")
    max_idle_connections: int = Field(
        64, ge=0, description="open connections kept for reuse, across origins (more origins than this reconnect)"
    )
    connect_timeout_s: float = Field(5, gt=0)
    read_timeout_s: float = Field(15, gt=0, description="longest wait for the next bytes")
    request_deadline_s: float = Field(
        60, gt=0, description="longest one HTTP request may take, connect, headers and body together; not retried"
    )
    max_body_bytes: int = Field(5 * 2**20, gt=0, description="decompressed body limit")
    max_robots_bytes: int = Field(
        500 * 1024, gt=0, description="robots.txt is read up to this many bytes (RFC 9309: at least 500 KiB)"
    )
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
