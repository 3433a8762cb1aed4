"""Loading one batch of extracted pages into DuckDB, deduplicated, in one transaction.

A batch is all in or all out: a run killed mid-batch leaves the previous batches
and nothing of this one, and the next run (idempotent) finishes the work.
Rows go in through Arrow tables (INSERT … SELECT), never one INSERT per row, and
every key is de-duplicated inside the batch first: DuckDB keeps the first of two
conflicting rows of one statement without an error.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from extractors.records import CrawlRecords, LoadCounts, ParsedPage, RejectRecord
from warehouse.arrow_io import insert_rows, registered, transaction
from warehouse.dedup import (
    NEAR_DUPLICATE_THRESHOLD,
    ArticleFingerprint,
    comment_content_hash,
    comment_id_for,
    estimated_jaccard,
    sha256_hex,
)
from warehouse.frontier import RecrawlPolicy, write_crawl_records
from warehouse.revisions import text_change
from warehouse.timeutil import utc_naive, utc_now

# A text of at least this many characters under this many articles is a spam campaign;
# shorter texts ("Agreed!", "Thanks for this") repeat innocently.
REPEATED_COMMENT_MIN_CHARS = 40
REPEATED_COMMENT_MIN_ARTICLES = 3


@dataclass(frozen=True)
class PageToLoad:
    page: ParsedPage
    fingerprint: ArticleFingerprint
    source_kind: str  # file | url


def reject_id(reject: RejectRecord) -> str:
    """Stable per (input, content, stage, reason): seeing the same failure again updates its row."""
    return sha256_hex(reject.source, reject.input_hash or "", reject.stage, reject.reason)[:16]


def load_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pages: list[PageToLoad],
    rejects: list[RejectRecord],
    now: datetime | None = None,
    crawl: CrawlRecords | None = None,
    policy: RecrawlPolicy | None = None,
) -> LoadCounts:
    """Deduplicate `pages` against the warehouse and write them, `rejects` and the fetch
    log and URL frontier updates of `crawl`, atomically."""
    now = now or utc_now()
    with transaction(con):
        loader = _BatchLoader(con, run_id, now)
        counts = loader.load(pages, rejects)
        if crawl is not None:
            visits = [replace(v, article_id=loader.article_by_source.get(v.url, v.article_id)) for v in crawl.visits]
            write_crawl_records(con, run_id, replace(crawl, visits=visits), now, policy or RecrawlPolicy())
    return counts


@dataclass
class _NearMatch:
    article_id: str
    duplicate_of: str | None
    signature: np.ndarray


@dataclass
class _BatchLoader:
    con: duckdb.DuckDBPyConnection
    run_id: str
    now: datetime
    counts: LoadCounts = field(default_factory=LoadCounts)
    article_by_source: dict[str, str] = field(default_factory=dict)

    def load(self, pages: list[PageToLoad], rejects: list[RejectRecord]) -> LoadCounts:
        resolved = self._resolve_articles(pages)
        self.article_by_source = {item.page.source: article_id for article_id, item in resolved}
        self._write_sightings(resolved)
        self._write_comments(resolved)
        self._write_rejects(rejects)
        return self.counts

    # -- articles -----------------------------------------------------------------

    def _resolve_articles(self, pages: list[PageToLoad]) -> list[tuple[str, PageToLoad]]:
        """Give every page its article id, inserting new articles and touching known ones."""
        hashes = list({p.fingerprint.content_hash for p in pages})
        urls = list({p.page.url for p in pages if p.page.url})
        by_hash = dict(
            self.con.execute(
                "SELECT content_hash, article_id FROM articles WHERE content_hash IN (SELECT unnest(?))",
                [hashes],
            ).fetchall()
        )
        by_url = {
            url: (article_id, content_hash)
            for url, article_id, content_hash in self.con.execute(
                "SELECT url, article_id, content_hash FROM articles WHERE url IN (SELECT unnest(?))", [urls]
            ).fetchall()
        }
        near_matches = self._near_duplicate_candidates(
            [p for p in pages if p.fingerprint.content_hash not in by_hash and p.page.url not in by_url]
        )

        resolved: list[tuple[str, PageToLoad]] = []
        new_rows: dict[str, dict] = {}
        touched: dict[str, PageToLoad] = {}
        changed: dict[str, PageToLoad] = {}
        batch_buckets: dict[tuple[int, int], list[str]] = defaultdict(list)
        batch_matches: dict[str, _NearMatch] = {}
        for item in pages:
            fp, page = item.fingerprint, item.page
            if page.url and page.url in by_url:
                article_id, known_hash = by_url[page.url]
                if known_hash != fp.content_hash:
                    changed[article_id] = item
                    by_url[page.url] = (article_id, fp.content_hash)
                touched[article_id] = item
                self.counts.articles_duplicate += known_hash == fp.content_hash
            elif fp.content_hash in by_hash:
                article_id = by_hash[fp.content_hash]
                touched[article_id] = item
                self.counts.articles_duplicate += 1
            else:
                article_id = fp.article_id
                candidates = dict(near_matches.get(article_id, {}))
                for bucket in fp.buckets:
                    for other in batch_buckets.get(bucket, ()):
                        candidates[other] = batch_matches[other]
                duplicate_of, similarity = _best_near_match(fp.signature, candidates)
                new_rows[article_id] = _article_row(item, article_id, duplicate_of, similarity, self.run_id, self.now)
                by_hash[fp.content_hash] = article_id
                if page.url:
                    by_url[page.url] = (article_id, fp.content_hash)
                for bucket in fp.buckets:
                    batch_buckets[bucket].append(article_id)
                batch_matches[article_id] = _NearMatch(article_id, duplicate_of, fp.signature)
                self.counts.articles_new += 1
                self.counts.articles_near_duplicate += duplicate_of is not None
            resolved.append((article_id, item))

        self._insert_articles(new_rows)
        self._touch_articles({k: v for k, v in touched.items() if k not in new_rows})
        self._update_changed_articles(changed)
        return resolved

    def _near_duplicate_candidates(self, pages: list[PageToLoad]) -> dict[str, dict[str, _NearMatch]]:
        """For each new article, the stored articles sharing at least one LSH bucket."""
        if not pages:
            return {}
        probe = pa.table(
            {
                "article_id": [p.fingerprint.article_id for p in pages for _ in p.fingerprint.buckets],
                "band": pa.array([b for p in pages for b, _ in p.fingerprint.buckets], pa.int16()),
                "bucket": pa.array([k for p in pages for _, k in p.fingerprint.buckets], pa.uint64()),
            }
        )
        with registered(self.con, "lsh_probe", probe):
            rows = self.con.execute(
                """SELECT DISTINCT p.article_id, a.article_id, a.duplicate_of, m.signature
                   FROM lsh_probe p
                   JOIN article_lsh_buckets b ON b.band = p.band AND b.bucket = p.bucket
                   JOIN articles a ON a.article_id = b.article_id
                   JOIN article_minhash m ON m.article_id = a.article_id
                   WHERE a.article_id <> p.article_id"""
            ).fetchall()
        candidates: dict[str, dict[str, _NearMatch]] = defaultdict(dict)
        for new_id, known_id, duplicate_of, signature in rows:
            candidates[new_id][known_id] = _NearMatch(known_id, duplicate_of, np.asarray(signature, np.uint32))
        return candidates

    def _insert_articles(self, rows: dict[str, dict]) -> None:
        if not rows:
            return
        articles = pa.Table.from_pylist(list(rows.values()), schema=_ARTICLE_SCHEMA)
        self._insert("articles", articles)
        first_revisions = [
            {"article_id": article_id, "revision": 1, "content_hash": r["content_hash"], "title": r["title"],
             "text": r["text"], "word_count": r["word_count"], "seen_at": self.now, "run_id": self.run_id,
             "source": r["_source"]}
            for article_id, r in rows.items()
        ]
        self._insert("article_revisions", pa.Table.from_pylist(first_revisions, schema=_REVISION_SCHEMA))
        signatures = pa.table(
            {
                "article_id": list(rows),
                "signature": pa.array([r["_signature"] for r in rows.values()], pa.list_(pa.uint32())),
            }
        )
        self._insert("article_minhash", signatures)
        self._insert_buckets({article_id: r["_buckets"] for article_id, r in rows.items()})

    def _insert_buckets(self, buckets_by_article: dict[str, list[tuple[int, int]]]) -> None:
        buckets = pa.table(
            {
                "band": pa.array([b for bs in buckets_by_article.values() for b, _ in bs], pa.int16()),
                "bucket": pa.array([k for bs in buckets_by_article.values() for _, k in bs], pa.uint64()),
                "article_id": [a for a, bs in buckets_by_article.items() for _ in bs],
            }
        )
        self._insert("article_lsh_buckets", buckets, on_conflict="ON CONFLICT DO NOTHING")

    def _touch_articles(self, items: dict[str, PageToLoad]) -> None:
        if not items:
            return
        updates = pa.table(
            {
                "article_id": list(items),
                "comment_count_stated": pa.array([i.page.comment_count_stated for i in items.values()], pa.int32()),
                "comments_status": pa.array([i.page.comments_status for i in items.values()], pa.string()),
            }
        )
        with registered(self.con, "article_touch", updates):
            self.con.execute(
                """UPDATE articles
                   SET last_seen_at = ?, last_run_id = ?,
                       comment_count_stated = coalesce(t.comment_count_stated, articles.comment_count_stated),
                       comments_status = coalesce(t.comments_status, articles.comments_status)
                   FROM article_touch t
                   WHERE articles.article_id = t.article_id""",
                [self.now, self.run_id],
            )

    def _update_changed_articles(self, items: dict[str, PageToLoad]) -> None:
        """A known URL whose text changed: `articles` shows the latest version."""
        for article_id, item in items.items():
            page, fp = item.page, item.fingerprint
            self._add_revision(article_id, item)
            self.con.execute(
                """UPDATE articles SET title = ?, author = ?, published_at = ?, site_name = ?, language = ?,
                          text = ?, word_count = ?, content_hash = ?
                   WHERE article_id = ?""",
                [page.title, page.author, utc_naive(page.published_at), page.site_name, page.language,
                 page.text, len(page.text.split()), fp.content_hash, article_id],
            )
            self.con.execute("UPDATE article_minhash SET signature = ? WHERE article_id = ?",
                             [fp.signature.tolist(), article_id])
            self.con.execute("DELETE FROM article_lsh_buckets WHERE article_id = ?", [article_id])
            self._insert_buckets({article_id: fp.buckets})
            self.counts.articles_updated += 1

    def _add_revision(self, article_id: str, item: PageToLoad) -> None:
        previous_text, latest = self.con.execute(
            """SELECT a.text, max(r.revision) FROM articles a JOIN article_revisions r USING (article_id)
               WHERE a.article_id = ? GROUP BY a.text""",
            [article_id],
        ).fetchone()
        change = text_change(previous_text, item.page.text)
        self.con.execute(
            """INSERT INTO article_revisions (article_id, revision, content_hash, title, text, word_count,
                   similarity_to_previous, words_added, words_removed, seen_at, run_id, source)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [article_id, latest + 1, item.fingerprint.content_hash, item.page.title, item.page.text,
             len(item.page.text.split()), change.similarity, change.words_added, change.words_removed,
             self.now, self.run_id, item.page.source],
        )

    # -- sightings, comments, rejects ---------------------------------------------------

    def _write_sightings(self, resolved: list[tuple[str, PageToLoad]]) -> None:
        latest: dict[tuple[str, str], dict] = {}
        for article_id, item in resolved:
            latest[(article_id, item.page.source)] = {
                "article_id": article_id,
                "source": item.page.source,
                "source_kind": item.source_kind,
                "content_hash": item.fingerprint.content_hash,
                "first_seen_at": self.now,
                "last_seen_at": self.now,
                "first_run_id": self.run_id,
                "last_run_id": self.run_id,
            }
        if latest:
            self._insert(
                "sightings",
                pa.Table.from_pylist(list(latest.values()), schema=_SIGHTING_SCHEMA),
                on_conflict="""ON CONFLICT (article_id, source) DO UPDATE SET
                    last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id,
                    content_hash = excluded.content_hash""",
            )

    def _write_comments(self, resolved: list[tuple[str, PageToLoad]]) -> None:
        rows: dict[str, dict] = {}
        latest_snapshot: dict[str, set[str]] = {}  # article → comment ids of its last page in this batch
        snapshots: dict[tuple[str, str], dict] = {}
        for article_id, item in resolved:
            page_ids = self._comment_rows(article_id, item, rows)
            if page_ids:
                latest_snapshot[article_id] = page_ids
            snapshot_hash = sha256_hex(*sorted(page_ids), str(item.page.comment_count_stated))
            snapshots.setdefault((article_id, snapshot_hash), {
                "article_id": article_id, "snapshot_hash": snapshot_hash, "source": item.page.source,
                "comments_present": len(page_ids), "comments_stated": item.page.comment_count_stated,
            })
        if rows:
            known = {
                row[0]
                for row in self.con.execute(
                    "SELECT comment_id FROM comments WHERE comment_id IN (SELECT unnest(?))", [list(rows)]
                ).fetchall()
            }
            new_rows = [r for cid, r in rows.items() if cid not in known]
            if new_rows:
                self._insert("comments", pa.Table.from_pylist(new_rows, schema=_COMMENT_SCHEMA))
            if known:
                self.con.execute(
                    "UPDATE comments SET last_seen_at = ? WHERE comment_id IN (SELECT unnest(?))",
                    [self.now, list(known)],
                )
            self.counts.comments_new += len(new_rows)
            self.counts.comments_spam += sum(r["is_spam"] for r in new_rows)
            self.counts.comments_seen_again += len(known)
        self._flag_repeated_comments({r["content_hash"] for r in rows.values()})
        self._mark_removed_comments(latest_snapshot)
        self._write_comment_snapshots(list(snapshots.values()))

    def _flag_repeated_comments(self, content_hashes: set[str]) -> None:
        """The same substantial text under many articles is a campaign: flag every copy as spam."""
        if not content_hashes:
            return
        self.con.execute(
            """UPDATE comments
               SET is_spam = true,
                   spam_reason = concat_ws(',', spam_reason, 'repeated_across_articles')
               WHERE content_hash IN (
                     SELECT content_hash FROM comments
                     WHERE content_hash IN (SELECT unnest(?)) AND length(text) >= ?
                     GROUP BY content_hash HAVING count(DISTINCT article_id) >= ?)
                 AND coalesce(spam_reason, '') NOT LIKE '%repeated_across_articles%'""",
            [list(content_hashes), REPEATED_COMMENT_MIN_CHARS, REPEATED_COMMENT_MIN_ARTICLES],
        )

    def _comment_rows(self, article_id: str, item: PageToLoad, rows: dict[str, dict]) -> set[str]:
        """Add the page's comments to `rows` (first occurrence wins); return the page's comment ids."""
        ids_by_position: dict[int, str] = {}
        for comment in item.page.comments:
            parent_id = None if comment.parent_position is None else ids_by_position[comment.parent_position]
            content_hash = comment_content_hash(comment.text)
            comment_id = comment_id_for(article_id, parent_id, content_hash, comment.page_comment_id)
            ids_by_position[comment.position] = comment_id
            rows.setdefault(
                comment_id,
                {
                    "comment_id": comment_id,
                    "article_id": article_id,
                    "parent_id": parent_id,
                    "depth": comment.depth,
                    "position": comment.position,
                    "author": comment.author,
                    "published_at": utc_naive(comment.published_at),
                    "text": comment.text,
                    "content_hash": content_hash,
                    "is_spam": comment.is_spam,
                    "spam_reason": comment.spam_reason,
                    "extraction_method": item.page.comments_status or item.page.extraction_method,
                    "first_seen_at": self.now,
                    "last_seen_at": self.now,
                    "first_run_id": self.run_id,
                    "page_comment_id": comment.page_comment_id,
                    "kind": comment.kind,
                },
            )
        return set(ids_by_position.values())

    def _mark_removed_comments(self, latest_snapshot: dict[str, set[str]]) -> None:
        """Comments a newer snapshot no longer shows get removed_at; ones that came back are restored.

        Only snapshots that show comments count: a page that shows none is more often a
        paywall, a JavaScript embed or a failed extraction than a wiped thread.
        """
        for article_id, present in latest_snapshot.items():
            present_ids = list(present)
            self.con.execute(
                """UPDATE comments SET removed_at = ?
                   WHERE article_id = ? AND removed_at IS NULL AND comment_id NOT IN (SELECT unnest(?))""",
                [self.now, article_id, present_ids],
            )
            self.con.execute(
                """UPDATE comments SET removed_at = NULL
                   WHERE article_id = ? AND removed_at IS NOT NULL AND comment_id IN (SELECT unnest(?))""",
                [article_id, present_ids],
            )

    def _write_comment_snapshots(self, snapshots: list[dict]) -> None:
        if not snapshots:
            return
        known = {
            (a, h) for a, h in self.con.execute(
                "SELECT article_id, snapshot_hash FROM comment_snapshots WHERE article_id IN (SELECT unnest(?))",
                [list({s["article_id"] for s in snapshots})],
            ).fetchall()
        }
        next_number = dict(self.con.execute(
            "SELECT article_id, max(snapshot_number) FROM comment_snapshots "
            "WHERE article_id IN (SELECT unnest(?)) GROUP BY article_id",
            [list({s["article_id"] for s in snapshots})],
        ).fetchall())
        new_rows, seen_again = [], []
        for snapshot in snapshots:
            key = (snapshot["article_id"], snapshot["snapshot_hash"])
            if key in known:
                seen_again.append(key)
                continue
            number = next_number.get(snapshot["article_id"], 0) + 1
            next_number[snapshot["article_id"]] = number
            new_rows.append({**snapshot, "snapshot_number": number, "first_seen_at": self.now,
                             "last_seen_at": self.now, "first_run_id": self.run_id, "last_run_id": self.run_id})
        if new_rows:
            self._insert("comment_snapshots", pa.Table.from_pylist(new_rows, schema=_SNAPSHOT_SCHEMA))
        if seen_again:
            self.con.execute(
                """UPDATE comment_snapshots SET last_seen_at = ?, last_run_id = ?
                   FROM (SELECT unnest(?) AS article_id, unnest(?) AS snapshot_hash) seen
                   WHERE comment_snapshots.article_id = seen.article_id
                     AND comment_snapshots.snapshot_hash = seen.snapshot_hash""",
                [self.now, self.run_id, [k[0] for k in seen_again], [k[1] for k in seen_again]],
            )

    def _write_rejects(self, rejects: list[RejectRecord]) -> None:
        rows = {
            reject_id(r): {
                "reject_id": reject_id(r),
                "source": r.source,
                "input_hash": r.input_hash,
                "stage": r.stage,
                "reason": r.reason,
                "detail": r.detail,
                "first_seen_at": self.now,
                "last_seen_at": self.now,
                "first_run_id": self.run_id,
                "last_run_id": self.run_id,
            }
            for r in rejects
        }
        if rows:
            self._insert(
                "rejects",
                pa.Table.from_pylist(list(rows.values()), schema=_REJECT_SCHEMA),
                on_conflict="""ON CONFLICT (reject_id) DO UPDATE SET
                    last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id,
                    detail = excluded.detail""",
            )
        self.counts.rejects += len(rejects)

    def _insert(self, table: str, rows: pa.Table, on_conflict: str = "") -> None:
        insert_rows(self.con, table, rows, on_conflict)


