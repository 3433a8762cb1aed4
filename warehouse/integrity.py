"""Is the lake whole? A cheap check before a run touches any input.

A damaged lake must stop the command with one clear line, never turn every input into a
`load_error` reject. Checked here, in about a millisecond per data file:
- a SQLite catalog: SQLite's own `PRAGMA quick_check` (opening it, in warehouse.db, already
  refuses a file that is not a database at all);
- every data file the current snapshot needs: it exists, has the size the catalog recorded,
  and its Parquet footer reads and states the row count the catalog recorded.
- with a SQLite catalog, every data file not read whole since it last changed: data files are
  never rewritten, so each is read once (every column decoded: Parquet's decompression and
  UTF-8 checks catch flipped bytes) and then known by its size and modification time in a
  ledger beside the catalog (`<catalog>.verified.json`). A file whose bytes were changed has a
  new modification time and is read again.
Without a ledger (a PostgreSQL catalog: many machines, no local place to keep it), bytes
flipped inside a data page are found when the page is next read, and warehouse/failures.py
then reports the lake as damaged, never the input.
"""

from __future__ import annotations

import contextlib
import json
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
    catalog_file = _sqlite_catalog_file(con)
    if catalog_file is not None:
        _check_sqlite_catalog(catalog_file)
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
    if catalog_file is not None:
        _read_new_files_whole(con, expected_rows, Path(f"{catalog_file}.verified.json"))
    return len(files)


def _sqlite_catalog_file(con: duckdb.DuckDBPyConnection) -> str | None:
    attached = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = ?", [LAKE]).fetchall()
    location = attached[0][0] if attached else ""
    return location.removeprefix("sqlite:") if location and location.startswith("sqlite:") else None


def _check_sqlite_catalog(path: str) -> None:
    with sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True) as catalog:
        try:
            problems = [row[0] for row in catalog.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
    if problems != ["ok"]:
        raise StorageDamaged(f"the lake's catalog {path} is damaged ({problems[0]}): restore it from a backup")


def _read_new_files_whole(con: duckdb.DuckDBPyConnection, files: dict[str, tuple[int, str]], ledger: Path) -> None:
    """Read every column of each file the ledger does not know as it is now; then remember them."""
    try:
        known = json.loads(ledger.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}  # no ledger yet (or an unreadable one): every file is read once
    verified = {}
    for path, (_, table) in files.items():
        info = os.stat(path)
        stamp = [info.st_size, info.st_mtime_ns]
        if known.get(path) != stamp:
            try:
                con.execute("SELECT max(hash(COLUMNS(*))) FROM read_parquet(?)", [path]).fetchall()
            except duckdb.Error as error:
                first_line = str(error).strip().splitlines()[0]
                raise StorageDamaged(
                    f"lake data file {path} of table {table} cannot be read ({first_line}): the lake is damaged"
                ) from None
        verified[path] = stamp
    if verified != known:
        with contextlib.suppress(OSError):  # a reader without write access checks again next time
            partial = ledger.with_name(f"{ledger.name}.{os.getpid()}")
            partial.write_text(json.dumps(verified), encoding="utf-8")
            partial.replace(ledger)  # atomic: a reader never sees half a ledger


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
