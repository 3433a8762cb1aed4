"""Per-site columns, lineage, near-duplicate clusters counted once, and extraction quality
watched per site, on a real DuckLake loaded through `warehouse.load`."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from extractors.records import ParsedComment, ParsedPage, RejectRecord
from tests.support.seeds import SEED_000
from warehouse import db, migrate
from warehouse.articles import fill_missing_sites
from warehouse.checks import run_checks
from warehouse.dedup import fingerprint_article
from warehouse.load import PageToLoad, load_batch
from warehouse.runs import record_run_start
from warehouse.site_quality import flagged_sites, record_site_quality
from warehouse.sites import url_host, url_site
from warehouse.timeutil import utc_now

ARTICLE = SEED_000.read_text(encoding="utf-8").split("George Allison")[0]
# A light edit of ARTICLE under another headline: a near-duplicate copy (similarity ≥ 0.7).
EDITED = ARTICLE.replace("Healey", "Mr Healey").replace("Ukraine", "Kyiv", 2)
VOCABULARY = (
    "council harbour barrier budget school meals rail timetable library bridge repairs market square river "
    "bus fares festival housing plan ward residents mayor vote agenda committee report funding road park "
    "museum tram station police fire hospital clinic water energy waste recycling planning permit"
)


def page(url: str | None, text: str, *, source: str | None = None, comments=(), **fields) -> PageToLoad:
    parsed = ParsedPage(
        source=source or url or "dump.txt",
        text=text,
        extraction_method="trafilatura",
        url=url,
        comments=tuple(comments),
        **fields,
    )
    return PageToLoad(parsed, fingerprint_article(url, fields.get("title"), text), "url" if url else "file")


def comment(position: int, author: str, text: str, spam: str | None = None) -> ParsedComment:
    return ParsedComment(position=position, depth=0, parent_position=None, text=text, author=author, spam_reason=spam)


def words(count: int, seed: int) -> str:
    """A text of `count` words no other seed's text nearly copies."""
    rng, vocabulary = random.Random(seed), VOCABULARY.split()
    return " ".join(f"{rng.choice(vocabulary)}{rng.randrange(1000)}" for _ in range(count))


@pytest.fixture
def con(db_path):
    with db.writer(db_path) as connection:
        for run_id in ("run-1", "run-2"):
            record_run_start(connection, run_id, "ingest", {})
        yield connection


def failed_checks(con) -> list[str]:
    return [f"{r.table}: {r.check}" for r in run_checks(con) if not r.passed]


# --- site, host and lineage on load ------------------------------------------------------


def test_site_and_host_and_lineage_are_stored_on_load(con):
    published = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    load_batch(
        con,
        "run-1",
        [
            page(
                "https://news.bbc.co.uk/politics/story-1",
                words(200, 1),
                title="One",
                published_at=published,
                extractor_version="trafilatura 2.3.1",
                date_source="json-ld",
            ),
            page("https://www.example.com/a", words(200, 2), title="Two", extractor_version="trafilatura 2.3.1"),
            page("https://sport.regional.example.com/b", words(200, 3), title="Three"),
            page(None, words(200, 4), source="/dumps/four.txt", extractor_version="newsmon text_dump 2"),
        ],
        [],
    )
    stored = con.execute(
        "SELECT coalesce(url, source_file), host, site, extractor_version, date_source FROM articles ORDER BY 1"
    ).fetchall()
    assert stored == [
        ("/dumps/four.txt", None, None, "newsmon text_dump 2", None),
        ("https://news.bbc.co.uk/politics/story-1", "news.bbc.co.uk", "bbc.co.uk", "trafilatura 2.3.1", "json-ld"),
        ("https://sport.regional.example.com/b", "sport.regional.example.com", "example.com", None, None),
        ("https://www.example.com/a", "www.example.com", "example.com", "trafilatura 2.3.1", None),
    ]
    assert failed_checks(con) == []


