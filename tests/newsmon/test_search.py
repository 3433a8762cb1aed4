"""`newsmon search`: BM25 full-text search of a real lake in a temp dir, through the derived
fts index of warehouse/search.py, which follows the lake as batches commit."""

from __future__ import annotations

import json
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from extractors.records import ParsedComment, ParsedPage
from newsmon.cli import Exit, app
from warehouse import db
from warehouse.dedup import article_id_for, fingerprint_article
from warehouse.load import PageToLoad, load_batch
from warehouse.runs import record_run_start
from warehouse.search import index_path, search

runner = CliRunner()
FILLER = "The committee met on a grey morning and the minutes were read aloud to the room."


def page(slug: str, title: str, text: str, comments: tuple[str, ...] = ()) -> PageToLoad:
    url = f"https://news.example/{slug}"
    parsed = ParsedPage(
        source=url,
        text=text,
        extraction_method="trafilatura",
        title=title,
        url=url,
        comments=tuple(
            ParsedComment(position=n, depth=0, parent_position=None, text=t, author=f"reader{n}")
            for n, t in enumerate(comments)
        ),
    )
    return PageToLoad(parsed, fingerprint_article(url, title, text), "url")


def load(db_path: Path, *pages: PageToLoad, run_id: str = "run-1", now: datetime | None = None) -> None:
    """One batch, one commit: what a run's batch does to the lake."""
    with db.writer(db_path) as con:
        record_run_start(con, run_id, "ingest", {})
        load_batch(con, run_id, list(pages), [], now=now)


def ids(hits) -> list[str]:
    return [row[1] for row in hits.rows]


def article_id(slug: str) -> str:
    return article_id_for(f"https://news.example/{slug}", "")  # a page with a URL: from the URL


def test_the_document_with_more_of_the_terms_ranks_first(db_path):
    load(
        db_path,
        page("once", "Council notes", f"{FILLER} The tidal barrier was mentioned once. {FILLER}"),
        page("often", "Council notes", f"{FILLER} Barrier, barrier: the tidal barrier and its barriers. {FILLER}"),
        page("never", "Nothing here", f"{FILLER} {FILLER}"),
    )
    hits = search(db_path, "barrier")
    assert ids(hits) == [article_id("often"), article_id("once")]  # stemmed: `barriers` counts too
    assert hits.rows[0][0] > hits.rows[1][0] > 0
    assert hits.columns == ("score", "article_id", "title", "url", "snippet")
    assert hits.rows[0][3] == "https://news.example/often"
    assert "barrier" in hits.rows[1][4].lower() and len(hits.rows[1][4]) <= 170


def test_a_term_in_the_title_ranks_above_the_same_term_in_the_text(db_path):
    load(
        db_path,
        page("text", "Council notes", f"{FILLER} The harbour was mentioned. {FILLER}"),
        page("title", "Harbour notes", f"{FILLER} The quayside was mentioned. {FILLER}"),
    )
    assert ids(search(db_path, "harbour")) == [article_id("title"), article_id("text")]


def test_a_batch_loaded_after_a_search_is_found_by_the_next_one(db_path):
    load(db_path, page("first", "Storm", f"{FILLER} A storm came."))
    first = search(db_path, "zebra")
    assert first.rows == [] and first.rebuilt and index_path(db_path).is_file()
    assert not search(db_path, "storm").rebuilt  # nothing committed since: the index is current

    load(db_path, page("second", "Zebra crossing", f"{FILLER} A zebra crossing opened."), run_id="run-2")
    after = search(db_path, "zebra")
    assert after.rebuilt and after.snapshot_id > first.snapshot_id
    assert ids(after) == [article_id("second")]
    assert not search(db_path, "zebra").rebuilt
    assert not list(index_path(db_path).parent.glob("*.building"))  # no temporary file left behind


def test_comments_are_searched_by_their_text(db_path):
    load(
        db_path,
        page("a", "Budget vote", FILLER, comments=("The levy is too high for families.", "Nice weather.")),
        page("b", "Levy debate", f"{FILLER} The levy, the levy.", comments=("The levy again, levy levy.",)),
    )
    hits = search(db_path, "levy", comments=True)
    assert hits.columns == ("score", "comment_id", "article_id", "author", "url", "snippet")
    assert [(row[2], row[3], row[5]) for row in hits.rows] == [
        (article_id("b"), "reader0", "The levy again, levy levy."),
        (article_id("a"), "reader0", "The levy is too high for families."),
    ]
    assert hits.rows[0][4] == "https://news.example/b"  # the article's URL


def test_the_cli_formats_hits_and_binds_the_query_text(db_path):
    load(db_path, page("a", "Fire at the depot", f"{FILLER} Fire crews were called.", comments=("Fire!",)))
    result = runner.invoke(app, ["search", "fire", "--format", "json", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    [hit] = json.loads(result.stdout)
    assert hit["article_id"] == article_id("a") and hit["title"] == "Fire at the depot" and hit["score"] > 0

    comments = runner.invoke(app, ["search", "fire", "--comments", "-f", "csv", "--limit", "1", "--db", str(db_path)])
    assert comments.exit_code == 0, comments.output
    assert comments.stdout.splitlines()[0] == "score,comment_id,article_id,author,url,snippet"

    quoted = runner.invoke(app, ["search", "fire'); DROP TABLE articles; --", "--db", str(db_path)])
    assert quoted.exit_code == 0, quoted.output
    assert article_id("a") in quoted.stdout

    empty = runner.invoke(app, ["search", " ?! ", "--db", str(db_path)])
    assert empty.exit_code == Exit.USAGE and "error: nothing to search for" in empty.output

    missing = runner.invoke(app, ["search", "fire", "--db", str(db_path.parent / "nothing.sqlite")])
    assert missing.exit_code == Exit.USAGE and "error: no warehouse" in missing.output


def test_concurrent_searches_of_a_stale_index_build_it_once(db_path):
    load(db_path, *(page(f"p{i}", f"Story {i}", f"{FILLER} Harbour news, part {i}.") for i in range(20)))
    results, failures = [], []

    def one_search() -> None:
        try:
            results.append(search(db_path, "harbour", limit=5))
        except Exception as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=one_search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(r.rebuilt for r in results) == 1
    assert len({tuple(ids(r)) for r in results}) == 1 and len(ids(results[0])) == 5


def test_a_reader_of_the_old_index_keeps_reading_it_while_a_new_one_is_swapped_in(db_path):
    load(db_path, page("old", "Old storm", f"{FILLER} Storm."))
    search(db_path, "storm")
    old = db.session()
    try:
        old.execute(f"ATTACH '{index_path(db_path)}' AS old_index (READ_ONLY)")
        load(db_path, page("new", "New storm", f"{FILLER} Storm."), run_id="run-2")
        assert search(db_path, "storm").rebuilt
        assert old.execute("SELECT count(*) FROM old_index.articles").fetchone()[0] == 1
    finally:
        old.close()
    assert len(search(db_path, "storm").rows) == 2


def test_the_index_of_a_postgres_catalog_is_under_the_temp_dir_one_per_catalog():
    first = index_path("postgres:dbname=news host=db1")
    assert first.parent == Path(tempfile.gettempdir())
    assert first != index_path("postgres:dbname=news host=db2")
    assert index_path("data/newsmon.sqlite").name == "newsmon.search.duckdb"
