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

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from extractors.decoding import decode_text
from extractors.errors import NoArticleText
from extractors.furniture import (
    DROPPED_LINES,
    drop_navigation,
    is_same_headline,
    looks_like_headline,
    looks_like_name,
    parse_byline,
    parse_date_line,
)
from extractors.language import detect_language
from extractors.lineage import TEXT_DUMP_EXTRACTOR_VERSION
from extractors.records import ParsedComment, ParsedPage
from extractors.spam import classify_comment

EXTRACTION_METHOD = "text_dump"
# ParsedPage.date_source of a dump's date: its byline or date line, in the run of short lines at the top.
DATE_SOURCE = "text-dump"


_COMMENTS_HEADER = re.compile(r"(?P<count>\d[\d,]*)\s+comments?|no\s+comments", re.IGNORECASE)
_TOP_LEVEL_MARKER = re.compile(r"  \d+\.(?:\s+(?P<text>.*))?")  # exactly two spaces: deeper `1.` is text
_REPLY_MARKER = re.compile(r"(?P<indent> {2,})•(?:\s+(?P<text>.*))?")


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


def _take_author_block(lines: list[str]) -> tuple[str | None, list[str]]:
    """Find "Full Name" followed by a biography paragraph starting with the first name.

    Returns the name and the lines without name and biography. The first line is never
    taken: that is the headline slot, and an article may well open with the person it
    is about.
    """
    first_line = next((index for index, line in enumerate(lines) if line), len(lines))
    for index in range(first_line + 1, len(lines)):
        name = lines[index]
        if not looks_like_name(name, min_words=2, max_words=4):
            continue
        bio_start = next((later for later in range(index + 1, len(lines)) if lines[later]), None)
        if bio_start is None or not re.match(rf"{re.escape(name.split()[0])}\b", lines[bio_start]):
            continue
        bio_end = next((later for later in range(bio_start, len(lines)) if not lines[later]), len(lines))
        return name, lines[:index] + lines[bio_end:]
    return None, lines


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
