"""The real `ingest` flow on the real Prefect engine, into a DuckDB file in a temp dir."""

from __future__ import annotations

import os
import shutil

import pytest

from extractors.lineage import EXTRACTOR_VERSION
from flows.ingest import ingest
from tests.support.artifacts import run_summary_markdown
from tests.support.seeds import SEED_000, SEED_003, SEEDS_DIR
from tests.support.warehouse import execute, table_counts
from warehouse import db
from warehouse.checks import run_checks

pytestmark = pytest.mark.usefixtures("prefect_engine")


def test_seeds_load_with_their_known_answers(db_path):
    summary = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    assert summary.inputs_seen == 2 and not summary.rejects
    with db.reader(db_path) as con:
        article = con.execute(
            "SELECT article_id, title, author, comment_count_stated, language, text FROM articles "
            "WHERE source_file LIKE '%000_b3c46d5755a19dff.txt'"
        ).fetchone()
        article_id, title, author, stated, language, text = article
        assert (title, author, stated, language) == (None, "George Allison", 62, "en")
        assert text.endswith("that was exactly the subject of our conversations,” he said.")
        depths = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE depth = 0), max(depth), count(*) FILTER (WHERE is_spam) "
            "FROM comments WHERE article_id = ?",
            [article_id],
        ).fetchone()
        assert depths == (42, 12, 4, 3)
        assert con.execute("SELECT count(*) FROM comments WHERE is_spam AND spam_reason IS NULL").fetchone()[0] == 0
        title_003 = con.execute(
            "SELECT title FROM articles WHERE source_file LIKE '%003_5aa4fa2d1d728a8d.txt'"
        ).fetchone()[0]
        assert title_003 == "UK-France Move Toward a New Security Pact Amid Russia Threats"
        run = con.execute("SELECT status, inputs_seen, articles_new, comments_new, comments_spam FROM runs").fetchall()
        assert run == [("completed", 2, 2, 42, 3)]
        assert all(r.passed for r in run_checks(con))


def test_running_the_same_input_twice_changes_nothing(db_path):
    ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    first = table_counts(db_path)
    second_run = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    assert table_counts(db_path) == first
    assert (second_run.inputs_unchanged, second_run.inputs_loaded, second_run.counts.articles_duplicate) == (2, 2, 0)
    # read and parsed again on request: known articles, still no new rows
    reread = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path), reread=True)
    assert table_counts(db_path) == first
    assert (reread.inputs_unchanged, reread.counts.articles_new, reread.counts.articles_duplicate) == (0, 0, 2)
    with db.reader(db_path) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0] == 3


def _read_states(db_path) -> dict[str, tuple]:
    with db.reader(db_path) as con:
        rows = con.execute("SELECT source, mtime_ns, content_sha256, run_id FROM input_states").fetchall()
    return {source.rsplit("/", 1)[-1]: rest for source, *rest in rows}


def test_an_unchanged_file_is_skipped_and_a_changed_one_read_again(db_path, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(SEEDS_DIR, inputs)
    first = ingest(paths=[str(inputs)], db_path=str(db_path))
    before = _read_states(db_path)
    assert set(before) == {SEED_000.name, SEED_003.name}
    touched, edited = inputs / SEED_003.name, inputs / SEED_000.name
    os.utime(touched, ns=(1, 1))  # same bytes, another mtime: hashed, not parsed
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("the subject of our conversations", "the subject of our talks"), encoding="utf-8")
    second = ingest(paths=[str(inputs)], db_path=str(db_path))
    after = _read_states(db_path)
    # a dump has no URL to hold revisions: its new text is a near-duplicate of the old
    assert second.inputs_unchanged == 1 and second.counts.articles_near_duplicate == 1
    assert after[touched.name][0] != before[touched.name][0] and after[touched.name][1] == before[touched.name][1]
    assert after[edited.name][1] != before[edited.name][1]
    assert {run for _, _, run in after.values()} == {second.run_id} != {first.run_id}


