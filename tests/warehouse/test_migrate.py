import duckdb
import pytest

from extractors.errors import MigrationError
from warehouse import db, migrate
from warehouse.migrate import apply_migrations, available_migrations


def test_migrations_apply_once_and_are_recorded_in_the_lake(tmp_path):
    catalog = tmp_path / "lake.sqlite"
    with db.writer(catalog) as con:  # a new lake: every migration applied on opening
        assert apply_migrations(con) == []  # safe to re-run
        recorded = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        assert recorded == [(m.version, m.name) for m in available_migrations()]
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"articles", "comments", "runs", "rejects", "sightings", "article_overview"} <= tables
    assert (tmp_path / "lake").is_dir()  # Parquet beside the SQLite catalog


def test_an_edited_applied_migration_is_refused(tmp_path, monkeypatch):
    with db.writer(tmp_path / "lake.sqlite") as con:
        original = available_migrations()
        edited = [migrate.Migration(m.version, m.name, m.sql + "\n-- edited") for m in original]
        monkeypatch.setattr(migrate, "available_migrations", lambda: edited)
        with pytest.raises(MigrationError, match="changed after it was applied"):
            apply_migrations(con)


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    with db.writer(tmp_path / "lake.sqlite") as con:
        broken = available_migrations() + [migrate.Migration(999, "broken", "CREATE TABLE half (x INT); SELECT nope;")]
        monkeypatch.setattr(migrate, "available_migrations", lambda: broken)
        with pytest.raises(duckdb.Error):
            apply_migrations(con)
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert "half" not in tables
        assert con.execute("SELECT count(*) FROM schema_migrations WHERE version = 999").fetchall() == [(0,)]
