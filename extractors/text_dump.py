"""Parse a plain-text dump of a news page (article, author box, comments) into a ParsedPage.

Layout of a dump, top to bottom: an optional headline (possibly repeated in other
words), optional byline and date lines, the article paragraphs (unindented, separated
by blank lines), an optional author block (name line + biography), then the comment
region, which starts at the "N COMMENTS" header (or, without one, at the first `  N.`
comment). Comments are indented: `  N. text` at top level, `•` bullets two spaces deeper
per reply level. Anything unindented in the comment region is page tail (comment form,
footer links): neither comment nor article text.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from itertools import islice

from extractors.dates import parse_published_date
from extractors.decoding import decode_text
from extractors.errors import NoArticleText
from extractors.language import detect_language
from extractors.lineage import TEXT_DUMP_EXTRACTOR_VERSION
from extractors.records import ParsedComment, ParsedPage
from extractors.spam import classify_comment

EXTRACTION_METHOD = "text_dump"
# ParsedPage.date_source of a dump's date: its byline or date line, in the run of short lines at the top.
DATE_SOURCE = "text-dump"

_MAX_HEADLINE_CHARS = 150
# "UK-France Move Toward…" vs "Britain and France Move Toward…" scores 0.90.
_MIN_REPEATED_HEADLINE_SIMILARITY = 0.75

_COMMENTS_HEADER = re.compile(r"(?P<count>\d[\d,]*)\s+comments?|no\s+comments", re.IGNORECASE)
_TOP_LEVEL_MARKER = re.compile(r"  \d+\.(?:\s+(?P<text>.*))?")  # exactly two spaces: deeper `1.` is text
_REPLY_MARKER = re.compile(r"(?P<indent> {2,})•(?:\s+(?P<text>.*))?")
_BYLINE = re.compile(r"(?:written\s+)?by\s+(?P<name>.+?)(?:\s*(?:[|,]|\s[-–—])\s*(?P<rest>.+))?", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"(?:published|updated|last\s+updated|posted|date)(?:\s+on)?\s*:?\s*", re.IGNORECASE)
_SENTENCE_END = (".", ",", ";", ":")
_CLOSING_QUOTES = "\"'”’)]"
_TRAILING_MARKS = " .:…"
_NAME_PARTICLES = frozenset({"and", "de", "da", "di", "van", "von", "der", "den", "la", "le", "bin", "al"})


@dataclass(frozen=True)
class LineSet:
    """Whole lines matched case-insensitively, with surrounding whitespace and trailing dots or colons
    trimmed ("Share this:", "You may also like..."), see furniture.toml. The HTML extractor uses them too."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def from_table(cls, table: dict[str, list[str]]) -> LineSet:
        return cls(
            exact=frozenset(_normalise(entry) for entry in table["exact"]),
            prefixes=tuple(entry.lstrip().casefold() for entry in table["prefixes"]),
        )

    def matches(self, line: str) -> bool:
        key = _normalise(line)
        return key in self.exact or key.startswith(self.prefixes)


def _normalise(line: str) -> str:
    return " ".join(line.split()).casefold().rstrip(_TRAILING_MARKS)


def _load_furniture() -> tuple[LineSet, LineSet]:
    table = tomllib.loads(resources.files("extractors").joinpath("furniture.toml").read_text(encoding="utf-8"))
    return LineSet.from_table(table["drop"]), LineSet.from_table(table["navigation"])


DROPPED_LINES, NAVIGATION_MARKERS = _load_furniture()


def parse_text_dump(data: bytes, source: str) -> ParsedPage:
    """Parse one text dump. Raises InputRejected subclasses (EmptyInput, BinaryInput,
    UndecodableInput from decoding; NoArticleText when only furniture/comments remain).

    Memory stays a small multiple of the dump's size. Its lines, as str objects, take a few
    times the size of the text, so each is let go once it is used: the comment region's while
    the comments are built, the article's before its language is detected.
    """
    article_lines, comment_lines = _split_at_comments(decode_text(data).split("\n"))
    comment_count_stated = _stated_comment_count(comment_lines)
    comments = _parse_comments(comment_lines)
    head, block_author, text = _read_article(article_lines)
    del article_lines
    if not text:
        raise NoArticleText("no article text left after removing headline, page furniture, author block and comments")
    return ParsedPage(
        source=source,
        text=text,
        extraction_method=EXTRACTION_METHOD,
        title=head.title,
        author=head.author or block_author,
        published_at=head.published_at,
        language=detect_language(text),
        comment_count_stated=comment_count_stated,
        comments=comments,
        comments_status=EXTRACTION_METHOD if comments else "none",
        extractor_version=TEXT_DUMP_EXTRACTOR_VERSION,
        date_source=DATE_SOURCE if head.published_at else None,
    )


