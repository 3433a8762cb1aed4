"""The DuckDB moves every loader here makes: a transaction, and a batch in through Arrow.

Arrow types come from the tables themselves: `table_schema` asks DuckDB for the Arrow
schema of a migrated table, so warehouse/migrations/*.sql stays the one place a column's
type is written.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
import pyarrow as pa

__all__ = ["insert_rows", "registered", "table_schema", "transaction", "typed_rows"]

# Per connection: a connection's tables are migrated when it opens (warehouse.db.writer).
_SCHEMAS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict[str, pa.Schema]] = weakref.WeakKeyDictionary()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All in or all out: commit when the block ends, roll back on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table) -> Iterator[None]:
    """`rows` visible to SQL as the view `name` for the block (bulk path: ~200k rows/s).

    The connection must have no unfinished result (read single rows with fetchall, not fetchone).
    """
    con.register(name, rows)
    try:
        yield
    except BaseException:
        # After a failed statement DuckDB refuses everything, this too, until the ROLLBACK,
        # which drops the view anyway: the statement's own error is the one to raise.
        with suppress(duckdb.TransactionException):
            con.unregister(name)
        raise
    con.unregister(name)


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> pa.Schema:
    """The Arrow schema DuckDB gives `table`'s columns, read once per connection."""
    schemas = _SCHEMAS.setdefault(con, {})
    if table not in schemas:
        schemas[table] = con.table(table).limit(0).to_arrow_table().schema
    return schemas[table]


def typed_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """`rows` (dicts with the same keys, each a column of `table`) as Arrow, typed like those columns."""
    schema = table_schema(con, table)
    columns = list(rows[0]) if rows else []
    unknown = [c for c in columns if schema.get_field_index(c) < 0]
    if unknown:
        raise KeyError(f"{table} has no column {', '.join(unknown)}")
    try:
        return pa.Table.from_pylist(list(rows), schema=pa.schema([schema.field(c) for c in columns]))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:  # a value the column's type cannot hold
        raise ValueError(f"a row does not fit the table {table}: {error}") from error


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, Any]], on_conflict: str = ""
) -> None:
    """INSERT … SELECT `rows` into `table` through Arrow, matching columns by name; none: nothing.

    `table` and `on_conflict` come from the warehouse's own code, never from input data.
    """
    if not rows:
        return
    arrow = typed_rows(con, table, rows)
    columns = ", ".join(arrow.column_names)
    with registered(con, "arrow_rows", arrow):
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM arrow_rows {on_conflict}")
