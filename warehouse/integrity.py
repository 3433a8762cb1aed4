"""Is the lake whole? A cheap check before a run touches any input.

A damaged lake must stop the command with one clear line, never turn every input into a
`load_error` reject. Checked here, in about a millisecond per data file:
- a SQLite catalog: SQLite's own `PRAGMA quick_check` (opening it, in warehouse.db, already
  refuses a file that is not a database at all);
- every data file the current snapshot needs: it exists, has the size the catalog recorded,
  and its Parquet footer reads and states the row count the catalog recorded.
Bytes flipped inside a data page of the right size are not read here (that would read the
whole lake); they are found when the page is read, and warehouse/failures.py then reports
the lake as damaged, never the input.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import duckdb

from extractors.errors import StorageDamaged
from warehouse import db
from warehouse.db import LAKE

__all__ = ["verify_lake"]


def verify_lake(con: duckdb.DuckDBPyConnection) -> int:
    """The number of data files checked; StorageDamaged naming the first damaged file."""
    _check_sqlite_catalog(con)
    metadata = f"__ducklake_metadata_{LAKE}"
    data_path = db.data_path(con)
    if not Path(data_path).is_dir():
        if data_path.startswith(("s3://", "gs://", "az://", "http://", "https://")):
            return 0  # object storage: nothing local to stat
        raise StorageDamaged(f"the lake's data directory {data_path} is missing: restore it from a backup")
    files = con.execute(
        f"""SELECT f.path, f.path_is_relative, f.file_size_bytes, f.record_count, t.table_name, s.schema_name
            FROM {metadata}.ducklake_data_file f
            JOIN {metadata}.ducklake_table t ON t.table_id = f.table_id AND t.end_snapshot IS NULL
            JOIN {metadata}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
            WHERE f.end_snapshot IS NULL"""
    ).fetchall()
    expected_rows = {}
    for path, relative, size, record_count, table, schema in files:
        full = os.path.join(data_path, schema, table, path) if relative else path
        expected_rows[full] = (record_count, table)
        try:
            actual = os.stat(full).st_size
        except FileNotFoundError:
            raise StorageDamaged(f"lake data file {full} of table {table} is missing: the lake is damaged") from None
        if actual != size:
            raise StorageDamaged(
                f"lake data file {full} of table {table} has {actual} bytes, the catalog recorded {size}: "
                "the lake is damaged"
            )
    _check_parquet_footers(con, expected_rows)
    return len(files)


def _check_sqlite_catalog(con: duckdb.DuckDBPyConnection) -> None:
    attached = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = ?", [LAKE]).fetchall()
    location = attached[0][0] if attached else ""
    if not location or not location.startswith("sqlite:"):
        return  # PostgreSQL looks after its own pages
    path = location.removeprefix("sqlite:")
    with sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True) as catalog:
        try:
            problems = [row[0] for row in catalog.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
    if problems != ["ok"]:
        raise StorageDamaged(f"the lake's catalog {path} is damaged ({problems[0]}): restore it from a backup")


def _check_parquet_footers(con: duckdb.DuckDBPyConnection, expected_rows: dict[str, tuple[int, str]]) -> None:
    """Each footer read in one query; on an error, file by file to name the damaged one."""
    paths = list(expected_rows)
    if not paths:
        return
    try:
        footers = con.execute("SELECT file_name, num_rows FROM parquet_file_metadata(?)", [paths]).fetchall()
    except duckdb.Error:
        footers = [_footer(con, path) for path in paths]
    for path, rows in footers:
        record_count, table = expected_rows[path]
        if record_count is not None and rows != record_count:
            raise StorageDamaged(
                f"lake data file {path} of table {table} holds {rows} rows, the catalog recorded {record_count}: "
                "the lake is damaged"
            )


def _footer(con: duckdb.DuckDBPyConnection, path: str) -> tuple[str, int]:
    try:
        return con.execute("SELECT file_name, num_rows FROM parquet_file_metadata(?)", [path]).fetchall()[0]
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise StorageDamaged(f"lake data file {path} cannot be read ({first_line}): the lake is damaged") from None
