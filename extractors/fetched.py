"""What a batch of fetch results becomes: pages to load, rejects, links to follow, URL states.

Pure: no network (extractors/fetch/ did that) and no database (warehouse/ does that).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from extractors.discovery import (
    detect_source_kind,
    links_from_feed,
    links_from_section_page,
    links_from_sitemap,
)
from extractors.errors import FetchDeferred, InputRejected, TransientFetchError
from extractors.html_page import extract_html_page
from extractors.records import CrawlBatch, FetchResult, RejectRecord, Target, UrlVisit
from extractors.urls import canonical_url

# What a fetched document is expected to be, by the kind of URL that was requested.
EXPECT_BY_KIND = {"article": "html", "section": "html", "feed": "feed", "sitemap": "feed", "unknown": "html_or_feed"}
_KIND_BY_DETECTED = {"feed": "feed", "sitemap": "sitemap", "page": "article"}


def process_fetch_results(
    targets: list[Target], results: list[FetchResult], extracted_before: Mapping[str, str] | None = None
) -> CrawlBatch:
    """`extracted_before`: URL → hash of the body its article was last extracted from; a body
    with that hash again counts as not modified (a server without validators answered 200)."""
    extracted_before = extracted_before or {}
    batch = CrawlBatch()
    for target, result in zip(targets, results, strict=True):
        batch.attempts.extend(result.attempts)
        kind = target.kind
        if isinstance(result.error, FetchDeferred):  # not a failure: back to the frontier
            batch.visits.append(deferred_visit(target, result.error.reason, result.error.retry_at))
            continue
        if result.error is not None:
            error = result.error
            batch.rejects.append(RejectRecord.from_error(target.url, error))
            batch.visits.append(
                _visit(
                    target, kind, result, error_reason=error.reason, transient=isinstance(error, TransientFetchError)
                )
            )
            continue
        if _extracted_before(target.url, result, extracted_before):
            batch.not_modified += 1
            batch.visits.append(_visit(target, kind, result, not_modified=True))
            continue
        if kind == "unknown":
            kind = _KIND_BY_DETECTED[detect_source_kind(result.text or "", result.content_type)]
        body_sha256 = _sha256(result.body)
        try:
            links = _handle_document(target, kind, result, batch)
        except Exception as error:  # one bad page (or a parser bug on it) must not stop the run
            reject = RejectRecord.from_error(target.url, error, body_sha256)
            batch.rejects.append(reject)
            batch.visits.append(_visit(target, kind, result, error_reason=reject.reason))
            continue
        # a source that lists nothing new counts as unchanged: it is polled less often
        unchanged = kind != "article" and not links
        extracted = body_sha256 if kind == "article" else None
        batch.visits.append(_visit(target, kind, result, not_modified=unchanged, content_sha256=extracted))
        batch.discovered.extend(links)
    return batch


def documents_to_extract(targets: list[Target], results: list[FetchResult], extracted_before: Mapping[str, str]) -> int:
    """How many of `results` process_fetch_results will parse: bodies that are neither a 304
    nor the body their URL's article was last extracted from. What a batch's extraction costs."""
    return sum(
        r.body is not None and not _extracted_before(t.url, r, extracted_before)
        for t, r in zip(targets, results, strict=True)
    )


def _extracted_before(url: str, result: FetchResult, extracted_before: Mapping[str, str]) -> bool:
    """A 304, or a 200 with the very body this URL's article was last extracted from."""
    known = extracted_before.get(url)
    return result.not_modified or (known is not None and known == _sha256(result.body))


def _sha256(body: bytes | None) -> str:
    return hashlib.sha256(body or b"").hexdigest()


def _handle_document(target: Target, kind: str, result: FetchResult, batch: CrawlBatch) -> list[Target]:
    """Extract an article into batch.pages, or return the links a source lists."""
    text = result.text or ""
    if kind == "article":
        # the fetcher's decoding (header, meta, detection: checked to decode) beats trafilatura's guess
        page = extract_html_page(result.text if result.text is not None else result.body or b"", target.url)
        batch.pages.append(replace(page, url=_page_url(page.url, result.final_url)))
        return []
    if kind == "feed" and detect_source_kind(text, result.content_type) == "sitemap":
        kind = "sitemap"  # a watchlist "feed" that is really a sitemap still works
    if kind == "feed":
        return [Target(url, "article", "feed", target.url) for url in links_from_feed(text, result.final_url)]
    if kind == "sitemap":
        pages, children = links_from_sitemap(text, result.final_url)
        return [Target(url, "article", "sitemap", target.url) for url in pages] + [
            Target(url, "sitemap", "sitemap", target.url) for url in children
        ]
    return [Target(url, "article", "page", target.url) for url in links_from_section_page(text, result.final_url)]


def _page_url(declared: str | None, final_url: str) -> str:
    """The page's own rel=canonical / og:url when it is a valid http(s) URL, else where we landed."""
    for candidate in (declared, final_url):
        if candidate:
            try:
                return canonical_url(candidate)
            except InputRejected:
                continue
    return final_url


def _visit(
    target: Target,
    kind: str,
    result: FetchResult,
    *,
    error_reason: str | None = None,
    transient: bool = False,
    not_modified: bool = False,
    content_sha256: str | None = None,
) -> UrlVisit:
    return UrlVisit(
        url=target.url,
        kind=kind if kind != "unknown" else "article",
        found_via=target.found_via,
        found_on=target.found_on,
        fetched=True,
        status=result.status,
        error_reason=error_reason,
        transient_error=transient,
        not_modified=not_modified,
        etag=result.etag,
        last_modified=result.last_modified,
        content_sha256=content_sha256,
    )


def deferred_visit(target: Target, reason: str, retry_at: datetime | None = None) -> UrlVisit:
    """A URL not fetched this run for `reason`, due again at `retry_at` (None: at once)."""
    kind = target.kind if target.kind != "unknown" else "article"
    return UrlVisit(
        url=target.url,
        kind=kind,
        found_via=target.found_via,
        found_on=target.found_on,
        error_reason=reason,
        deferred=True,
        retry_at=retry_at,
    )