def _split_at_comments(lines: list[str]) -> tuple[list[str], deque[str]]:
    """The lines before the comment region and the region's lines (`lines` is cut to the first)."""
    start = _comments_start(lines)
    comment_lines = deque(islice(lines, start, None))
    del lines[start:]
    return lines, comment_lines


def _read_article(lines: list[str]) -> tuple[_Head, str | None, str]:
    """Headline, byline and date; the author-block name; the article text."""
    body = [stripped for line in lines if not DROPPED_LINES.matches(stripped := line.strip())]
    block_author, body = _take_author_block(body)
    body = drop_navigation(body)
    head, body = _take_head(body)
    return head, block_author, "\n".join(_paragraph_lines(body))


# --- comments -------------------------------------------------------------------------


def _comments_start(lines: list[str]) -> int:
    """Index of the comments header or, on a page without one, of the first top-level comment."""
    for index, line in enumerate(lines):
        if _COMMENTS_HEADER.fullmatch(line.strip()) or _TOP_LEVEL_MARKER.fullmatch(line):
            return index
    return len(lines)


def _stated_comment_count(comment_lines: Iterable[str]) -> int | None:
    """The count the comments header states; no header can come before the comment region."""
    for line in comment_lines:
        if header := _COMMENTS_HEADER.fullmatch(line.strip()):
            return int(header["count"].replace(",", "")) if header["count"] else 0
    return None


@dataclass
class _CommentDraft:
    position: int
    depth: int
    parent_position: int | None
    # Stripped lines; None ends a paragraph. (A comment's first line may be "", so "" cannot.)
    lines: list[str | None]

    def add_line(self, line: str) -> None:
        self.lines.append(line)

    def end_paragraph(self) -> None:
        if self.lines[-1] is not None:
            self.lines.append(None)

    def finish(self) -> ParsedComment:
        if self.lines[-1] is None:
            self.lines.pop()
        # A paragraph end joined as "" between two "\n" separates paragraphs with a blank line.
        text = "\n".join("" if line is None else line for line in self.lines)
        return ParsedComment(
            position=self.position,
            depth=self.depth,
            parent_position=self.parent_position,
            text=text,
            spam_reason=classify_comment(text),
        )


def _comment_marker(line: str) -> tuple[int, str] | None:
    """(depth, first line of text) when `line` starts a comment, else None."""
    if top_level := _TOP_LEVEL_MARKER.fullmatch(line):
        return 0, (top_level["text"] or "").strip()
    if reply := _REPLY_MARKER.fullmatch(line):
        return (len(reply["indent"]) - 2) // 2, (reply["text"] or "").strip()
    return None


def _parse_comments(lines: deque[str]) -> tuple[ParsedComment, ...]:
    """The comments in page order. Empties `lines`: a long thread's lines are let go as its
    comments are built, not all kept beside them."""
    return tuple(_comments(_popped(lines)))


def _popped(lines: deque[str]) -> Iterator[str]:
    while lines:
        yield lines.popleft()


def _comments(lines: Iterable[str]) -> Iterator[ParsedComment]:
    """Each comment as soon as it ends, so that drafts never pile up beside the finished comments."""
    ancestors: list[tuple[int, int]] = []  # (position, depth) of comments a following reply may attach to
    current: _CommentDraft | None = None
    position = 0
    for line in lines:
        if marker := _comment_marker(line):
            if current is not None:
                yield current.finish()
            depth, first_line = marker
            # A reply whose parent was deleted skips a level: attach it to the nearest shallower comment.
            while ancestors and ancestors[-1][1] >= depth:
                ancestors.pop()
            parent_position = ancestors[-1][0] if ancestors else None
            current = _CommentDraft(position, depth, parent_position, [first_line])
            ancestors.append((position, depth))
            position += 1
        elif not line.strip():
            if current is not None:
                current.end_paragraph()
        elif line[0].isspace() and current is not None:
            # Continuation lines sit at the comment's text column; be tolerant of any indent,
            # since text after a comment in page order can only belong to that comment.
            current.add_line(line.strip())
        elif current is not None:
            yield current.finish()  # unindented: header, comment form or footer; not comment text
            current = None
    if current is not None:
        yield current.finish()


