"""The test PostgreSQL server (tests/support/postgres.py) is real: DuckDB's postgres extension
writes to it and reads back, and a DuckLake catalog on it is shared by two connections."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import duckdb_extensions
import pytest

from tests.support.postgres import create_database


def duck(tmp_path: Path, *extensions: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `extensions` installed from their wheels (offline) into a temp
    extension directory, and loaded."""
    con = duckdb.connect(config={"extension_directory": str(tmp_path / "ext")})
    for name in extensions:
        duckdb_extensions.import_extension(name, con=con)
        con.load_extension(name)
    return con


@pytest.fixture
def database(postgres_dsn, request) -> str:
    """A database of this test's own on the session's server."""
    return create_database(postgres_dsn, re.sub(r"\W+", "_", request.node.name.lower())[:63])


def test_the_postgres_extension_writes_and_reads_back(tmp_path, database):
    with duck(tmp_path, "postgres") as con:
        con.execute(f"ATTACH '{database}' AS pg (TYPE postgres)")
        con.execute("CREATE TABLE pg.headlines (id INTEGER PRIMARY KEY, title VARCHAR)")
        con.execute("INSERT INTO pg.headlines VALUES (1, 'Harbour flood barrier opens'), (2, 'Café reopens')")
        assert con.execute("SELECT id, title FROM pg.headlines ORDER BY id").fetchall() == [
            (1, "Harbour flood barrier opens"),
            (2, "Café reopens"),
        ]
    with duck(tmp_path, "postgres") as again:  # stored in PostgreSQL, not in the DuckDB session
        again.execute(f"ATTACH '{database}' AS pg (TYPE postgres, READ_ONLY)")
        assert again.execute("SELECT count(*) FROM pg.headlines").fetchone() == (2,)


def test_a_ducklake_on_postgres_is_shared_by_two_connections(tmp_path, database):
    data_path = tmp_path / "lake"
    with duck(tmp_path, "postgres", "ducklake") as first:
        # no inlining of small inserts into the catalog: the row goes to a Parquet file
        first.execute(
            f"ATTACH 'ducklake:postgres:{database}' AS lake (DATA_PATH '{data_path}/', DATA_INLINING_ROW_LIMIT 0)"
        )
        first.execute("CREATE TABLE lake.articles (article_id BIGINT, title VARCHAR)")
        first.execute("INSERT INTO lake.articles VALUES (7, 'UK-France move toward a new security pact')")
        with duck(tmp_path, "postgres", "ducklake") as second:  # while the first is still attached
            second.execute(f"ATTACH 'ducklake:postgres:{database}' AS lake")  # the catalog knows the data path
            assert second.execute("SELECT article_id, title FROM lake.articles").fetchall() == [
                (7, "UK-France move toward a new security pact")
            ]
    assert list(data_path.rglob("*.parquet"))  # the rows live in Parquet files under DATA_PATH
