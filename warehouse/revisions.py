"""Article revisions: every version of an article's text, how much it changed, a readable diff.

`articles` shows an article's latest text; `article_revisions` keeps each version seen
(revision 1 is the first), so a silent edit shows as a new revision.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb

from extractors.records import ParsedPage
from warehouse.arrow_io import insert_rows

__all__ = ["TextChange", "add_revision", "insert_first_revisions", "readable_diff", "text_change", "word_count"]


# Words are counted this many characters at a time: str.split() of a 40 MB text alone is some 400 MB.
_WORD_COUNT_CHUNK_CHARS = 1 << 16
_WHITESPACE_CHAR = re.compile(r"\s")


def word_count(text: str) -> int:
    """len(text.split()), a part at a time: each part ends just after a whitespace character,
    so no word spans two."""
    count = start = 0
    while start < len(text):
        space = _WHITESPACE_CHAR.search(text, start + _WORD_COUNT_CHUNK_CHARS)
        end = space.end() if space else len(text)
        count += len(text[start:end].split())
        start = end
    return count


@dataclass(frozen=True)
class TextChange:
    similarity: float  # difflib ratio over words: 1.0 = identical
    words_added: int
    words_removed: int


def text_change(old: str, new: str) -> TextChange:
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    added = removed = 0
    for op, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed += a_end - a_start
        if op in ("replace", "insert"):
            added += b_end - b_start
    return TextChange(round(matcher.ratio(), 4), added, removed)


def readable_diff(old: str, new: str, old_label: str, new_label: str, width: int = 100) -> str:
    """A unified diff over wrapped lines, so a one-word edit in a long paragraph shows as one line."""

    def lines(text: str) -> list[str]:
        return [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, width) or [""])]

    return "\n".join(difflib.unified_diff(lines(old), lines(new), old_label, new_label, lineterm=""))


def insert_first_revisions(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, pages: Mapping[str, tuple[ParsedPage, str]]
) -> None:
    """Revision 1 of new articles: article id -> (page, content hash)."""
    rows = [
        _revision_row(article_id, 1, page, content_hash, run_id, now)
        for article_id, (page, content_hash) in pages.items()
    ]
    insert_rows(con, "article_revisions", rows)


def add_revision(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, article_id: str, page: ParsedPage, content_hash: str
) -> None:
    """The next revision of a known article, measured against the text `articles` still holds."""
    [(previous_text, latest)] = con.execute(
        """SELECT a.text, max(r.revision) FROM articles a JOIN article_revisions r USING (article_id)
           WHERE a.article_id = ? GROUP BY a.text""",
        [article_id],
    ).fetchall()
    change = text_change(previous_text, page.text)
    insert_rows(
        con, "article_revisions", [_revision_row(article_id, latest + 1, page, content_hash, run_id, now, change)]
    )


def _revision_row(
    article_id: str,
    revision: int,
    page: ParsedPage,
    content_hash: str,
    run_id: str,
    now: datetime,
    change: TextChange | None = None,
) -> dict:
    """A revision row; the change columns only from revision 2 on (revision 1 leaves them NULL)."""
    row = {
        "article_id": article_id,
        "revision": revision,
        "content_hash": content_hash,
        "title": page.title,
        "text": page.text,
        "word_count": word_count(page.text),
        "seen_at": now,
        "run_id": run_id,
        "source": page.source,
    }
    if change is not None:
        row |= {
            "similarity_to_previous": change.similarity,
            "words_added": change.words_added,
            "words_removed": change.words_removed,
        }
    return row
