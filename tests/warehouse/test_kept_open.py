"""db.kept_open: within a run, every writer is a cursor on one connection (one attach, one
migration check); outside it, each writer has a connection of its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from extractors.errors import WarehouseError
from warehouse import db


def _attached(con) -> set[str]:
    return {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def test_writers_inside_share_one_connection_and_its_lake(db_path: Path) -> None:
    with db.kept_open(db_path):
        with db.writer(db_path) as first:
            first.execute("ATTACH ':memory:' AS scratch")  # attachments belong to the connection's database
        with db.writer(db_path) as second:
            assert "scratch" in _attached(second)
            assert second.execute("SELECT count(*) FROM runs").fetchall() == [(0,)]  # the lake, by its bare name
        seen_in_thread = []
        worker = threading.Thread(target=lambda: seen_in_thread.append(_attached_via_writer(db_path)))
        worker.start()
        worker.join()
        assert "scratch" in seen_in_thread[0]
    with db.writer(db_path) as after:
        assert "scratch" not in _attached(after)  # the kept connection is closed with the block


def _attached_via_writer(db_path: Path) -> set[str]:
    with db.writer(db_path) as con:
        return _attached(con)


def test_each_writer_commits_its_own_transaction(db_path: Path) -> None:
    with db.kept_open(db_path):
        with db.writer(db_path) as setup:
            setup.execute("CREATE TABLE notes (n INTEGER)")
        with db.writer(db_path) as left, db.writer(db_path) as right:
            left.execute("BEGIN TRANSACTION")
            left.execute("INSERT INTO notes VALUES (1)")
            assert right.execute("SELECT count(*) FROM notes").fetchall() == [(0,)]  # not committed yet
            left.execute("COMMIT")
            assert right.execute("SELECT count(*) FROM notes").fetchall() == [(1,)]
    with db.reader(db_path) as reader:
        assert reader.execute("SELECT count(*) FROM notes").fetchall() == [(1,)]


def test_outside_a_kept_block_writers_are_separate(db_path: Path) -> None:
    with db.writer(db_path) as first:
        first.execute("ATTACH ':memory:' AS scratch")
    with db.writer(db_path) as second:
        assert "scratch" not in _attached(second)


def test_a_failed_first_open_is_tried_again_by_the_next_writer(tmp_path: Path) -> None:
    not_a_catalog = tmp_path / "notes.txt"
    not_a_catalog.write_text("not a database\n")
    with db.kept_open(not_a_catalog):
        for _ in range(2):  # a task retry opens again and fails the same clear way, not with a stale error
            with pytest.raises(WarehouseError, match="notes.txt"), db.writer(not_a_catalog):
                pass