def _best_near_match(signature: np.ndarray, candidates: dict[str, _NearMatch]) -> tuple[str | None, float | None]:
    """The most similar earlier article at or above the threshold, as its cluster's first article."""
    best: tuple[float, str] | None = None
    for candidate in candidates.values():
        similarity = estimated_jaccard(signature, candidate.signature)
        if similarity >= NEAR_DUPLICATE_THRESHOLD and (best is None or similarity > best[0]):
            best = (similarity, candidate.duplicate_of or candidate.article_id)
    return (best[1], best[0]) if best else (None, None)


def _article_row(item: PageToLoad, article_id: str, duplicate_of: str | None, similarity: float | None,
                 run_id: str, now: datetime) -> dict:
    page, fp = item.page, item.fingerprint
    return {
        "article_id": article_id,
        "url": page.url,
        "source_file": page.source if item.source_kind == "file" else None,
        "title": page.title,
        "author": page.author,
        "published_at": utc_naive(page.published_at),
        "site_name": page.site_name,
        "language": page.language,
        "text": page.text,
        "word_count": len(page.text.split()),
        "comment_count_stated": page.comment_count_stated,
        "content_hash": fp.content_hash,
        "duplicate_of": duplicate_of,
        "similarity": similarity,
        "extraction_method": page.extraction_method,
        "comments_status": page.comments_status,
        "first_seen_at": now,
        "last_seen_at": now,
        "first_run_id": run_id,
        "last_run_id": run_id,
        "_signature": fp.signature.tolist(),
        "_source": page.source,
        "_buckets": fp.buckets,
    }


