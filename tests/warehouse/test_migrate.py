import duckdb
import pytest

from extractors.errors import MigrationError
from warehouse import migrate
from warehouse.migrate import apply_migrations, available_migrations


def test_migrations_apply_once_and_are_recorded(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    applied = apply_migrations(con)
    assert applied == [m.version for m in available_migrations()]
    assert apply_migrations(con) == []  # safe to re-run
    recorded = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert recorded == [(m.version, m.name) for m in available_migrations()]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"articles", "comments", "runs", "rejects", "sightings", "article_overview"} <= tables


def test_an_edited_applied_migration_is_refused(tmp_path, monkeypatch):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    apply_migrations(con)
    original = available_migrations()
    edited = [migrate.Migration(m.version, m.name, m.sql + "\n-- edited") for m in original]
    monkeypatch.setattr(migrate, "available_migrations", lambda: edited)
    with pytest.raises(MigrationError, match="changed after it was applied"):
        apply_migrations(con)


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    broken = available_migrations() + [migrate.Migration(999, "broken", "CREATE TABLE half (x INT); SELECT nope;")]
    monkeypatch.setattr(migrate, "available_migrations", lambda: broken)
    with pytest.raises(duckdb.Error):
        apply_migrations(con)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "half" not in tables
    assert con.execute("SELECT count(*) FROM schema_migrations WHERE version = 999").fetchone()[0] == 0
