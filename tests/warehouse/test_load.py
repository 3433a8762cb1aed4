"""Loading and deduplication against a real DuckDB file."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb
import pytest

from extractors.errors import StorageWriteFailed
from extractors.records import CrawlRecords, ParsedComment, ParsedPage, RejectRecord, UrlVisit
from tests.support.seeds import SEED_000
from tests.support.warehouse import file_size_limit
from warehouse import db
from warehouse.checks import run_checks
from warehouse.dedup import fingerprint_article
from warehouse.load import PageToLoad, load_batch, load_batch_without_refused_pages
from warehouse.runs import record_run_start

ARTICLE = SEED_000.read_text(encoding="utf-8").split("George Allison")[0]


def page(source: str, text: str = ARTICLE, title: str | None = None, comments=(), url=None) -> PageToLoad:
    parsed = ParsedPage(
        source=source, text=text, extraction_method="text_dump", title=title, comments=tuple(comments), url=url
    )
    return PageToLoad(parsed, fingerprint_article(url, title, text), "url" if url else "file")


def comment(position, text, parent=None, depth=0, spam=None):
    return ParsedComment(position=position, depth=depth, parent_position=parent, text=text, spam_reason=spam)


@pytest.fixture
def con(db_path):
    with db.writer(db_path) as connection:
        for run_id in ("run-1", "run-2", "run-3"):
            record_run_start(connection, run_id, "ingest", {})
        yield connection


def counts(con) -> dict[str, int]:
    tables = ["articles", "comments", "sightings", "rejects", "article_minhash", "article_lsh_buckets"]
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_exact_duplicates_are_one_article_with_a_sighting_per_input(con):
    result = load_batch(con, "run-1", [page("a.txt"), page("b.txt"), page("c.txt", ARTICLE.replace("  ", " "))], [])
    assert result.articles_new == 1 and result.articles_duplicate == 2
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    sources = [r[0] for r in con.execute("SELECT source FROM sightings ORDER BY source").fetchall()]
    assert sources == ["a.txt", "b.txt", "c.txt"]


def test_same_input_twice_changes_no_row_counts(con):
    batch = [page("a.txt", comments=[comment(0, "first"), comment(1, "reply", parent=0, depth=1)])]
    rejects = [RejectRecord("bad.txt", "parse", "empty", "file is empty", "e3b0")]
    load_batch(con, "run-1", batch, rejects)
    before = counts(con)
    again = load_batch(con, "run-2", batch, rejects)
    assert counts(con) == before
    assert again.articles_new == 0 and again.comments_new == 0 and again.comments_seen_again == 2
    assert con.execute("SELECT last_run_id FROM rejects").fetchone()[0] == "run-2"


def test_near_duplicate_is_its_own_article_linked_to_the_first_seen(con):
    edited = ARTICLE.replace("Healey", "Mr Healey").replace("Ukraine", "Kyiv", 2)
    load_batch(con, "run-1", [page("original.txt")], [])
    other = page("other.txt", "Completely different words about cats and gardens, nothing more.")
    result = load_batch(con, "run-2", [page("copy.txt", edited, title="A new headline"), other], [])
    assert result.articles_new == 2 and result.articles_near_duplicate == 1
    rows = dict(con.execute("SELECT source_file, duplicate_of FROM articles").fetchall())
    original_id = con.execute("SELECT article_id FROM articles WHERE source_file = 'original.txt'").fetchone()[0]
    assert rows["copy.txt"] == original_id
    assert rows["other.txt"] is None
    similarity = con.execute("SELECT similarity FROM articles WHERE source_file = 'copy.txt'").fetchone()[0]
    assert 0.7 <= similarity < 1.0
    assert con.execute("SELECT count(*) FROM near_duplicates").fetchone()[0] == 1


def test_near_duplicates_within_one_batch_are_linked_to_the_first_in_source_order(con):
    edited = ARTICLE.replace("Healey", "Mr Healey")
    # given copy first: the owner is still the first by URL (here: source), not by arrival
    load_batch(con, "run-1", [page("b-copy.txt", edited), page("a-original.txt")], [])
    original_id, copy_of = con.execute(
        "SELECT (SELECT article_id FROM articles WHERE source_file = 'a-original.txt'), "
        "(SELECT duplicate_of FROM articles WHERE source_file = 'b-copy.txt')"
    ).fetchone()
    assert copy_of == original_id


def test_the_same_text_from_several_urls_in_one_batch_gets_the_same_ids_in_any_order(tmp_path):
    def owners(order: list[str]) -> list[tuple]:
        path = tmp_path / f"{'-'.join(order)}.sqlite"
        pages = [page(f"{name}.txt", url=f"https://news.example/{name}") for name in order]
        with db.writer(path) as con:
            load_batch(con, "run-1", pages, [])
            assert con.execute("SELECT url FROM articles").fetchall() == [("https://news.example/a",)]
            return con.execute("SELECT source, article_id FROM sightings ORDER BY source").fetchall()

    forward = owners(["a", "b", "c"])
    assert forward == owners(["c", "a", "b"])
    assert len({article_id for _, article_id in forward}) == 1  # one article, seen three times


def test_reingest_with_more_comments_adds_only_the_new_ones(con):
    early = [comment(0, "first"), comment(1, "a reply", parent=0, depth=1)]
    later = early + [comment(2, "a second reply", parent=0, depth=1), comment(3, "new top level")]
    load_batch(con, "run-1", [page("snapshot-1.txt", comments=early)], [])
    result = load_batch(con, "run-2", [page("snapshot-2.txt", comments=later)], [])
    assert result.comments_new == 2 and result.comments_seen_again == 2
    assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_identical_comments_under_the_same_parent_are_stored_once(con):
    comments = [
        comment(0, "Great piece"),
        comment(1, "Agreed!", parent=0, depth=1),
        comment(2, "Agreed!", parent=0, depth=1),
        comment(3, "Agreed!"),
    ]
    result = load_batch(con, "run-1", [page("a.txt", comments=comments)], [])
    assert result.comments_new == 3  # the second "Agreed!" under the same parent is the same comment
    assert con.execute("SELECT count(*) FROM comments WHERE text = 'Agreed!'").fetchone()[0] == 2


def test_a_batch_the_database_refuses_leaves_nothing_of_it_behind(con):
    load_batch(con, "run-1", [page("a.txt", comments=[comment(0, "kept")])], [])
    before = counts(con) | {"urls": con.execute("SELECT count(*) FROM urls").fetchone()[0]}
    # The comment breaks comments.depth NOT NULL, written after the batch's article, sightings,
    # index rows and revision: all of those, the reject and the frontier row must go with it.
    refused = page(
        "b.txt",
        "A different story about harbour walls and winter tides.",
        comments=[comment(0, "no depth", depth=None)],
    )
    with pytest.raises(duckdb.ConstraintException):
        load_batch(
            con,
            "run-2",
            [refused],
            [RejectRecord("bad.txt", "parse", "empty", "file is empty")],
            crawl=CrawlRecords(visits=[UrlVisit("https://example.com/feed", "feed", "watchlist")]),
        )
    assert counts(con) | {"urls": con.execute("SELECT count(*) FROM urls").fetchone()[0]} == before
    assert con.execute("SELECT count(*) FROM article_revisions").fetchone()[0] == 1


def test_url_article_with_changed_text_is_updated_not_duplicated(con):
    url = "https://example.com/news/1"
    load_batch(con, "run-1", [page("u1", "First version of the story. " * 20, url=url)], [])
    result = load_batch(con, "run-2", [page("u1", "Second, corrected version of the story. " * 20, url=url)], [])
    assert result.articles_updated == 1 and result.articles_new == 0
    (text,) = con.execute("SELECT text FROM articles WHERE url = ?", [url]).fetchone()
    assert text.startswith("Second")
    revisions = con.execute(
        "SELECT revision, left(text, 6), words_added > 0, similarity_to_previous < 1 FROM article_revisions ORDER BY 1"
    ).fetchall()
    assert revisions == [(1, "First ", None, None), (2, "Second", True, True)]
    assert con.execute("SELECT revision FROM edited_articles").fetchall() == [(2,)]
    load_batch(con, "run-3", [page("u1", "Second, corrected version of the story. " * 20, url=url)], [])
    assert con.execute("SELECT count(*) FROM article_revisions").fetchone()[0] == 2  # unchanged: no revision


def test_data_checks_pass_after_loads_and_catch_an_orphan(con):
    load_batch(con, "run-1", [page("a.txt", comments=[comment(0, "x"), comment(1, "y", parent=0, depth=1)])], [])
    assert all(r.passed for r in run_checks(con))
    con.execute("UPDATE comments SET parent_id = 'nope' WHERE text = 'y'")
    failed = [r.check for r in run_checks(con) if not r.passed]
    assert failed == ["references(parent_id -> comments.comment_id)"]


def test_a_later_snapshot_adds_new_comments_and_marks_vanished_ones_removed(con):
    first = [comment(0, "first"), comment(1, "rude remark", parent=0, depth=1), comment(2, "second")]
    later = [comment(0, "first"), comment(1, "second"), comment(2, "third, new")]
    load_batch(con, "run-1", [page("snapshot-1.txt", comments=first)], [])
    result = load_batch(con, "run-2", [page("snapshot-2.txt", comments=later)], [])
    assert result.comments_new == 1
    rows = dict(con.execute("SELECT text, removed_at IS NOT NULL FROM comments").fetchall())
    assert rows == {"first": False, "rude remark": True, "second": False, "third, new": False}
    history = con.execute(
        "SELECT snapshot_number, comments_present, change_present FROM comment_count_history ORDER BY 1"
    ).fetchall()
    assert history == [(1, 3, None), (2, 3, 0)]
    # the first snapshot again: the remark is back, nothing is added twice
    again = load_batch(con, "run-3", [page("snapshot-1.txt", comments=first)], [])
    assert again.comments_new == 0
    assert con.execute("SELECT removed_at FROM comments WHERE text = 'rude remark'").fetchone()[0] is None
    assert con.execute("SELECT count(*) FROM comment_snapshots").fetchone()[0] == 2


def test_a_snapshot_without_comments_marks_nothing_removed(con):
    load_batch(con, "run-1", [page("with.txt", comments=[comment(0, "kept")])], [])
    load_batch(con, "run-2", [page("without.txt")], [])
    assert con.execute("SELECT removed_at FROM comments").fetchone()[0] is None


def test_page_comment_ids_make_stable_comment_ids(con):
    html_comment = ParsedComment(position=0, depth=0, parent_position=None, text="v1", page_comment_id="comment-7")
    edited = ParsedComment(position=0, depth=0, parent_position=None, text="v1 (edited)", page_comment_id="comment-7")
    load_batch(con, "run-1", [page("a.html", comments=[html_comment])], [])
    result = load_batch(con, "run-2", [page("a.html", comments=[edited])], [])
    assert result.comments_new == 0
    assert con.execute("SELECT page_comment_id, kind FROM comments").fetchall() == [("comment-7", "comment")]


def test_the_same_long_comment_under_many_articles_is_flagged_as_a_campaign(con):
    campaign = "Visit my profile to learn how I doubled my savings in a single month, truly life changing."
    pages = [
        page(
            f"a{i}.txt",
            f"Article {i} is about topic number {i} and nothing else at all.",
            comments=[comment(0, campaign), comment(1, "Agreed!")],
        )
        for i in range(3)
    ]
    load_batch(con, "run-1", pages[:2], [])
    assert con.execute("SELECT count(*) FROM comments WHERE is_spam").fetchone()[0] == 0  # two articles: not yet
    load_batch(con, "run-2", pages[2:], [])
    flagged = con.execute("SELECT DISTINCT text, spam_reason FROM comments WHERE is_spam").fetchall()
    assert flagged == [(campaign, "repeated_across_articles")]
    load_batch(con, "run-3", pages, [])  # idempotent: the reason is not appended twice
    assert con.execute("SELECT DISTINCT spam_reason FROM comments WHERE is_spam").fetchall() == [
        ("repeated_across_articles",)
    ]


def test_a_comment_repeated_only_on_copies_of_one_article_is_not_a_campaign(con):
    shared = "This is the third time the ministry has promised a decision before the summer recess."
    copies = [
        page("a-original.txt", comments=[comment(0, shared)]),
        page("b-copy.txt", ARTICLE.replace("Healey", "Mr Healey"), comments=[comment(0, shared)]),
        page("c-copy.txt", ARTICLE.replace("Ukraine", "Kyiv", 2), comments=[comment(0, shared)]),
        page("d-other.txt", "A different story about the harbour ferry timetable.", comments=[comment(0, shared)]),
    ]
    load_batch(con, "run-1", copies, [])
    clusters = con.execute("SELECT count(DISTINCT coalesce(duplicate_of, article_id)) FROM articles").fetchone()[0]
    assert (con.execute("SELECT count(*) FROM articles").fetchone()[0], clusters) == (4, 2)
    assert con.execute("SELECT count(*) FROM comments WHERE is_spam").fetchone()[0] == 0  # four articles, two stories

    third = page("e-third.txt", "Council tax bands are to be revalued in the spring.", comments=[comment(0, shared)])
    load_batch(con, "run-2", [third], [])
    assert con.execute("SELECT DISTINCT spam_reason FROM comments").fetchall() == [("repeated_across_articles",)]


def test_the_page_date_text_is_stored_beside_the_date(con):
    stated = ParsedComment(
        position=0,
        depth=0,
        parent_position=None,
        text="Good news for the valley.",
        author="Rolf Buckpesch",
        published_at=datetime(2020, 7, 29, 12, 56),
        published_raw="29.07.2020 // 12:56",
    )
    load_batch(con, "run-1", [page("a.txt", comments=[stated])], [])
    assert con.execute("SELECT author, published_at, published_raw FROM comments").fetchall() == [
        ("Rolf Buckpesch", datetime(2020, 7, 29, 12, 56), "29.07.2020 // 12:56")
    ]


def test_a_full_disk_fails_the_whole_batch_and_keeps_nothing_of_it(con):
    load_batch(con, "run-1", [page("a.txt")], [])
    before = counts(con)
    batch = [page(f"p{i}.txt", f"{ARTICLE} Story number {i} of the day, told again.") for i in range(40)]
    with file_size_limit(32 * 1024), pytest.raises(StorageWriteFailed, match="nothing of this batch was kept"):
        load_batch_without_refused_pages(con, "run-2", batch, [])
    assert counts(con) == before
    counts_after, refused = load_batch_without_refused_pages(con, "run-3", batch, [])  # room again
    assert counts_after.articles_new == 40 and refused == []


def test_a_page_the_database_refuses_is_found_without_committing_pages_one_by_one(con):
    good = [page(f"p{i}.txt", f"{ARTICLE} Story number {i}.") for i in range(3)]
    refused_page = PageToLoad(
        replace(good[1].page, source="huge.txt", comment_count_stated=12_345_678_901),
        good[1].fingerprint,
        "file",
    )
    snapshots = con.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0]
    loaded, refused = load_batch_without_refused_pages(con, "run-1", [good[0], refused_page, good[2]], [])
    assert [(r.source, r.reason) for r in refused] == [("huge.txt", "load_error")]
    assert loaded.articles_new == 2
    assert con.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0] == snapshots + 1  # one commit
