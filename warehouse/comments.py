"""Reader comments of a batch's pages: new ones, ones seen again, removed ones, snapshots.

- A comment's id hashes its article, parent and normalised text (or the page's own id):
  the same comment in a later snapshot is the same row (warehouse/dedup.py).
- The same substantial text under many articles is a spam campaign: every copy is flagged.
  Near-duplicate copies of one article (a syndicated story) count as one article: a comment
  that travels with the copies is not repeated across articles.
- A newer snapshot that no longer shows a comment sets its removed_at; comments are never deleted.
- Each distinct set of comments an article showed is one `comment_snapshots` row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from extractors.records import LoadCounts, ParsedPage
from warehouse.arrow_io import insert_rows, registered
from warehouse.dedup import comment_content_hash, comment_id_for, sha256_hex
from warehouse.timeutil import utc_naive

__all__ = ["REPEATED_COMMENT_MIN_ARTICLES", "REPEATED_COMMENT_MIN_CHARS", "write_comments"]

# A text of at least this many characters under this many articles (near-duplicate copies of one
# article counting once) is a spam campaign; shorter texts ("Agreed!", "Thanks for this") repeat innocently.
REPEATED_COMMENT_MIN_CHARS = 40
REPEATED_COMMENT_MIN_ARTICLES = 3


def write_comments(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    now: datetime,
    pages: Sequence[tuple[str, ParsedPage]],
    new_articles: Collection[str] = frozenset(),
) -> LoadCounts:
    """Write the comments and snapshots of (article id, page) pairs; returns the comment counts.

    `new_articles`, written by this batch, have no stored comments or snapshots to look up or
    mark removed: a batch of new articles costs no scan of those tables (each lake scan reads
    every data file of the table)."""
    counts = LoadCounts()
    rows: dict[str, dict] = {}
    latest_snapshot: dict[str, set[str]] = {}  # article → comment ids of its last page in this batch
    snapshots: dict[tuple[str, str], dict] = {}
    for article_id, page in pages:
        page_ids = _comment_rows(article_id, page, rows, run_id, now)
        if page_ids:
            latest_snapshot[article_id] = page_ids
        snapshot_hash = sha256_hex(*sorted(page_ids), str(page.comment_count_stated))
        snapshots.setdefault(
            (article_id, snapshot_hash),
            {
                "article_id": article_id,
                "snapshot_hash": snapshot_hash,
                "source": page.source,
                "comments_present": len(page_ids),
                "comments_stated": page.comment_count_stated,
            },
        )
    if rows:
        stored_before = [cid for cid, r in rows.items() if r["article_id"] not in new_articles]
        known = (
            {
                row[0]
                for row in con.execute(
                    "SELECT comment_id FROM comments WHERE comment_id IN (SELECT unnest(?))", [stored_before]
                ).fetchall()
            }
            if stored_before
            else set()
        )
        new_rows = [r for cid, r in rows.items() if cid not in known]
        insert_rows(con, "comments", new_rows)
        if known:
            con.execute(
                "UPDATE comments SET last_seen_at = ? WHERE comment_id IN (SELECT unnest(?))", [now, list(known)]
            )
        counts.comments_new += len(new_rows)
        counts.comments_spam += sum(r["is_spam"] for r in new_rows)
        counts.comments_seen_again += len(known)
    _flag_repeated_comments(con, {r["content_hash"] for r in rows.values()})
    _mark_removed_comments(con, now, {a: ids for a, ids in latest_snapshot.items() if a not in new_articles})
    _write_snapshots(con, run_id, now, list(snapshots.values()), new_articles)
    return counts


def _comment_rows(article_id: str, page: ParsedPage, rows: dict[str, dict], run_id: str, now: datetime) -> set[str]:
    """Add the page's comments to `rows` (first occurrence wins); return the page's comment ids."""
    ids_by_position: dict[int, str] = {}
    for comment in page.comments:
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
                "published_raw": comment.published_raw,
                "text": comment.text,
                "content_hash": content_hash,
                "is_spam": comment.is_spam,
                "spam_reason": comment.spam_reason,
                "extraction_method": page.comments_status or page.extraction_method,
                "extractor_version": page.extractor_version,
                "first_seen_at": now,
                "last_seen_at": now,
                "first_run_id": run_id,
                "page_comment_id": comment.page_comment_id,
                "kind": comment.kind,
            },
        )
    return set(ids_by_position.values())


def _flag_repeated_comments(con: duckdb.DuckDBPyConnection, content_hashes: set[str]) -> None:
    """The same substantial text under many articles is a campaign: flag every copy as spam.

    Articles are counted by near-duplicate cluster (`duplicate_of` names the cluster's first
    article): the copies of one syndicated story carry the same comments without any campaign.
    """
    if not content_hashes:
        return
    con.execute(
        """UPDATE comments
           SET is_spam = true,
               spam_reason = concat_ws(',', spam_reason, 'repeated_across_articles')
           WHERE content_hash IN (
                 SELECT c.content_hash FROM comments c JOIN articles a ON a.article_id = c.article_id
                 WHERE c.content_hash IN (SELECT unnest(?)) AND length(c.text) >= ?
                 GROUP BY c.content_hash HAVING count(DISTINCT coalesce(a.duplicate_of, a.article_id)) >= ?)
             AND coalesce(spam_reason, '') NOT LIKE '%repeated_across_articles%'""",
        [list(content_hashes), REPEATED_COMMENT_MIN_CHARS, REPEATED_COMMENT_MIN_ARTICLES],
    )


def _mark_removed_comments(con: duckdb.DuckDBPyConnection, now: datetime, latest_snapshot: dict[str, set[str]]) -> None:
    """Comments a newer snapshot no longer shows get removed_at; ones that came back are restored.

    Only snapshots that show comments count: a page that shows none is more often a
    paywall, a JavaScript embed or a failed extraction than a wiped thread.
    """
    if not latest_snapshot:
        return
    shown = pa.table(
        {
            "article_id": [a for a, ids in latest_snapshot.items() for _ in ids],
            "comment_id": [c for ids in latest_snapshot.values() for c in ids],
        },
        schema=pa.schema([("article_id", pa.string()), ("comment_id", pa.string())]),
    )
    # One statement each for the whole batch: a lake UPDATE costs a scan, whatever it matches.
    shown_here = "EXISTS (SELECT 1 FROM shown s WHERE s.article_id = c.article_id AND s.comment_id = c.comment_id)"
    with registered(con, "shown", shown):
        con.execute(
            f"""UPDATE comments c SET removed_at = $now
                WHERE removed_at IS NULL AND article_id IN (SELECT unnest($articles)) AND NOT {shown_here}""",
            {"now": now, "articles": list(latest_snapshot)},
        )
        con.execute(f"UPDATE comments c SET removed_at = NULL WHERE removed_at IS NOT NULL AND {shown_here}")


def _write_snapshots(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, snapshots: list[dict], new_articles: Collection[str]
) -> None:
    """A snapshot seen before is touched; a new one gets the article's next snapshot number."""
    if not snapshots:
        return
    stored_before = list({s["article_id"] for s in snapshots} - set(new_articles))
    rows = (
        con.execute(
            "SELECT article_id, snapshot_hash, snapshot_number FROM comment_snapshots "
            "WHERE article_id IN (SELECT unnest(?))",
            [stored_before],
        ).fetchall()
        if stored_before
        else []
    )
    known = {(article_id, snapshot_hash) for article_id, snapshot_hash, _ in rows}
    next_number: dict[str, int] = {}
    for article_id, _, number in rows:
        next_number[article_id] = max(number, next_number.get(article_id, 0))
    new_rows, seen_again = [], []
    for snapshot in snapshots:
        key = (snapshot["article_id"], snapshot["snapshot_hash"])
        if key in known:
            seen_again.append(key)
            continue
        number = next_number.get(snapshot["article_id"], 0) + 1
        next_number[snapshot["article_id"]] = number
        new_rows.append(
            {
                **snapshot,
                "snapshot_number": number,
                "first_seen_at": now,
                "last_seen_at": now,
                "first_run_id": run_id,
                "last_run_id": run_id,
            }
        )
    insert_rows(con, "comment_snapshots", new_rows)
    if seen_again:
        con.execute(
            # named parameters: DuckDB binds a FROM subquery's `?` before the SET clause's
            """UPDATE comment_snapshots SET last_seen_at = $now, last_run_id = $run_id
               FROM (SELECT unnest($articles) AS article_id, unnest($hashes) AS snapshot_hash) seen
               WHERE comment_snapshots.article_id = seen.article_id
                 AND comment_snapshots.snapshot_hash = seen.snapshot_hash""",
            {
                "now": now,
                "run_id": run_id,
                "articles": [k[0] for k in seen_again],
                "hashes": [k[1] for k in seen_again],
            },
        )
