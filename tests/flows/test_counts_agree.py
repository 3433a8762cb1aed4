"""One definition of "articles new": every new `articles` row, near-duplicates included and also
counted on their own. The batch log line, the summary table, the artifact and the `runs` row
give the same numbers."""

from __future__ import annotations

import logging
import shutil

import pytest

from flows.ingest import ingest
from tests.support.artifacts import run_summary_markdown
from tests.support.seeds import SEED_000, SEED_003
from tests.support.warehouse import rows

pytestmark = pytest.mark.usefixtures("prefect_engine")


def test_new_articles_are_one_number_in_the_log_the_summary_the_artifact_and_runs(db_path, tmp_path, caplog):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(SEED_000, inputs)
    shutil.copy(SEED_003, inputs)
    # a dump has no URL to hold revisions: an edited copy is a near-duplicate, a new row linked to the first
    text = SEED_000.read_text(encoding="utf-8")
    edited = text.replace("the subject of our conversations", "the subject of our talks")
    (inputs / "000_edited.txt").write_text(edited, encoding="utf-8")

    with caplog.at_level(logging.INFO):
        summary = ingest(paths=[str(inputs)], db_path=str(db_path))

    table = dict(summary.rows())
    [(runs_new, runs_near)] = rows(db_path, "SELECT articles_new, articles_near_duplicate FROM runs")
    [(stored, linked)] = rows(db_path, "SELECT count(*), count(duplicate_of) FROM articles")
    assert (stored, linked) == (3, 1)
    assert table["articles new"] == runs_new == stored
    assert table["articles new that are near-duplicates (linked)"] == runs_near == linked
    [batch_line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("batch ")]
    assert "3 new articles (1 near-duplicates)" in batch_line
    markdown = run_summary_markdown(summary.run_id)
    assert markdown.startswith(f"# newsmon ingest run `{summary.run_id}`")
    assert "| articles new | 3 |" in markdown and "| articles new that are near-duplicates (linked) | 1 |" in markdown
    [(runs_rejects,)] = rows(db_path, "SELECT rejects FROM runs")
    assert runs_rejects == table["rejects"] == 0