_TS = pa.timestamp("us")
_ARTICLE_SCHEMA = pa.schema(
    [("article_id", pa.string()), ("url", pa.string()), ("source_file", pa.string()), ("title", pa.string()),
     ("author", pa.string()), ("published_at", _TS), ("site_name", pa.string()), ("language", pa.string()),
     ("text", pa.string()), ("word_count", pa.int32()), ("comment_count_stated", pa.int32()),
     ("content_hash", pa.string()), ("duplicate_of", pa.string()), ("similarity", pa.float64()),
     ("extraction_method", pa.string()), ("comments_status", pa.string()), ("first_seen_at", _TS),
     ("last_seen_at", _TS), ("first_run_id", pa.string()), ("last_run_id", pa.string())]
)
_REVISION_SCHEMA = pa.schema(
    [("article_id", pa.string()), ("revision", pa.int32()), ("content_hash", pa.string()), ("title", pa.string()),
     ("text", pa.string()), ("word_count", pa.int32()), ("seen_at", _TS), ("run_id", pa.string()),
     ("source", pa.string())]
)
_SIGHTING_SCHEMA = pa.schema(
    [("article_id", pa.string()), ("source", pa.string()), ("source_kind", pa.string()),
     ("content_hash", pa.string()), ("first_seen_at", _TS), ("last_seen_at", _TS),
     ("first_run_id", pa.string()), ("last_run_id", pa.string())]
)
_COMMENT_SCHEMA = pa.schema(
    [("comment_id", pa.string()), ("article_id", pa.string()), ("parent_id", pa.string()), ("depth", pa.int32()),
     ("position", pa.int32()), ("author", pa.string()), ("published_at", _TS), ("text", pa.string()),
     ("content_hash", pa.string()), ("is_spam", pa.bool_()), ("spam_reason", pa.string()),
     ("extraction_method", pa.string()), ("first_seen_at", _TS), ("last_seen_at", _TS),
     ("first_run_id", pa.string()), ("page_comment_id", pa.string()), ("kind", pa.string())]
)
_SNAPSHOT_SCHEMA = pa.schema(
    [("article_id", pa.string()), ("snapshot_hash", pa.string()), ("snapshot_number", pa.int32()),
     ("source", pa.string()), ("comments_present", pa.int32()), ("comments_stated", pa.int32()),
     ("first_seen_at", _TS), ("last_seen_at", _TS), ("first_run_id", pa.string()), ("last_run_id", pa.string())]
)
_REJECT_SCHEMA = pa.schema(
    [("reject_id", pa.string()), ("source", pa.string()), ("input_hash", pa.string()), ("stage", pa.string()),
     ("reason", pa.string()), ("detail", pa.string()), ("first_seen_at", _TS), ("last_seen_at", _TS),
     ("first_run_id", pa.string()), ("last_run_id", pa.string())]
)
