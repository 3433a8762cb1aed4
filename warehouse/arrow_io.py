"""The DuckDB moves every loader here makes: a transaction, and a batch in through Arrow.

Arrow types come from the tables themselves: `table_schema` asks DuckDB for the Arrow
schema of a migrated table, so warehouse/migrations/*.sql stays the one place a column's
type is written.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from extractors.errors import WriteConflict

__all__ = ["insert_rows", "registered", "retrying", "table_schema", "transaction", "typed_rows"]

T = TypeVar("T")

# Per connection: a connection's tables are migrated when it opens (warehouse.db.writer).
_SCHEMAS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict[str, pa.Schema]] = weakref.WeakKeyDictionary()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, *, exclusive: bool = True) -> Iterator[None]:
    """All in or all out: commit when the block ends, roll back on any exception.

    `exclusive` (every write but the migrations, which create the table) first bumps the one
    row of `lake_writes`, so this transaction conflicts with any other writer's that overlaps
    it; the second to commit gets WriteConflict and nothing of it is kept (see `retrying`).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        if exclusive:
            con.execute("UPDATE lake_writes SET writes = writes + 1")
        yield
    except BaseException:
        with suppress(duckdb.TransactionException):  # a failed commit has ended it already
            con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except duckdb.TransactionException as exc:
        if "conflict" in str(exc).lower():
            raise WriteConflict(f"another writer committed first: {str(exc).splitlines()[-1]}") from exc
        raise


def retrying(write: Callable[[], T], attempts: int = 10) -> T:
    """Run `write` (one transaction) again while another writer keeps committing first."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except WriteConflict:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0.02, 0.1) * 2 ** min(attempt, 5))
    raise AssertionError("unreachable")


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
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Write `rows` into `table` through Arrow, matching columns by name; none: nothing.

    With no `key`, a plain INSERT. With a `key` (DuckLake has no PRIMARY KEY to conflict on),
    one MERGE: rows whose key is new are inserted, and rows whose key exists update the
    `update` columns (none: they are left alone). Keys must be unique within `rows`: the
    loaders de-duplicate each batch first. `table`, `key` and `update` come from the
    warehouse's own code, never from input data.
    """
    if not rows:
        return
    arrow = typed_rows(con, table, rows)
    columns = arrow.column_names
    with registered(con, "arrow_rows", arrow):
        if not key:
            names = ", ".join(columns)
            con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM arrow_rows")
            return
        matches = " AND ".join(f"{table}.{k} = arrow_rows.{k}" for k in key)
        when_matched = (
            f"WHEN MATCHED THEN UPDATE SET {', '.join(f'{c} = arrow_rows.{c}' for c in update)} " if update else ""
        )
        con.execute(
            f"MERGE INTO {table} USING arrow_rows ON {matches} {when_matched}"
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'arrow_rows.{c}' for c in columns)})"
        )