def test_a_revision_keeps_the_lineage_of_the_text_it_shows(con):
    url = "https://news.bbc.co.uk/politics/story-1"
    load_batch(con, "run-1", [page(url, words(200, 1), extractor_version="trafilatura 2.3.0", date_source="meta")], [])
    load_batch(con, "run-2", [page(url, words(200, 9), extractor_version="trafilatura 2.3.1", date_source="url")], [])
    assert con.execute("SELECT extractor_version, date_source, site FROM articles").fetchall() == [
        ("trafilatura 2.3.1", "url", "bbc.co.uk")
    ]


def test_comments_record_the_extractor_version_of_their_page(con):
    load_batch(
        con,
        "run-1",
        [
            page(
                "https://www.example.com/a",
                words(200, 2),
                comments=[comment(0, "Ann", "First!")],
                extractor_version="v7",
            )
        ],
        [],
    )
    assert con.execute("SELECT extractor_version FROM comments").fetchall() == [("v7",)]


def test_old_rows_get_their_host_from_the_migration_and_their_site_once_after_it(db_path, monkeypatch):
    urls = [
        "https://news.bbc.co.uk/politics/1",
        "http://User@WWW.Example.COM:8080/a?b=c",
        "http://[::1]:8000/x",
        "https://foo.blogspot.com/post",
    ]
    before_sites = [m for m in migrate.available_migrations() if m.version < 15]
    with monkeypatch.context() as patch:
        patch.setattr(migrate, "available_migrations", lambda: before_sites)
        with db.writer(db_path) as con:
            for number, url in enumerate(urls):
                con.execute(
                    """INSERT INTO articles (article_id, url, text, word_count, content_hash, extraction_method,
                                             first_seen_at, last_seen_at, first_run_id, last_run_id)
                       VALUES (?, ?, 'text', 1, ?, 'trafilatura', now(), now(), 'old', 'old')""",
                    [f"a{number}", url, f"h{number}"],
                )
            con.execute(
                """INSERT INTO articles (article_id, source_file, text, word_count, content_hash, extraction_method,
                                         first_seen_at, last_seen_at, first_run_id, last_run_id)
                   VALUES ('dump', '/d/x.txt', 'text', 1, 'hd', 'text_dump', now(), now(), 'old', 'old')"""
            )
    with db.writer(db_path) as con:  # migrations 015 and 016 apply now
        hosts = con.execute("SELECT url, host, site FROM articles ORDER BY article_id").fetchall()
        assert hosts == [(url, url_host(url), None) for url in urls] + [(None, None, None)]
        assert fill_missing_sites(con) == len(urls)
        sites = con.execute("SELECT url, site FROM articles WHERE url IS NOT NULL ORDER BY article_id").fetchall()
        assert sites == [(url, url_site(url)) for url in urls]
        assert [s for _, s in sites] == ["bbc.co.uk", "example.com", "::1", "foo.blogspot.com"]
        con.execute("UPDATE articles SET site = NULL")
        assert fill_missing_sites(con) == 0  # recorded: done once
        assert con.execute("SELECT name, rows_filled FROM data_backfills").fetchall() == [("articles.site", 4)]


# --- clusters: near-duplicate copies count their comments once ------------------------------


