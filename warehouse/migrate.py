"""Numbered .sql migrations, applied once each and recorded in `schema_migrations`.

Safe to re-run: applied versions are skipped. An applied migration whose file
changed afterwards is an error (fix forward with a new file instead).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from extractors.errors import MigrationError
from warehouse.arrow_io import transaction
from warehouse.timeutil import utc_now

MIGRATION_NAME = re.compile(r"^(\d{3})_(\w+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    con.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version    INTEGER NOT NULL,
               name       VARCHAR NOT NULL,
               checksum   VARCHAR NOT NULL,
               applied_at TIMESTAMP NOT NULL
           )"""
    )
    applied = dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    newly_applied = []
    for migration in available_migrations():
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version:03d}_{migration.name}.sql changed after it was "
                    "applied; add a new migration instead of editing an applied one"
                )
            continue
        with transaction(con, exclusive=False):  # lake_writes may not exist yet
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                [migration.version, migration.name, migration.checksum, utc_now()],
            )
        newly_applied.append(migration.version)
    return newly_applied
