"""Taking the lake elsewhere: articles and comments as Parquet or CSV files partitioned by day,
and the statements that attach the lake read-only in a DuckDB of one's own (`newsmon shell`).

An export reads both tables at one lake snapshot, so comments never point at an article the
export lacks, and writes Hive-style partitions: `DIR/articles/day=2025-06-01/data_0.parquet`,
`day` being the UTC date of `first_seen_at`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from extractors.errors import NewsmonError
from warehouse import db

__all__ = ["EXPORTED_TABLES", "ExportTargetNotEmpty", "Exported", "attach_statements", "export"]

EXPORTED_TABLES = ("articles", "comments")
FORMATS = ("parquet", "csv")


class ExportTargetNotEmpty(NewsmonError):
    """The export directory already holds files, and overwriting was not asked for."""


@dataclass(frozen=True)
class Exported:
    table: str
    directory: Path
    rows: int
    files: int
    partitions: int
    snapshot_id: int


def export(spec: str | Path, target: Path, file_format: str = "parquet", *, overwrite: bool = False) -> list[Exported]:
    """Write articles and comments under `target`, one directory per table and day."""
    if file_format not in FORMATS:
        raise ValueError(f"format {file_format!r} is not one of {FORMATS}")
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ExportTargetNotEmpty(f"{target} is a file, not a directory")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise ExportTargetNotEmpty(f"{target} is not empty: give --overwrite to replace what it holds")
        for table in EXPORTED_TABLES:
            shutil.rmtree(target / table, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet" if file_format == "parquet" else "FORMAT csv, HEADER true"
    written = []
    with db.reader(spec) as con:
        snapshot = db.current_snapshot(con)
        for table in EXPORTED_TABLES:
            directory = target / table
            rows = con.execute(
                f"COPY (SELECT *, CAST(first_seen_at AS DATE) AS day FROM {table} AT (VERSION => {int(snapshot)})) "
                f"TO {db.sql_literal(directory)} ({options}, PARTITION_BY (day))"
            ).fetchone()[0]
            files = list(directory.rglob(f"*.{file_format}")) if directory.is_dir() else []
            written.append(Exported(table, directory, rows, len(files), len({f.parent for f in files}), snapshot))
    return written


def attach_statements(spec: str | Path) -> list[str]:
    """What a DuckDB 1.5 of one's own runs to read the lake: the extensions from this virtual
    environment (nothing downloaded), then the catalog attached read-only as `lake`, in use."""
    catalog = db.catalog_of(spec)
    return [
        f"SET extension_directory = {db.sql_literal(db.extension_directory())}",
        "LOAD ducklake",
        f"LOAD {catalog.kind}",
        f"ATTACH {db.sql_literal(catalog.uri)} AS {db.LAKE} (READ_ONLY)",
        f"USE {db.LAKE}",
    ]
