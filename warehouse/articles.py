"""Articles: each page of a batch resolved to its article id, and what that changes.

A page is, in this order:
- a known canonical URL: the same article; if its text changed, `articles` takes the new
  text and a revision is added (warehouse/revisions.py);
- a known content hash (an exact duplicate): the same article;
- else a new article, linked to the article it nearly copies, if any (warehouse/near_duplicates.py).
Known articles are touched (last seen, comment count). Every input gets its `sightings` row.
Each row keeps its site and host (from its URL) and its lineage: the extractor version that made
it and where its date came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from extractors.records import LoadCounts, ParsedPage
from warehouse.arrow_io import insert_rows, registered, retrying, transaction, typed_rows
from warehouse.dedup import ArticleFingerprint
from warehouse.near_duplicates import NearDuplicateFinder, index_articles, reindex_article
from warehouse.revisions import add_revision, insert_first_revisions, word_count
from warehouse.sites import url_host, url_site
from warehouse.timeutil import utc_naive, utc_now

__all__ = ["SITES_BACKFILL", "PageToLoad", "ResolvedPage", "fill_missing_sites", "write_articles"]

SITES_BACKFILL = "articles.site"  # its row in `data_backfills` once done


@dataclass(frozen=True)
class PageToLoad:
    page: ParsedPage
    fingerprint: ArticleFingerprint
    source_kind: str  # file | url


@dataclass(frozen=True)
class ResolvedPage:
    article_id: str
    item: PageToLoad
    new: bool = False  # its article is first written by this batch: nothing of it is stored yet


def write_articles(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, pages: list[PageToLoad]
) -> tuple[list[ResolvedPage], LoadCounts]:
    """Give every page its article id, writing new, touched and changed articles and the
    sightings; returns the pages with their ids (in URL order) and the article counts."""
    counts = LoadCounts()
    by_hash, by_url = _known_articles(con, pages)
    finder = NearDuplicateFinder(
        con, [p.fingerprint for p in pages if p.fingerprint.content_hash not in by_hash and p.page.url not in by_url]
    )
    resolved: list[ResolvedPage] = []
    new: dict[str, tuple[PageToLoad, str | None, float | None]] = {}
    touched: dict[str, PageToLoad] = {}
    changed: dict[str, PageToLoad] = {}
    # When one text arrives from several URLs in a batch, the smallest URL owns the article row
    # and the others are its duplicates: the same ids whatever order the fetches finished in.
    for item in sorted(pages, key=_ownership_order):
        fp, page = item.fingerprint, item.page
        if page.url and page.url in by_url:
            article_id, known_hash = by_url[page.url]
            if known_hash != fp.content_hash:
                changed[article_id] = item
                by_url[page.url] = (article_id, fp.content_hash)
            touched[article_id] = item
            counts.articles_duplicate += known_hash == fp.content_hash
        elif fp.content_hash in by_hash:
            article_id = by_hash[fp.content_hash]
            touched[article_id] = item
            counts.articles_duplicate += 1
        else:
            article_id = fp.article_id
            duplicate_of, similarity = finder.decide(fp)
            new[article_id] = (item, duplicate_of, similarity)
            by_hash[fp.content_hash] = article_id
            if page.url:
                by_url[page.url] = (article_id, fp.content_hash)
            counts.articles_new += 1
            counts.articles_near_duplicate += duplicate_of is not None
        resolved.append(ResolvedPage(article_id, item, article_id in new))

    _insert_articles(con, run_id, now, new)
    _touch_articles(con, run_id, now, {k: v for k, v in touched.items() if k not in new})
    for article_id, item in changed.items():
        _revise_article(con, run_id, now, article_id, item)
    counts.articles_updated += len(changed)
    _write_sightings(con, run_id, now, resolved)
    return resolved, counts


def _ownership_order(item: PageToLoad) -> tuple[str, str]:
    return (item.page.url or "", item.page.source)


def _known_articles(
    con: duckdb.DuckDBPyConnection, pages: list[PageToLoad]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Stored articles the pages may be: content hash -> id, and URL -> (id, content hash)."""
    hashes = list({p.fingerprint.content_hash for p in pages})
    urls = list({p.page.url for p in pages if p.page.url})
    by_hash = dict(
        con.execute(
            "SELECT content_hash, article_id FROM articles WHERE content_hash IN (SELECT unnest(?))", [hashes]
        ).fetchall()
    )
    rows = con.execute(
        "SELECT url, article_id, content_hash FROM articles WHERE url IN (SELECT unnest(?))", [urls]
    ).fetchall()
    return by_hash, {url: (article_id, content_hash) for url, article_id, content_hash in rows}


def _insert_articles(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    now: datetime,
    new: dict[str, tuple[PageToLoad, str | None, float | None]],
) -> None:
    if not new:
        return
    rows = [
        _article_row(article_id, item, duplicate_of, similarity, run_id, now)
        for article_id, (item, duplicate_of, similarity) in new.items()
    ]
    insert_rows(con, "articles", rows)
    insert_first_revisions(
        con,
        run_id,
        now,
        {article_id: (item.page, item.fingerprint.content_hash) for article_id, (item, _, _) in new.items()},
    )
    index_articles(con, {article_id: item.fingerprint for article_id, (item, _, _) in new.items()})