def test_copies_carrying_the_same_comments_count_them_once(con):
    shared = [
        comment(0, "Ann", "The barrier should have been built years ago, frankly."),
        comment(1, "Bob", "Easy money from home, message me now", spam="earnings_offer"),
        comment(2, "Ann", "Agreed."),
    ]
    load_batch(con, "run-1", [page("https://news.bbc.co.uk/1", ARTICLE, title="Original", comments=shared)], [])
    load_batch(
        con,
        "run-2",
        [
            page(
                "https://www.herald.co.uk/copy",
                EDITED,
                title="A copy",
                comments=[*shared, comment(3, "Cy", "Only here.")],
            ),
            page(
                "https://www.example.com/other", words(300, 5), title="Other", comments=[comment(0, "Ann", "Agreed.")]
            ),
        ],
        [],
    )
    original, copy, other = (
        con.execute("SELECT article_id FROM articles WHERE url = ?", [url]).fetchall()[0][0]
        for url in ("https://news.bbc.co.uk/1", "https://www.herald.co.uk/copy", "https://www.example.com/other")
    )
    assert con.execute("SELECT duplicate_of FROM articles WHERE article_id = ?", [copy]).fetchall() == [(original,)]

    overview = {
        row[0]: row[1:]
        for row in con.execute(
            """SELECT article_id, cluster_id, comments_loaded, comments_spam, comments_on_page, site
               FROM article_overview"""
        ).fetchall()
    }
    assert overview[original] == (original, 3, 1, 3, "bbc.co.uk")
    assert overview[copy] == (original, 1, 0, 4, "herald.co.uk")  # only "Only here." is its own
    assert overview[other] == (other, 1, 0, 1, "example.com")
    assert con.execute("SELECT sum(comments_loaded) FROM article_overview").fetchall() == [(5,)]

    assert con.execute("SELECT cluster_id, title, members, member_ids, sites, comments FROM clusters").fetchall() == [
        (original, "Original", 2, [original, copy], ["bbc.co.uk", "herald.co.uk"], 4)
    ]

    commenters = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT author, comments, articles, clusters, sites, comments_spam, spam_share FROM top_commenters"
        ).fetchall()
    }
    assert commenters["Ann"] == (3, 3, 2, 3, 0, 0.0)  # 2 on the story (not 4: the copy repeats them) + 1
    assert commenters["Bob"] == (1, 2, 1, 2, 1, 1.0)
    assert commenters["Cy"] == (1, 1, 1, 1, 0, 0.0)

    days = con.execute(
        "SELECT site, articles, comments, spam_share, comments_share FROM site_overview ORDER BY site"
    ).fetchall()
    assert days == [
        ("bbc.co.uk", 1, 3, 0.333, 1.0),
        ("example.com", 1, 1, 0.0, 1.0),
        ("herald.co.uk", 1, 1, 0.0, 1.0),
    ]
    assert failed_checks(con) == []


# --- extraction quality per site -------------------------------------------------------------


def test_each_run_records_its_extraction_quality_per_site(con):
    published = datetime(2026, 11, 20, tzinfo=UTC)
    load_batch(
        con,
        "run-1",
        [
            page(
                "https://a.news.co.uk/1",
                words(100, 1),
                title="T1",
                author="Kim",
                published_at=published,
                comments=[comment(0, "Ann", "Hello there")],
            ),
            page("https://b.news.co.uk/2", words(300, 2), title="T2"),
            page("https://www.other.com/3", words(50, 3)),
        ],
        [
            RejectRecord("https://www.other.com/empty", "extract", "no_article_text", "no text"),
            RejectRecord("https://www.other.com/gone", "fetch", "http_status", "404"),  # not extraction
            RejectRecord("/files/bad.html", "parse", "binary", "binary"),  # a file: no site
        ],
    )
    assert record_site_quality(con, "run-1") == 2
    assert record_site_quality(con, "run-1") == 2  # again: the same rows, not twice as many
    rows = con.execute(
        """SELECT site, day, pages, rejects, median_words, title_share, author_share, date_share, comments_share,
                  reject_share
           FROM site_quality WHERE run_id = 'run-1' ORDER BY site"""
    ).fetchall()
    today = utc_now().date()
    assert rows == [
        ("news.co.uk", today, 2, 0, 200.0, 1.0, 0.5, 0.5, 0.5, 0.0),
        ("other.com", today, 1, 1, 50.0, 0.0, 0.0, 0.0, 0.0, 0.5),
    ]

    # run 2 sees one known page unchanged (an earlier extraction's values) and one new page
    load_batch(
        con,
        "run-2",
        [page("https://b.news.co.uk/2", words(300, 2), title="T2"), page("https://c.news.co.uk/4", words(80, 4))],
        [],
    )
    record_site_quality(con, "run-2")
    assert con.execute("SELECT site, pages, median_words FROM site_quality WHERE run_id = 'run-2'").fetchall() == [
        ("news.co.uk", 1, 80.0)
    ]
    assert failed_checks(con) == []