# --- article body (lists of stripped lines, "" separating paragraphs) ------------------


def looks_like_headline(line: str) -> bool:
    """Short and without the punctuation that ends a sentence."""
    return 0 < len(line) <= _MAX_HEADLINE_CHARS and not line.rstrip(_CLOSING_QUOTES).endswith(_SENTENCE_END)


def _looks_like_name(text: str, min_words: int, max_words: int) -> bool:
    """ "Jane Smith", "Ursula von der Leyen": capitalised words, no digits, no closing punctuation."""
    words = text.split()
    if not min_words <= len(words) <= max_words or text.endswith(_SENTENCE_END):
        return False
    return all(
        word.casefold() in _NAME_PARTICLES or (word[0].isupper() and not any(char.isdigit() for char in word))
        for word in words
    )


def _take_author_block(lines: list[str]) -> tuple[str | None, list[str]]:
    """Find "Full Name" followed by a biography paragraph starting with the first name.

    Returns the name and the lines without name and biography. The first line is never
    taken: that is the headline slot, and an article may well open with the person it
    is about.
    """
    first_line = next((index for index, line in enumerate(lines) if line), len(lines))
    for index in range(first_line + 1, len(lines)):
        name = lines[index]
        if not _looks_like_name(name, min_words=2, max_words=4):
            continue
        bio_start = next((later for later in range(index + 1, len(lines)) if lines[later]), None)
        if bio_start is None or not re.match(rf"{re.escape(name.split()[0])}\b", lines[bio_start]):
            continue
        bio_end = next((later for later in range(bio_start, len(lines)) if not lines[later]), len(lines))
        return name, lines[:index] + lines[bio_end:]
    return None, lines


def drop_navigation(lines: list[str]) -> list[str]:
    """Drop navigation markers and the headlines of the articles they link to."""
    kept: list[str] = []
    in_link_list = False
    for line in lines:
        if NAVIGATION_MARKERS.matches(line):
            in_link_list = True
        elif in_link_list and (not line or looks_like_headline(line)):
            continue
        else:
            in_link_list = False
            kept.append(line)
    return kept


@dataclass
class _Head:
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None


def _take_head(lines: list[str]) -> tuple[_Head, list[str]]:
    """Read headline, byline and date from the run of short lines that opens the page.

    The first short line that is neither byline nor date is the headline; later ones
    similar to it are the page repeating its headline and are dropped. Other short
    lines (a standfirst, say) stay article text.
    """
    head = _Head()
    body_start = next((index for index, line in enumerate(lines) if line and not looks_like_headline(line)), len(lines))
    kept: list[str] = []
    for line in lines[:body_start]:
        if not line:
            kept.append(line)
        elif byline := parse_byline(line):
            head.author = head.author or byline[0]
            head.published_at = head.published_at or byline[1]
        elif published_at := parse_date_line(line):
            head.published_at = head.published_at or published_at
        elif head.title is None:
            head.title = line
        elif not is_same_headline(line, head.title):
            kept.append(line)
    return head, kept + lines[body_start:]


def parse_byline(line: str) -> tuple[str, datetime | None] | None:
    """("Name", date or None) for "By Name" / "By Name | 3 March 2025", else None."""
    byline = _BYLINE.fullmatch(line)
    if byline is None or not _looks_like_name(byline["name"], min_words=1, max_words=6):
        return None
    return byline["name"], parse_date_line(byline["rest"]) if byline["rest"] else None


def parse_date_line(line: str) -> datetime | None:
    """The date a line such as "Published: 3 March 2025 10:14" states, else None."""
    prefix = _DATE_PREFIX.match(line)
    return parse_published_date(line[prefix.end() :] if prefix else line)  # the whole rest must be a date


def is_same_headline(line: str, title: str) -> bool:
    matcher = difflib.SequenceMatcher(None, line.casefold(), title.casefold())
    threshold = _MIN_REPEATED_HEADLINE_SIMILARITY
    # real_quick_ratio() and quick_ratio() are cheap upper bounds of ratio(): most lines fail them.
    return (
        matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
    )


def _paragraph_lines(lines: list[str]) -> Iterator[str]:
    """The non-empty lines, with one "" where paragraphs meet: joined by "\n" that gives the
    paragraphs separated by a blank line, without a string per paragraph on the way."""
    text_seen = False
    paragraph_ended = False
    for line in lines:
        if not line:
            paragraph_ended = text_seen
            continue
        if paragraph_ended:
            yield ""
            paragraph_ended = False
        yield line
        text_seen = True
