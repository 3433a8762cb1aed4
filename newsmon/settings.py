"""One typed settings object. Local defaults; override with NEWSMON_* environment variables."""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.fetch import FetchSettings
from warehouse.frontier import RecrawlPolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSMON_")

    db_path: Path = Field(Path("data/newsmon.duckdb"), description="the DuckDB warehouse file")
    seeds_dir: Path = Field(Path("seeds"), description="what `newsmon ingest` reads when given no paths")
    batch_size: int = Field(200, ge=1, description="inputs per extract/load batch (one transaction each)")
    extract_processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1,
        description="processes extracting local files in large runs (1: in the flow's process)",
    )

    # Fetching (extractors/fetch.py)
    allow_private_hosts: bool = Field(False, description="fetch loopback/private/link-local hosts (tests, intranets)")
    private_host_exceptions: frozenset[str] = Field(
        frozenset(), description='"host:port" entries fetched even though private (one intranet server), as JSON'
    )
    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    max_concurrency: int = Field(16, ge=1)
    per_host_concurrency: int = Field(2, ge=1)
    per_host_min_delay_s: float = Field(0.5, ge=0)
    connect_timeout_s: float = Field(5, gt=0)
    read_timeout_s: float = Field(15, gt=0)
    max_body_bytes: int = Field(5 * 2**20, gt=0)
    max_redirects: int = Field(5, ge=0)
    max_attempts: int = Field(4, ge=1)
    max_urls_per_run: int = Field(1000, ge=1, description="fetches per run; the rest stay due in `urls`")
    max_discovery_depth: int = Field(3, ge=0, description="feed/sitemap index → sitemap → … levels followed")

    # Re-crawling (warehouse/frontier.py)
    recrawl_offsets_h: tuple[float, ...] = (1, 6, 24, 72)
    source_interval_min: float = Field(15, gt=0)
    source_max_interval_min: float = Field(240, gt=0)

    def fetch_settings(self, allow_private_hosts: bool | None = None) -> FetchSettings:
        return FetchSettings(
            user_agent=self.user_agent,
            max_concurrency=self.max_concurrency,
            per_host_concurrency=self.per_host_concurrency,
            per_host_min_delay_s=self.per_host_min_delay_s,
            connect_timeout_s=self.connect_timeout_s,
            read_timeout_s=self.read_timeout_s,
            max_body_bytes=self.max_body_bytes,
            max_redirects=self.max_redirects,
            max_attempts=self.max_attempts,
            allow_private_hosts=self.allow_private_hosts if allow_private_hosts is None else allow_private_hosts,
            private_host_exceptions=self.private_host_exceptions,
        )

    def recrawl_policy(self) -> RecrawlPolicy:
        return RecrawlPolicy(
            article_offsets_h=self.recrawl_offsets_h,
            source_interval_min=self.source_interval_min,
            source_max_interval_min=self.source_max_interval_min,
        )