BASELINE = {"median_words": 300.0, "title_share": 1.0, "author_share": 1.0, "date_share": 1.0, "reject_share": 0.0}


def plant_baseline(con, site: str, days: int = 14) -> None:
    """`days` days of ordinary extraction for `site`, before today, as past runs recorded them."""
    today = utc_now().date()
    for back in range(1, days + 1):
        run_id = f"past-{site}-{back}"
        con.execute(
            "INSERT INTO runs (run_id, flow_name, started_at, status) VALUES (?, 'monitor', ?, 'completed')",
            [run_id, datetime.combine(today - timedelta(days=back), datetime.min.time())],
        )
        con.execute(
            """INSERT INTO site_quality VALUES (?, ?, ?, 10, 0, ?, ?, ?, ?, 0.5, ?, now())""",
            [run_id, today - timedelta(days=back), site, *BASELINE.values()],
        )


def site_pages(host: str, count: int, words_each: int, seed: int, dated: bool) -> list[PageToLoad]:
    published = datetime(2026, 11, 20, tzinfo=UTC) if dated else None
    return [
        page(
            f"https://{host}/story-{n}",
            words(words_each, seed + n),
            title=f"Story {n}",
            author="Staff",
            published_at=published,
        )
        for n in range(count)
    ]


def test_a_redesigned_site_is_flagged_and_an_unchanged_one_is_not(con):
    plant_baseline(con, "redesigned.co.uk")
    plant_baseline(con, "steady.com")
    pages = site_pages("www.redesigned.co.uk", 4, 60, seed=100, dated=False)  # short texts, no dates
    pages += site_pages("news.steady.com", 4, 300, seed=200, dated=True)
    load_batch(con, "run-1", pages, [])
    record_site_quality(con, "run-1")

    drift = con.execute(
        """SELECT site, day, pages, baseline_days, baseline_median_words, latest_median_words,
                  baseline_date_share, latest_date_share, bounds_fired
           FROM quality_drift"""
    ).fetchall()
    assert drift == [
        ("redesigned.co.uk", utc_now().date(), 4, 14, 300.0, 60.0, 1.0, 0.0, ["median_words", "date_share"])
    ]

    [flagged] = flagged_sites(con, "run-1")
    assert flagged.site == "redesigned.co.uk" and flagged.bounds_fired == ("median_words", "date_share")
    assert flagged.sentence().startswith("extraction drift on redesigned.co.uk")
    assert "median words 300 → 60" in flagged.sentence() and "date share 100% → 0%" in flagged.sentence()
    assert flagged_sites(con, "run-2") == []  # run 2 recorded no site
    assert [d.site for d in flagged_sites(con)] == ["redesigned.co.uk"]
    assert failed_checks(con) == []


def test_rejects_rising_past_the_bound_flag_a_site(con):
    plant_baseline(con, "broken.com")
    pages = site_pages("broken.com", 2, 300, seed=300, dated=True)
    rejects = [RejectRecord(f"https://broken.com/x{n}", "extract", "no_article_text", "no text") for n in range(2)]
    load_batch(con, "run-1", pages, rejects)
    record_site_quality(con, "run-1")
    assert con.execute("SELECT site, latest_reject_share, bounds_fired FROM quality_drift").fetchall() == [
        ("broken.com", 0.5, ["reject_share"])
    ]


def test_no_drift_without_enough_baseline_or_pages(con):
    plant_baseline(con, "young.com", days=2)  # two days are no baseline yet
    plant_baseline(con, "quiet.com")
    pages = site_pages("young.com", 4, 60, seed=400, dated=False)
    pages += site_pages("quiet.com", 2, 60, seed=500, dated=False)  # two pages are no redesign yet
    load_batch(con, "run-1", pages, [])
    record_site_quality(con, "run-1")
    assert flagged_sites(con) == []