def _touch_articles(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, items: dict[str, PageToLoad]) -> None:
    """Known articles seen again: last seen, and the comment figures when the page has them."""
    if not items:
        return
    updates = [
        {
            "article_id": article_id,
            "comment_count_stated": item.page.comment_count_stated,
            "comments_status": item.page.comments_status,
        }
        for article_id, item in items.items()
    ]
    with registered(con, "article_touch", typed_rows(con, "articles", updates)):
        con.execute(
            """UPDATE articles
               SET last_seen_at = ?, last_run_id = ?,
                   comment_count_stated = coalesce(t.comment_count_stated, articles.comment_count_stated),
                   comments_status = coalesce(t.comments_status, articles.comments_status)
               FROM article_touch t
               WHERE articles.article_id = t.article_id""",
            [now, run_id],
        )


def _revise_article(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, article_id: str, item: PageToLoad
) -> None:
    """A known URL whose text changed: a new revision, and `articles` shows the latest version."""
    page, fp = item.page, item.fingerprint
    add_revision(con, run_id, now, article_id, page, fp.content_hash)
    con.execute(
        """UPDATE articles SET title = ?, author = ?, published_at = ?, site_name = ?, language = ?,
                  text = ?, word_count = ?, content_hash = ?, extractor_version = ?, date_source = ?
           WHERE article_id = ?""",
        [
            page.title,
            page.author,
            utc_naive(page.published_at),
            page.site_name,
            page.language,
            page.text,
            word_count(page.text),
            fp.content_hash,
            page.extractor_version,
            page.date_source,
            article_id,
        ],
    )
    reindex_article(con, article_id, fp)


def _write_sightings(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, resolved: list[ResolvedPage]) -> None:
    """One row per (article, input): the latest page of the batch for each wins."""
    latest: dict[tuple[str, str], dict] = {}
    for r in resolved:
        latest[(r.article_id, r.item.page.source)] = {
            "article_id": r.article_id,
            "source": r.item.page.source,
            "source_kind": r.item.source_kind,
            "content_hash": r.item.fingerprint.content_hash,
            "first_seen_at": now,
            "last_seen_at": now,
            "first_run_id": run_id,
            "last_run_id": run_id,
        }
    insert_rows(
        con,
        "sightings",
        list(latest.values()),
        key=("article_id", "source"),
        update=("last_seen_at", "last_run_id", "content_hash"),
    )


def _article_row(
    article_id: str, item: PageToLoad, duplicate_of: str | None, similarity: float | None, run_id: str, now: datetime
) -> dict:
    page = item.page
    location = _page_location(page)
    return {
        "article_id": article_id,
        "url": page.url,
        "site": url_site(location),
        "host": url_host(location),
        "source_file": page.source if item.source_kind == "file" else None,
        "title": page.title,
        "author": page.author,
        "published_at": utc_naive(page.published_at),
        "site_name": page.site_name,
        "language": page.language,
        "text": page.text,
        "word_count": word_count(page.text),
        "comment_count_stated": page.comment_count_stated,
        "content_hash": item.fingerprint.content_hash,
        "duplicate_of": duplicate_of,
        "similarity": similarity,
        "extraction_method": page.extraction_method,
        "extractor_version": page.extractor_version,
        "date_source": page.date_source,
        "comments_status": page.comments_status,
        "first_seen_at": now,
        "last_seen_at": now,
        "first_run_id": run_id,
        "last_run_id": run_id,
    }


def _page_location(page: ParsedPage) -> str | None:
    """The URL a page's site and host come from: its own (canonical) URL, else the URL it was
    fetched from; a file that states no URL has none (its source is a path)."""
    return page.url or page.source


def fill_missing_sites(con: duckdb.DuckDBPyConnection) -> int:
    """Once per lake, after migration 015: the site of every article loaded before it (its host
    came from SQL; the public-suffix list is Python's). Recorded in `data_backfills`, so later
    calls cost one small read; returns the articles filled now."""

    def fill() -> int:
        with transaction(con):
            done = con.execute("SELECT count(*) FROM data_backfills WHERE name = ?", [SITES_BACKFILL]).fetchall()
            if done[0][0]:
                return 0
            urls = [
                u
                for (u,) in con.execute(
                    "SELECT DISTINCT url FROM articles WHERE site IS NULL AND url IS NOT NULL"
                ).fetchall()
            ]
            sites = [{"url": u, "site": url_site(u)} for u in urls]
            filled = 0
            if sites:
                with registered(con, "site_fill", typed_rows(con, "articles", sites)):
                    filled = con.execute(
                        """UPDATE articles SET site = f.site FROM site_fill f
                           WHERE articles.url = f.url AND articles.site IS NULL AND f.site IS NOT NULL"""
                    ).fetchall()[0][0]
            con.execute(
                "INSERT INTO data_backfills (name, rows_filled, applied_at) VALUES (?, ?, ?)",
                [SITES_BACKFILL, filled, utc_now()],
            )
            return filled

    return retrying(fill)
