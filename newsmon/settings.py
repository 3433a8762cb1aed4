"""One typed settings object. Local defaults; override with NEWSMON_* environment variables."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSMON_")

    db_path: Path = Field(Path("data/newsmon.duckdb"), description="the DuckDB warehouse file")
    seeds_dir: Path = Field(Path("seeds"), description="what `newsmon ingest` reads when given no paths")
    batch_size: int = Field(200, ge=1, description="inputs per extract/load batch (one transaction each)")
