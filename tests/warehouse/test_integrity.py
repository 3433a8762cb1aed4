"""A damaged lake stops the command with one clear line; its inputs are never blamed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import Exit, app
from tests.support.dumps import write_dumps
from tests.support.warehouse import rows

runner = CliRunner()


def parquet_files(db_path: Path) -> list[Path]:
    return sorted((db_path.parent / "lake").rglob("*.parquet"))


@pytest.mark.usefixtures("prefect_engine")
@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_a_damaged_data_file_stops_the_run_before_any_input(db_path, tmp_path, damage):
    write_dumps(tmp_path / "inputs", 30)
    assert runner.invoke(app, ["ingest", str(tmp_path / "inputs"), "--db", str(db_path)]).exit_code == Exit.OK
    rejects_before = rows(db_path, "SELECT count(*) FROM rejects")
    victim = parquet_files(db_path)[0]
    if damage == "truncated":
        victim.write_bytes(victim.read_bytes()[:-100])
    else:
        victim.unlink()

    write_dumps(tmp_path / "more", 3)
    result = runner.invoke(app, ["ingest", str(tmp_path / "more"), "--db", str(db_path)])
    assert result.exit_code == Exit.FAILED
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and victim.name in errors[0] and "damaged" in errors[0]
    assert rows(db_path, "SELECT count(*) FROM rejects") == rejects_before
    checked = runner.invoke(app, ["check", "--db", str(db_path)])
    assert checked.exit_code == Exit.FAILED and checked.output.startswith("error:") and victim.name in checked.output


def flip_bytes(path: Path, start: int, count: int = 16) -> None:
    data = bytearray(path.read_bytes())
    for i in range(start, start + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.usefixtures("prefect_engine")
@pytest.mark.parametrize("where", ["data page", "parquet footer", "catalog page"])
def test_flipped_bytes_stop_the_run_and_no_input_is_blamed(db_path, tmp_path, where):
    write_dumps(tmp_path / "inputs", 30)
    assert runner.invoke(app, ["ingest", str(tmp_path / "inputs"), "--db", str(db_path)]).exit_code == Exit.OK
    before = rows(db_path, "SELECT (SELECT count(*) FROM rejects), (SELECT count(*) FROM articles)")
    comments_file = next(p for p in parquet_files(db_path) if p.parent.name == "comments")
    if where == "data page":
        flip_bytes(comments_file, comments_file.stat().st_size // 3)
    elif where == "parquet footer":
        flip_bytes(comments_file, comments_file.stat().st_size - 60, 8)
    else:  # the header of the catalog's third page (a table's b-tree), not the file header
        page_size = int.from_bytes(db_path.read_bytes()[16:18], "big")
        flip_bytes(db_path, 2 * page_size, 8)

    write_dumps(tmp_path / "more", 3)  # the same stories: their comments are read again
    result = runner.invoke(app, ["ingest", str(tmp_path / "more"), "--db", str(db_path)])
    assert result.exit_code == Exit.FAILED
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "damaged" in errors[0]
    assert "load_error" not in result.output
    if where != "catalog page":  # found by the check before loading, not by a failed load
        assert f"lake data file {comments_file}" in errors[0]
        assert rows(db_path, "SELECT (SELECT count(*) FROM rejects), (SELECT count(*) FROM articles)") == before


def test_an_unreadable_catalog_is_one_clear_line(tmp_path):
    catalog = tmp_path / "newsmon.sqlite"
    catalog.write_bytes(b"this is not a catalog" * 100)
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(catalog)])
    assert result.exit_code == Exit.USAGE  # not a catalog at all: a wrong --db, not a damaged lake
    assert result.output.startswith(f"error: --db {catalog} is not a SQLite database")
