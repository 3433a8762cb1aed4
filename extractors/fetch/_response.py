"""One HTTP response: what it means and what it holds.

The status becomes a redirect, a FetchError or a pass (`classify_status`, with Retry-After
read by `parse_retry_after`; one longer than we wait is ServerAskedToWait); the Content-Type
must match `expect` before any body is read, or, when the server sent none, the body's start
must look like a type `expect` accepts (`read_accepted_body`); the body is decompressed as it
arrives and never past the size limit; and the outcome becomes a FetchResult
(`result`, `failed_result`).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urljoin

import httpx

from extractors.decoding import decode_body
from extractors.errors import (
    BodyTooLarge,
    FetchError,
    HttpStatusError,
    RateLimited,
    ServerAskedToWait,
    ServerError,
    UnsupportedContentType,
)
from extractors.fetch._decoders import content_decoder, gunzip_payload
from extractors.fetch._sniff import sniff_media_type
from extractors.records import Expect, FetchAttempt, FetchResult

__all__ = [
    "ACCEPT_HEADERS",
    "Exchange",
    "classify_status",
    "failed_result",
    "parse_retry_after",
    "read_accepted_body",
    "result",
]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})  # .xml.gz sitemaps
_FEED_TYPES = (
    frozenset(
        {
            "application/rss+xml",
            "application/atom+xml",
            "application/rdf+xml",  # RSS 1.0
            "application/xml",
            "text/xml",
            "text/plain",  # plain-text sitemaps
        }
    )
    | _GZIP_TYPES
)
_ACCEPTED_TYPES: dict[str, frozenset[str] | None] = {
    "html": _HTML_TYPES,
    "feed": _FEED_TYPES,
    "html_or_feed": _HTML_TYPES | _FEED_TYPES,
    "any": None,
}
ACCEPT_HEADERS = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.5,*/*;q=0.1",
    "html_or_feed": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1",
    "any": "*/*",
}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_WAIT_STATUSES = frozenset({429, 503})  # the answers whose Retry-After we wait for
# A Retry-After further off than this is taken as this: a server asking for a month (or for
# the year 9999) is most likely wrong, and the URL is better asked again in a week.
_LONGEST_RETRY_AFTER_S = 7 * 24 * 3600

# How far an HTTP exchange got: connecting, sending the request and waiting for the status
# line and headers, or reading the body.
Phase = Literal["connect", "headers", "body"]


@dataclass
class Exchange:
    """What one HTTP attempt got, filled in as the response arrives."""

    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    content_type: str | None = None  # the Content-Type, or the sniffed media type when the server sent none
    body: bytes | None = None
    size: int = 0  # decompressed body bytes read so far
    redirect_to: str | None = None
    phase: Phase = "connect"
    deadline_passed: bool = False  # ended by the request deadline, which is not retried


def classify_status(url: str, exchange: Exchange, longest_wait_s: float) -> None:
    """Sets `redirect_to` for a redirect, raises for an error status, passes 2xx and 304.

    A 429 or 503 whose Retry-After is longer than `longest_wait_s` is ServerAskedToWait,
    not retried now; the URL is due again when the server said."""
    status = exchange.status
    assert status is not None  # only called after a response arrived
    if 200 <= status < 300 or status == 304:
        return
    location = exchange.headers.get("location")
    if status in _REDIRECT_STATUSES and location:
        exchange.redirect_to = urljoin(url, location.strip())
        return
    described = f"{url}: HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
    now = datetime.now(UTC)
    retry_after = parse_retry_after(exchange.headers.get("retry-after"), now)
    if status in _WAIT_STATUSES and retry_after is not None and retry_after > longest_wait_s:
        retry_at = now + timedelta(seconds=min(retry_after, _LONGEST_RETRY_AFTER_S))
        raise ServerAskedToWait(
            f"{described} with Retry-After {retry_after:g} s, longer than the {longest_wait_s:g} s we wait"
            f" (backoff_max_s): not retried now, due again at {retry_at.isoformat(timespec='seconds')}",
            retry_at=retry_at,
        )
    if status == 429:
        raise RateLimited(described, retry_after=retry_after)
    if status >= 500:
        raise ServerError(described, status=status, retry_after=retry_after)
    if status in _REDIRECT_STATUSES:
        described += " without a Location header"
    raise HttpStatusError(described, status=status)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`; None when absent
    or unreadable, so the caller falls back to its own backoff."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def read_accepted_body(
    url: str, response: httpx.Response, expect: Expect, limit: int, exchange: Exchange, *, cut_at_limit: bool = False
) -> None:
    """A 2xx answer's body into `exchange`, if its type is one `expect` accepts; raises
    UnsupportedContentType otherwise. A Content-Type is checked before any body is read; without
    one (or an empty one) the body is read and its start sniffed, and the sniffed media type
    becomes `exchange.content_type`, so that decoding and page detection work as with a header."""
    accepted = _ACCEPTED_TYPES[expect]
    declared = _media_type(response.headers.get("content-type"))
    if declared and accepted is not None and declared not in accepted:
        given = response.headers["content-type"]
        raise UnsupportedContentType(f"{url}: {given} is not an accepted {expect} type ({_listed(accepted)})")
    exchange.body = await _read_body(url, response, limit, exchange, cut_at_limit=cut_at_limit)
    if declared:
        return
    exchange.content_type = sniff_media_type(exchange.body)
    if accepted is None or exchange.content_type in accepted:
        return
    if exchange.content_type is None:
        raise UnsupportedContentType(f"{url}: no Content-Type and the body does not look like HTML or a feed")
    raise UnsupportedContentType(
        f"{url}: no Content-Type, and the body looks like {exchange.content_type},"
        f" not an accepted {expect} type ({_listed(accepted)})"
    )


async def _read_body(
    url: str, response: httpx.Response, limit: int, exchange: Exchange, *, cut_at_limit: bool = False
) -> bytes:
    """The decompressed body, never more than `limit` bytes. Past the limit it is BodyTooLarge,
    or with `cut_at_limit` (robots.txt, RFC 9309 section 2.5) the lines that fit whole."""
    declared = response.headers.get("content-length", "")
    if not cut_at_limit and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"{url}: Content-Length is {declared} bytes, over the {limit}-byte limit")
    decoder = content_decoder(url, response.headers.get("content-encoding"))
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.feed(chunk, limit + 1 - len(body))
        exchange.size = len(body)
        if len(body) > limit and cut_at_limit:
            # Up to the last line break within limit + 1 bytes: the lines that fit in `limit` bytes.
            return bytes(body[: limit + 1].rpartition(b"\n")[0])
        if len(body) > limit:
            raise BodyTooLarge(f"{url}: body is over the {limit}-byte limit (decompressed); stopped reading")
    decoder.finish()
    if _media_type(response.headers.get("content-type")) in _GZIP_TYPES and body.startswith(b"\x1f\x8b"):
        return gunzip_payload(url, bytes(body), limit)
    return bytes(body)


def result(
    url: str,
    final_url: str,
    exchange: Exchange,
    attempts: list[FetchAttempt],
    sent_etag: str | None,
    sent_last_modified: str | None,
) -> FetchResult:
    not_modified = exchange.status == 304
    body = None if not_modified else exchange.body or b""
    return FetchResult(
        url=url,
        final_url=final_url,
        status=exchange.status,
        content_type=exchange.content_type,
        body=body,
        text=None if body is None else decode_body(body, exchange.content_type),
        etag=exchange.headers.get("etag") or (sent_etag if not_modified else None),
        last_modified=exchange.headers.get("last-modified") or (sent_last_modified if not_modified else None),
        not_modified=not_modified,
        attempts=tuple(attempts),
        error=None,
    )


def failed_result(url: str, hops: list[str], attempts: list[FetchAttempt], error: FetchError) -> FetchResult:
    final_url = hops[-1] if hops else url
    # The response details, when the last hop got as far as a response (not a robots.txt attempt).
    last = attempts[-1] if attempts and (attempts[-1].url, attempts[-1].final_url) == (url, final_url) else None
    return FetchResult(
        url=url,
        final_url=final_url,
        status=last.status if last else None,
        content_type=last.content_type if last else None,
        body=None,
        text=None,
        etag=None,
        last_modified=None,
        not_modified=False,
        attempts=tuple(attempts),
        error=error,
    )


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _listed(media_types: frozenset[str]) -> str:
    return ", ".join(sorted(media_types))
