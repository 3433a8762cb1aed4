"""Run the data checks of checks.toml: unique, not_null and references (foreign keys)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

import duckdb


@dataclass(frozen=True)
class CheckResult:
    table: str
    check: str  # e.g. "unique(article_id)"
    failing_rows: int

    @property
    def passed(self) -> bool:
        return self.failing_rows == 0


def declared_checks() -> dict:
    return tomllib.loads(resources.files("warehouse").joinpath("checks.toml").read_text(encoding="utf-8"))


def run_checks(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    results = []
    for table, checks in declared_checks().items():
        for columns in checks.get("unique", []):
            cols = [columns] if isinstance(columns, str) else columns
            key = ", ".join(cols)
            failing = con.execute(
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {table} "
                f"WHERE {' AND '.join(f'{c} IS NOT NULL' for c in cols)} GROUP BY {key} HAVING count(*) > 1)"
            ).fetchone()[0]
            results.append(CheckResult(table, f"unique({key})", int(failing)))
        for column in checks.get("not_null", []):
            failing = con.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NULL").fetchone()[0]
            results.append(CheckResult(table, f"not_null({column})", failing))
        for column, target in checks.get("references", {}).items():
            target_table, target_column = target.split(".")
            failing = con.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target_table} r WHERE r.{target_column} = t.{column})"
            ).fetchone()[0]
            results.append(CheckResult(table, f"references({column} -> {target})", failing))
    return results
