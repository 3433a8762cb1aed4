"""Every record that crosses a layer: plain dataclasses, no I/O, no heavy imports.

Parsers turn bytes into `ParsedPage`s (or raise `extractors.errors.InputRejected`); the
fetcher turns URLs into `FetchResult`s with their `FetchAttempt`s; the warehouse takes pages,
`RejectRecord`s and `CrawlRecords` and answers with `LoadCounts`; flows pass these between
the two. Loading, deduplication and ids are the warehouse's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal

from extractors.errors import FetchError, InputRejected

__all__ = [
    "CrawlBatch",
    "CrawlRecords",
    "Expect",
    "FetchAttempt",
    "FetchRequest",
    "FetchResult",
    "InputState",
    "LoadCounts",
    "ParsedComment",
    "ParsedPage",
    "RejectRecord",
    "Target",
    "UrlVisit",
    "WatchedSource",
]


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
    published_raw: str | None = None  # the date as the page states it (attribute value or shown text)

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
    extractor_version: str | None = None
    date_source: str | None = None


@dataclass(frozen=True)
class InputState:
    """A local file as it was when last read and by which extractors: a later run skips it
    when its size and mtime are the same, or its bytes hash the same (a `touch`), unless
    the extractors changed since (their version differs)."""

    source: str
    size: int
    mtime_ns: int
    content_sha256: str
    extractor_version: str
    outcome: Literal["loaded", "rejected"]


# --- fetching ------------------------------------------------------------------------------

# html: an article or section page; feed: RSS/Atom/sitemap; html_or_feed: a URL given as input,
# whose kind is known only after fetching; any: robots.txt (served with all sorts of types).
Expect = Literal["html", "feed", "html_or_feed", "any"]


@dataclass(frozen=True)
class FetchAttempt:
    """One HTTP request, successful or not: a row of the `fetches` table.

    `url` is the URL the fetch was for (the page asked for, or a host's robots.txt);
    `final_url` the URL this request went to (differs after redirects). `status`,
    `content_type`, `etag` and `last_modified` are None when no response arrived.
    `bytes` counts decompressed body bytes read. `error_class`/`error_message` name the
    FetchError this attempt ended in, if any.
    """

    url: str
    final_url: str
    status: int | None
    content_type: str | None
    bytes: int
    elapsed_ms: int
    attempt: int  # 1-based, per hop: retries of one redirect hop count 1, 2, ...
    error_class: str | None
    error_message: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime


@dataclass(frozen=True)
class FetchRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    expect: Expect = "html"


@dataclass(frozen=True)
class FetchResult:
    """The outcome of fetching one URL: a body, a 304, or an `error` (then body and text are None).

    `etag`/`last_modified` are the validators to send next time (on a 304 without them, the
    ones that were sent). `text` is the body decoded to str.
    """

    url: str
    final_url: str
    status: int | None
    content_type: str | None
    body: bytes | None
    text: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    attempts: tuple[FetchAttempt, ...]
    error: FetchError | None

    @property
    def ok(self) -> bool:
        return self.error is None


# --- crawling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A URL to fetch and why: `kind` is 'unknown' for URLs given as input (detected after fetching)."""

    url: str  # canonical
    kind: str  # article | feed | sitemap | section | unknown
    found_via: str  # input | feed | sitemap | page | watchlist
    found_on: str | None = None


@dataclass(frozen=True)
class UrlVisit:
    """What one run learned about one canonical URL (found, fetched, or both)."""

    url: str
    kind: str  # article | feed | sitemap | section
    found_via: str  # input | feed | sitemap | page | watchlist
    found_on: str | None = None
    fetched: bool = False
    status: int | None = None
    error_reason: str | None = None
    transient_error: bool = False
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    article_id: str | None = None
    content_sha256: str | None = None  # of the body an article was extracted from
    # Not fetched this run, not failed: due again at `retry_at` (None: at once); the reason
    # (retry_after, run_deadline, url_limit) is in `error_reason`.
    deferred: bool = False
    retry_at: datetime | None = None


@dataclass(frozen=True)
class CrawlRecords:
    """The fetch log and URL-frontier updates a batch writes beside its pages."""

    attempts: list[FetchAttempt] = field(default_factory=list)
    visits: list[UrlVisit] = field(default_factory=list)


@dataclass(frozen=True)
class WatchedSource:
    """One source on the watchlist (a feed, sitemap or section page the monitor polls)."""

    name: str
    kind: str  # feed | sitemap | section
    url: str  # canonical
    poll_interval_min: float = 15.0
    tags: tuple[str, ...] = field(default_factory=tuple)
    max_new_articles: int | None = None  # new article links followed per poll


# --- loading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectRecord:
    """An input that ended as a row of `rejects` rather than as articles."""

    source: str
    stage: str
    reason: str
    detail: str
    input_hash: str | None = None

    @classmethod
    def from_error(
        cls,
        source: str,
        error: BaseException,
        input_hash: str | None = None,
        stage: str = "extract",
        reason: str = "parser_error",
    ) -> RejectRecord:
        """An InputRejected keeps its own stage, reason and detail; any other exception (a bug
        met on one input) is recorded under `stage`/`reason` with its type and message."""
        if isinstance(error, InputRejected):
            return cls(source, error.stage, error.reason, error.detail, input_hash)
        return cls(source, stage, reason, f"{type(error).__name__}: {error}", input_hash)


@dataclass
class CrawlBatch:
    """What one batch of fetch results became."""

    pages: list[ParsedPage] = field(default_factory=list)
    rejects: list[RejectRecord] = field(default_factory=list)
    visits: list[UrlVisit] = field(default_factory=list)
    attempts: list[FetchAttempt] = field(default_factory=list)
    discovered: list[Target] = field(default_factory=list)
    not_modified: int = 0

    def extend(self, other: CrawlBatch) -> None:
        """Add what another slice of the same batch became."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            setattr(self, item.name, mine + theirs)


@dataclass
class LoadCounts:
    """What loading did, per batch and summed per run."""

    articles_new: int = 0
    articles_duplicate: int = 0
    articles_near_duplicate: int = 0
    articles_updated: int = 0
    comments_new: int = 0
    comments_spam: int = 0
    comments_seen_again: int = 0
    rejects: int = 0

    def add(self, other: LoadCounts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
