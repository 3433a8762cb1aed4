"""One typed settings object, the single source of every default; override with NEWSMON_* variables.

`Settings` extends the lower layers' own settings models (`FetchSettings`, `RecrawlPolicy`)
rather than copying their fields, so a fetch limit is declared once, with its default, and
`NEWSMON_MAX_ATTEMPTS=2` reaches the fetcher unchanged. Pass `settings` itself wherever a
`FetchSettings` or a `RecrawlPolicy` is wanted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.fetch import FetchSettings
from warehouse.frontier import RecrawlPolicy

__all__ = ["Settings"]


class Settings(BaseSettings, FetchSettings, RecrawlPolicy):
    model_config = SettingsConfigDict(env_prefix="NEWSMON_", frozen=True)

    catalog: str = Field(
        "data/newsmon.sqlite",
        description="the lake's catalog: a SQLite file (embedded) or postgres:<libpq string> (many machines)",
    )
    data_path: str | None = Field(
        None, description="where a new lake keeps its Parquet files (default: lake/ beside a SQLite catalog)"
    )
    seeds_dir: Path = Field(Path("seeds"), description="what `newsmon ingest` reads when given no paths")
    max_input_bytes: int = Field(
        50 * 2**20, gt=0, description="largest local input, after decompression; a larger one is rejected too_large"
    )
    batch_size: int = Field(200, ge=1, description="inputs per extract/load batch (one transaction each)")
    extract_processes: int = Field(
        default_factory=lambda: len(os.sched_getaffinity(0)),  # the cores this process may use
        ge=1,
        description="processes extracting local files in large runs (1: in the flow's process)",
    )
    task_runner: Literal["local", "dask"] = Field(
        "local", description="where extraction batches run: this machine's process pool, or a Dask cluster"
    )
    dask_address: str | None = Field(
        None, description="the Dask scheduler (tcp://host:8786) when task_runner is dask; unset: a local cluster"
    )
    history_days: float = Field(30, ge=0, description="snapshots kept for time travel; older ones are expired")
    cleanup_grace_min: float = Field(
        60, ge=0, description="files no snapshot needs are deleted once unused this long (readers may scan them)"
    )
    max_urls_per_run: int = Field(
        1000, ge=1, description="fetches per run beyond the URLs given as inputs; the rest stay due in `urls`"
    )
    max_discovery_depth: int = Field(3, ge=0, description="feed/sitemap index → sitemap → … levels followed")

    @field_validator("dask_address")
    @classmethod
    def _scheduler_address(cls, address: str | None) -> str | None:
        if address is None:
            return None
        parts = urlsplit(address)
        if parts.scheme not in ("tcp", "tls") or not parts.hostname or parts.path or _port(parts) is None:
            raise ValueError(f"a Dask scheduler address is tcp://host:port or tls://host:port, not {address!r}")
        return address

    @model_validator(mode="after")
    def _address_only_with_dask(self) -> Settings:
        # an address with the local runner would be ignored: the run would quietly stay on this machine
        if self.dask_address and self.task_runner != "dask":
            raise ValueError("NEWSMON_DASK_ADDRESS is set but NEWSMON_TASK_RUNNER is not dask")
        return self


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number, or out of range
        return None
