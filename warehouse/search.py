"""Full-text search of the lake: BM25 ranking by DuckDB's fts extension, on a derived index.

The fts extension cannot index a DuckLake table, so the index is a plain DuckDB file beside a
SQLite catalog (`data/newsmon.search.duckdb` for `data/newsmon.sqlite`; for a PostgreSQL
catalog, under the system temp directory, named by a hash of the catalog). It holds copies of
articles (article_id, title, text, url) and comments (comment_id, article_id, author, text, and
their article's url), an fts index on each, and the lake snapshot they were copied at.

Each search compares that snapshot with the lake's current one. When the lake has moved on (a
batch committed) or there is no index yet, it builds a new one into a temporary file beside it
and swaps it in with os.replace: a search reading the old file keeps reading it, and a lock
file makes a second search wait for the first one's build instead of building it again. The
query text is a bound parameter of `match_bm25`, never part of the SQL.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from extractors.errors import NewsmonError, WarehouseError
from warehouse import db

__all__ = ["EmptySearch", "Hits", "index_path", "refresh_index", "search"]

SNIPPET_CHARS = 160
_BUILD, _INDEX = "search_build", "search_index"

_COPIES = (  # (table, key, indexed columns, the copy as of snapshot {v})
    (
        "articles",
        "article_id",
        ("title", "text"),
        "SELECT article_id, title, text, url FROM lake.articles AT (VERSION => {v})",
    ),
    (
        "comments",
        "comment_id",
        ("text",),
        "SELECT c.comment_id, c.article_id, c.author, c.text, a.url FROM lake.comments AS c AT (VERSION => {v}) "
        "LEFT JOIN lake.articles AS a AT (VERSION => {v}) USING (article_id)",
    ),
)
_RANKED = (  # the best ids first, then the text of those only
    "SELECT round(r.score, 4), {columns} FROM (SELECT {key}, score FROM (SELECT {key}, {score} AS score "
    "FROM {table}) WHERE score IS NOT NULL ORDER BY score DESC, {key} LIMIT $limit) r "
    "JOIN {table} t USING ({key}) ORDER BY r.score DESC, t.{key}"
)
_QUERIES = {  # an article's score: BM25 over title and text, plus BM25 of the title alone
    False: (
        ("score", "article_id", "title", "url", "snippet"),
        _RANKED.format(
            table="articles",
            key="article_id",
            score="fts_main_articles.match_bm25(article_id, $query) "
            "+ coalesce(fts_main_articles.match_bm25(article_id, $query, fields := 'title'), 0)",
            columns="t.article_id, t.title, t.url, t.text",
        ),
    ),
    True: (
        ("score", "comment_id", "article_id", "author", "url", "snippet"),
        _RANKED.format(
            table="comments",
            key="comment_id",
            score="fts_main_comments.match_bm25(comment_id, $query)",
            columns="t.comment_id, t.article_id, t.author, t.url, t.text",
        ),
    ),
}


class EmptySearch(NewsmonError):
    """A search for nothing: the query holds no word."""


@dataclass(frozen=True)
class Hits:
    """Best first: `rows` of `columns` (the last one a snippet of the text around a term)."""

    columns: tuple[str, ...]
    rows: list[tuple]
    snapshot_id: int  # the lake snapshot the index was built from
    rebuilt: bool  # whether this search had to build the index


def index_path(spec: str | Path) -> Path:
    catalog = db.catalog_of(spec)
    if catalog.kind == "sqlite":
        location = Path(catalog.location)
        return location.with_name(f"{location.stem}.search.duckdb")
    digest = hashlib.sha256(catalog.uri.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"newsmon-search-{digest}.duckdb"


def search(spec: str | Path, query: str, *, comments: bool = False, limit: int = 20) -> Hits:
    """The best `limit` articles (by title and text), or comments (by text), for `query`."""
    if not re.search(r"\w", query):
        raise EmptySearch("nothing to search for: give one word or more")
    columns, sql = _QUERIES[comments]
    with db.reader(spec) as con:
        snapshot, rebuilt = _fresh_index(con, index_path(spec))
        found = con.execute(sql, {"query": query, "limit": limit}).fetchall()
    rows = [(*row[:-1], _snippet(row[-1] or "", query)) for row in found]
    return Hits(columns, rows, snapshot, rebuilt)


def refresh_index(spec: str | Path) -> bool:
    """Bring the index up to the lake's current snapshot; whether it had to be built."""
    with db.reader(spec) as con:
        return _fresh_index(con, index_path(spec))[1]


def _fresh_index(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, bool]:
    """Attach an index at least as new as the lake's current snapshot as the default catalog,
    building it first if need be: (its snapshot, whether it was built)."""
    current = db.current_snapshot(con)
    indexed = _attach_index(con, path)
    if indexed is not None and indexed >= current:
        return indexed, False
    with _locked(path):
        indexed = _attach_index(con, path)  # another search may have built it while we waited
        if indexed is not None and indexed >= current:
            return indexed, False
        _build(con, path, current)
    _attach_index(con, path)
    return current, True


def _attach_index(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """The snapshot of the index at `path`, attached read-only and in use; None if there is none."""
    if _INDEX in {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}:
        con.execute(f"USE {db.LAKE}")
        con.execute(f"DETACH {_INDEX}")
    if not path.is_file():
        return None
    try:
        con.execute(f"ATTACH {db.sql_literal(path)} AS {_INDEX} (READ_ONLY)")
        con.execute(f"USE {_INDEX}")
        return con.execute("SELECT snapshot_id FROM built_from").fetchone()[0]
    except duckdb.Error:
        return None  # unreadable, or from an older layout: rebuilt


def _build(con: duckdb.DuckDBPyConnection, path: Path, snapshot: int) -> None:
    building = path.with_name(f"{path.name}.{os.getpid()}.building")
    try:
        building.unlink(missing_ok=True)
        con.execute(f"ATTACH {db.sql_literal(building)} AS {_BUILD}")
        con.execute(f"USE {_BUILD}")
        for table, key, indexed, copy in _COPIES:
            con.execute(f"CREATE TABLE {table} AS {copy.format(v=int(snapshot))}")
            con.execute(f"PRAGMA create_fts_index('{table}', '{key}', {', '.join(repr(c) for c in indexed)})")
        con.execute("CREATE TABLE built_from AS SELECT ?::BIGINT AS snapshot_id, now() AS built_at", [snapshot])
        con.execute(f"USE {db.LAKE}")
        con.execute(f"DETACH {_BUILD}")  # checkpoints: one self-contained file, no WAL
        os.replace(building, path)
    except (OSError, duckdb.Error) as exc:
        building.unlink(missing_ok=True)
        raise WarehouseError(f"cannot build the search index {path}: {str(exc).strip().splitlines()[0]}") from exc


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(f"{path.name}.lock"), "w")  # noqa: SIM115 -- held for the block below
    except OSError as exc:
        raise WarehouseError(f"cannot write the search index beside {path}: {exc.strerror or exc}") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _snippet(text: str, query: str) -> str:
    """About SNIPPET_CHARS of `text` around the first word that starts like a query term."""
    text = " ".join(text.split())
    stems = [w if len(w) <= 4 else w[:-2] for w in re.findall(r"[^\W_]+", query.lower())]
    first = re.search(r"\b(?:" + "|".join(map(re.escape, stems)) + ")", text, re.IGNORECASE) if stems else None
    start = max(0, first.start() - SNIPPET_CHARS // 4) if first else 0
    if start:
        start = text.find(" ", start) + 1 or start  # a whole first word
    end = start + SNIPPET_CHARS
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
