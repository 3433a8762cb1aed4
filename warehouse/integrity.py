"""Is the lake whole? A cheap check before a run touches any input.

A damaged lake must stop the command with one clear line, never turn every input into a
`load_error` reject. The catalog is checked by opening it (warehouse.db); the data files the
current snapshot needs are checked here: each must exist with the size the catalog recorded
for it. (Bytes flipped inside a file of the right size are found when it is read.)
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from extractors.errors import WarehouseError
from warehouse import db
from warehouse.db import LAKE

__all__ = ["verify_lake"]


def verify_lake(con: duckdb.DuckDBPyConnection) -> int:
    """The number of data files checked; WarehouseError naming the first damaged one."""
    metadata = f"__ducklake_metadata_{LAKE}"
    data_path = db.data_path(con)
    if not Path(data_path).is_dir():
        if data_path.startswith(("s3://", "gs://", "az://", "http://", "https://")):
            return 0  # object storage: nothing local to stat
        raise WarehouseError(f"the lake's data directory {data_path} is missing: restore it from a backup")
    files = con.execute(
        f"""SELECT f.path, f.path_is_relative, f.file_size_bytes, t.table_name, s.schema_name
            FROM {metadata}.ducklake_data_file f
            JOIN {metadata}.ducklake_table t ON t.table_id = f.table_id AND t.end_snapshot IS NULL
            JOIN {metadata}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
            WHERE f.end_snapshot IS NULL"""
    ).fetchall()
    for path, relative, size, table, schema in files:
        full = os.path.join(data_path, schema, table, path) if relative else path
        try:
            actual = os.stat(full).st_size
        except FileNotFoundError:
            raise WarehouseError(f"lake data file {full} of table {table} is missing: the lake is damaged") from None
        if actual != size:
            raise WarehouseError(
                f"lake data file {full} of table {table} has {actual} bytes, the catalog recorded {size}: "
                "the lake is damaged"
            )
    return len(files)