def test_files_read_by_other_extractors_are_read_again(db_path):
    ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    execute(db_path, "UPDATE input_states SET extractor_version = 'newsmon-extractors 0'")
    again = ingest(paths=[str(SEEDS_DIR)], db_path=str(db_path))
    assert (again.inputs_unchanged, again.counts.articles_duplicate) == (0, 2)
    with db.reader(db_path) as con:
        versions = con.execute("SELECT DISTINCT extractor_version FROM input_states").fetchall()
    assert versions == [(EXTRACTOR_VERSION,)]


def test_empty_and_binary_files_are_rejected_while_the_rest_loads(db_path, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(SEED_003, inputs)
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (inputs / "report.pdf").write_bytes(b"%PDF-1.7 ...")
    summary = ingest(paths=[str(inputs), str(tmp_path / "missing.txt")], db_path=str(db_path))
    assert summary.inputs_seen == 5 and summary.inputs_loaded == 1
    with db.reader(db_path) as con:
        rejects = dict(con.execute("SELECT regexp_extract(source, '[^/]+$'), reason FROM rejects").fetchall())
        assert rejects == {
            "empty.txt": "empty",
            "binary.txt": "binary",
            "report.pdf": "unsupported_type",
            "missing.txt": "not_found",
        }
        assert con.execute("SELECT count(*) FROM rejects WHERE detail = ''").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert con.execute("SELECT status, rejects FROM runs").fetchone() == ("completed_with_rejects", 4)


def test_small_batches_load_the_same_rows_as_one_batch(db_path, tmp_path):
    one = tmp_path / "one.sqlite"
    ingest(paths=[str(SEEDS_DIR)], db_path=str(one), batch_size=100)
    ingest(paths=[str(SEED_000), str(SEED_003)], db_path=str(db_path), batch_size=1)
    assert table_counts(db_path) == table_counts(one)


def test_summary_artifact_is_published(db_path):
    summary = ingest(paths=[str(SEED_003)], db_path=str(db_path))
    assert run_summary_markdown(summary.run_id).startswith(f"# newsmon ingest run `{summary.run_id}`")


def test_a_later_html_snapshot_adds_new_comments_and_marks_removed_ones(db_path, tmp_path):
    from pathlib import Path

    page = (Path(__file__).parents[1] / "extractors" / "pages" / "wordpress_article.html").read_text()
    new_comment = (
        '<li id="comment-104" class="comment depth-1"><article id="div-comment-104" class="comment-body">'
        '<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Spam Bot</b></div>'
        '<div class="comment-metadata"><time datetime="2025-03-16T10:00:00+00:00">16 March</time></div></footer>'
        '<div class="comment-content"><p>I make $220 an hour working from home! HERE → 𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦</p>'
        '</div></article></li>\n</ol>\n<div id="respond"'
    )
    start = page.index('<li id="comment-103"')
    end = page.index("</li>", start) + len("</li>")
    later = (page[:start] + page[end:]).replace('</ol>\n<div id="respond"', new_comment, 1)
    first_dir, later_dir = tmp_path / "day1", tmp_path / "day2"
    first_dir.mkdir(), later_dir.mkdir()
    (first_dir / "page.html").write_text(page)
    (later_dir / "page.html").write_text(later)

    ingest(paths=[str(first_dir)], db_path=str(db_path))
    second = ingest(paths=[str(later_dir)], db_path=str(db_path))
    assert second.counts.articles_new == 0 and second.counts.comments_new == 1
    with db.reader(db_path) as con:
        rows = con.execute(
            "SELECT page_comment_id, removed_at IS NOT NULL, is_spam, extraction_method FROM comments ORDER BY 1"
        ).fetchall()
        assert rows == [
            ("comment-101", False, False, "wordpress"),
            ("comment-102", False, False, "wordpress"),
            ("comment-103", True, False, "wordpress"),
            ("comment-104", False, True, "wordpress"),
        ]
        assert con.execute("SELECT comments_status, url FROM articles").fetchone() == (
            "wordpress",
            "https://coastal-courier.example/2025/03/harbour-flood-barrier/",
        )
        history = con.execute("SELECT comments_present FROM comment_count_history ORDER BY snapshot_number").fetchall()
        assert history == [(3,), (3,)]


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_page_the_database_refuses_costs_only_that_page(db_path, tmp_path, batch_size):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(SEED_000, inputs)
    # A stated comment count past articles.comment_count_stated (INTEGER): the page parses,
    # the database cannot hold it.
    (inputs / SEED_003.name).write_bytes(SEED_003.read_bytes().rstrip() + b"\n\n12,345,678,901 COMMENTS\n")
    summary = ingest(paths=[str(inputs)], db_path=str(db_path), batch_size=batch_size)
    assert summary.counts.articles_new == 1 and summary.counts.comments_new == 42
    with db.reader(db_path) as con:
        rejects = con.execute("SELECT regexp_extract(source, '[^/]+$'), stage, reason, detail FROM rejects").fetchall()
        assert [r[:3] for r in rejects] == [(SEED_003.name, "load", "load_error")]
        assert "articles" in rejects[0][3] and "12345678901" in rejects[0][3]
        assert con.execute("SELECT count(*) FROM articles WHERE source_file LIKE '%003_%'").fetchone()[0] == 0
        assert con.execute("SELECT status FROM runs").fetchone() == ("completed_with_rejects",)


def test_a_process_pool_extracts_large_inputs_into_the_same_rows(db_path, tmp_path, monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    from flows.parallel import MIN_FILES_FOR_POOL
    from tests.support.dumps import write_dumps

    class WatchedPool(ProcessPoolExecutor):
        """The real pool, counting the files it was given."""

        files_mapped = 0

        def map(self, fn, *iterables, **kwargs):
            items = list(iterables[0])
            WatchedPool.files_mapped += len(items)
            return super().map(fn, items, *iterables[1:], **kwargs)

    monkeypatch.setattr("flows.parallel.ProcessPoolExecutor", WatchedPool)
    inputs = tmp_path / "inputs"
    write_dumps(inputs, MIN_FILES_FOR_POOL + 10)
    (inputs / "empty.txt").write_bytes(b"")
    monkeypatch.setenv("NEWSMON_EXTRACT_PROCESSES", "1")
    in_process = ingest(paths=[str(inputs)], db_path=str(tmp_path / "one.sqlite"), batch_size=20)
    assert WatchedPool.files_mapped == 0
    monkeypatch.setenv("NEWSMON_EXTRACT_PROCESSES", "2")
    pooled = ingest(paths=[str(inputs)], db_path=str(db_path), batch_size=20)
    assert WatchedPool.files_mapped == MIN_FILES_FOR_POOL + 11  # every file went through the pool
    assert pooled.counts == in_process.counts and pooled.counts.articles_new == MIN_FILES_FOR_POOL + 10
    assert [r.reason for r in pooled.rejects] == ["empty"]
    assert table_counts(db_path) == table_counts(tmp_path / "one.sqlite")


def test_every_flow_parameter_is_described_with_its_limits_in_the_deployment_schema():
    """What the Prefect UI's run form and `prefect deploy` show (flows/maintain.py too)."""
    from pathlib import Path

    from prefect.utilities.callables import parameter_schema, parameter_schema_from_entrypoint

    import flows.ingest
    import flows.maintain

    for module, name in ((flows.ingest, "ingest"), (flows.maintain, "maintain")):
        from_source = parameter_schema_from_entrypoint(f"{module.__file__}:{name}")  # as `prefect deploy` reads it
        for schema in (parameter_schema(getattr(module, name)), from_source):
            undescribed = [p for p, spec in schema.properties.items() if not spec.get("description")]
            assert undescribed == [], f"{Path(module.__file__).name}: {undescribed}"
    ingest_limits = parameter_schema(ingest).properties
    assert ingest_limits["batch_size"]["anyOf"][0]["minimum"] == 1
    assert ingest_limits["max_minutes"]["anyOf"][0]["exclusiveMinimum"] == 0
    assert ingest_limits["paths"]["anyOf"][0]["minItems"] == 1
    assert parameter_schema(flows.maintain.maintain).properties["history_days"]["anyOf"][0]["minimum"] == 0
