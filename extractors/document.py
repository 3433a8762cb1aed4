"""What the extractors produce: plain dataclasses, no I/O.

Every parser in this package is a pure function from bytes/str to a `ParsedPage`
(or raises `extractors.errors.InputRejected`). Loading, deduplication and ids
are the warehouse's job.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ParsedComment:
    """One reader comment, in page order.

    `position` is the 0-based order on the page; `parent_position` points at the
    `position` of the comment it replies to (None for top level). `depth` is the
    nesting shown by the page (top level = 0); when a reply skips a level because
    its parent was deleted, `depth` keeps the page's nesting while the parent is
    the nearest shallower comment above it.
    """

    position: int
    depth: int
    parent_position: int | None
    text: str
    author: str | None = None
    published_at: datetime | None = None
    spam_reason: str | None = None  # None = not spam; else why it was flagged
    page_comment_id: str | None = None  # the page's own id, e.g. "comment-1234", when it has one
    kind: str = "comment"  # comment | pingback | trackback

    @property
    def is_spam(self) -> bool:
        return self.spam_reason is not None


@dataclass(frozen=True)
class ParsedPage:
    """One article page as extracted from one input (file or URL)."""

    source: str  # the file path or URL the page came from
    text: str  # clean article body: no furniture, no comments, no author bio
    extraction_method: str  # 'text_dump' | 'trafilatura'
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    url: str | None = None  # canonical URL when the page states one
    comment_count_stated: int | None = None
    comments: tuple[ParsedComment, ...] = field(default_factory=tuple)
    # How comments were found: 'text_dump', a markup family such as 'wordpress', 'flat_text'
    # (trafilatura's blob), 'none' (page has no comments) or 'not_in_html' (a JavaScript embed).
    comments_status: str | None = None
