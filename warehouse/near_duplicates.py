"""The near-duplicate decision: is a new article a lightly edited copy of a known one?

Signatures and LSH buckets are computed without the database (warehouse/dedup.py). Here,
inside the batch's transaction, a new article is compared only with the articles sharing at
least one of its buckets: the stored ones (an index join, no all-pairs scan) and the batch's
earlier new ones. The most similar at or above NEAR_DUPLICATE_THRESHOLD links it to that
article's cluster (its first article). Signatures and buckets are stored here too.

Parameters and their reasoning: docs/deduplication.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import numpy as np

from warehouse.arrow_io import insert_rows, registered, typed_rows
from warehouse.dedup import ArticleFingerprint

__all__ = [
    "NEAR_DUPLICATE_THRESHOLD",
    "NearDuplicateFinder",
    "NearMatch",
    "best_near_match",
    "estimated_jaccard",
    "index_articles",
    "reindex_article",
]

NEAR_DUPLICATE_THRESHOLD = 0.7


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


@dataclass(frozen=True)
class NearMatch:
    """A candidate: an article, the first article of its cluster (if a copy), its signature."""

    article_id: str
    duplicate_of: str | None
    signature: np.ndarray


def best_near_match(signature: np.ndarray, candidates: Iterable[NearMatch]) -> tuple[str | None, float | None]:
    """The most similar candidate at or above the threshold, as its cluster's first article
    (ties: the first candidate), with the similarity; (None, None) when none is close enough."""
    best: tuple[float, str] | None = None
    for candidate in candidates:
        similarity = estimated_jaccard(signature, candidate.signature)
        if similarity >= NEAR_DUPLICATE_THRESHOLD and (best is None or similarity > best[0]):
            best = (similarity, candidate.duplicate_of or candidate.article_id)
    return (best[1], best[0]) if best else (None, None)


class NearDuplicateFinder:
    """Decides, one new article of a batch after the other, which earlier article each copies."""

    def __init__(self, con: duckdb.DuckDBPyConnection, new_articles: list[ArticleFingerprint]) -> None:
        self._stored = _stored_candidates(con, new_articles)
        self._batch: dict[tuple[int, int], list[NearMatch]] = defaultdict(list)

    def decide(self, fingerprint: ArticleFingerprint) -> tuple[str | None, float | None]:
        """(duplicate_of, similarity) of a new article; it is then a candidate for the batch's later ones."""
        candidates = dict(self._stored.get(fingerprint.article_id, {}))
        for bucket in fingerprint.buckets:
            for other in self._batch.get(bucket, ()):
                candidates.setdefault(other.article_id, other)
        duplicate_of, similarity = best_near_match(fingerprint.signature, candidates.values())
        match = NearMatch(fingerprint.article_id, duplicate_of, fingerprint.signature)
        for bucket in fingerprint.buckets:
            self._batch[bucket].append(match)
        return duplicate_of, similarity


def _stored_candidates(
    con: duckdb.DuckDBPyConnection, new_articles: list[ArticleFingerprint]
) -> dict[str, dict[str, NearMatch]]:
    """For each new article, the stored articles sharing at least one LSH bucket with it."""
    if not new_articles:
        return {}
    probe = [
        {"article_id": fp.article_id, "band": band, "bucket": bucket}
        for fp in new_articles
        for band, bucket in fp.buckets
    ]
    with registered(con, "lsh_probe", typed_rows(con, "article_lsh_buckets", probe)):
        # pairs first, signatures after: DISTINCT over 128-number lists made this 15× slower
        # when a batch holds many copies of the same texts (bench/throughput.py)
        rows = con.execute(
            """WITH pairs AS (
                   SELECT DISTINCT p.article_id AS new_id, b.article_id AS known_id
                   FROM lsh_probe p JOIN article_lsh_buckets b ON b.band = p.band AND b.bucket = p.bucket
                   WHERE b.article_id <> p.article_id)
               SELECT pairs.new_id, a.article_id, a.duplicate_of, m.signature
               FROM pairs
               JOIN articles a ON a.article_id = pairs.known_id
               JOIN article_minhash m ON m.article_id = pairs.known_id"""
        ).fetchall()
    candidates: dict[str, dict[str, NearMatch]] = defaultdict(dict)
    for new_id, known_id, duplicate_of, signature in rows:
        candidates[new_id][known_id] = NearMatch(known_id, duplicate_of, np.asarray(signature, np.uint32))
    return candidates


def index_articles(con: duckdb.DuckDBPyConnection, fingerprints: Mapping[str, ArticleFingerprint]) -> None:
    """Store the signatures and buckets of new articles (by article id)."""
    insert_rows(
        con,
        "article_minhash",
        [{"article_id": article_id, "signature": fp.signature.tolist()} for article_id, fp in fingerprints.items()],
    )
    _insert_buckets(con, fingerprints)


def reindex_article(con: duckdb.DuckDBPyConnection, article_id: str, fingerprint: ArticleFingerprint) -> None:
    """A known article's text changed: its signature and buckets are the new text's."""
    con.execute(
        "UPDATE article_minhash SET signature = ? WHERE article_id = ?", [fingerprint.signature.tolist(), article_id]
    )
    con.execute("DELETE FROM article_lsh_buckets WHERE article_id = ?", [article_id])
    _insert_buckets(con, {article_id: fingerprint})


def _insert_buckets(con: duckdb.DuckDBPyConnection, fingerprints: Mapping[str, ArticleFingerprint]) -> None:
    rows = [
        {"band": band, "bucket": bucket, "article_id": article_id}
        for article_id, fp in fingerprints.items()
        for band, bucket in fp.buckets
    ]
    insert_rows(con, "article_lsh_buckets", rows, key=("band", "bucket", "article_id"))
