"""Every query README.md prints runs as printed: each statement of each ```sql block, and each
`scripts/newsmon …` reading command of the Querying section, through `newsmon` against a
warehouse loaded from the seeds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from tests.support.seeds import SEEDS_DIR

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()


def sql_statements(markdown: str) -> list[str]:
    """Each statement of each ```sql block, with the `--` comment lines above it."""
    parser = duckdb.connect()
    blocks = re.findall(r"^```sql\n(.*?)^```", markdown, re.DOTALL | re.MULTILINE)
    return [s.query.strip().rstrip(";") for block in blocks for s in parser.extract_statements(block)]


def querying_commands(markdown: str) -> list[list[str]]:
    """The arguments of every `scripts/newsmon` line in the Querying section's bash blocks,
    except those that need a file the reader writes first (`spam.sql`, `< file`)."""
    section = markdown.split("\n## Querying\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", section, re.DOTALL | re.MULTILINE):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["scripts/newsmon"] and "<" not in line and not any(w.endswith(".sql") for w in words):
                commands.append(words[1:])
    return commands


def test_the_readme_has_queries_to_check():
    markdown = README.read_text(encoding="utf-8")
    assert len(sql_statements(markdown)) >= 8
    assert {c[0] for c in querying_commands(markdown)} >= {"sql", "tables", "describe", "stats", "check"}
    assert sql_statements("```sql\n-- one\nSELECT 1;\n\n-- two\nSELECT 2;\n```\n") == [
        "-- one\nSELECT 1",
        "-- two\nSELECT 2",
    ]


@pytest.fixture(scope="module")
def seeded(prefect_engine, tmp_path_factory) -> Path:
    from flows.ingest import ingest

    db_path = tmp_path_factory.mktemp("readme") / "newsmon.sqlite"
    summary = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    assert summary.inputs_loaded == 2 and not summary.rejects
    return db_path


def _title(statement: str) -> str:
    return statement.splitlines()[0].removeprefix("-- ")[:60]


STATEMENTS = sql_statements(README.read_text(encoding="utf-8"))
COMMANDS = querying_commands(README.read_text(encoding="utf-8"))


@pytest.mark.parametrize("statement", STATEMENTS, ids=[_title(s) for s in STATEMENTS])
def test_each_readme_query_runs_as_printed(seeded, statement):
    """Pasted as is, leading `-- comment` line included."""
    result = runner.invoke(app, ["sql", statement, "--db", str(seeded)])
    assert result.exit_code == 0, result.output
    assert "┃" in result.stdout  # a table, with its header


@pytest.mark.parametrize("arguments", COMMANDS, ids=[" ".join(c)[:60] for c in COMMANDS])
def test_each_readme_command_runs_as_printed(seeded, arguments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --output files land here
    result = runner.invoke(app, [*arguments, "--db", str(seeded)])
    assert result.exit_code == 0, result.output
