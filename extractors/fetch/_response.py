"""One HTTP response: what it means and what it holds.

The status becomes a redirect, a FetchError or a pass (`classify_status`, with Retry-After
read by `parse_retry_after`); the Content-Type must match `expect` before any body is read
(`check_content_type`); the body is decompressed as it arrives and never past the size limit
(`read_body`); and the outcome becomes a FetchResult (`result`, `failed_result`).
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx

from extractors.decoding import decode_body
from extractors.errors import (
    BodyTooLarge,
    FetchError,
    HttpStatusError,
    RateLimited,
    ServerError,
    UnsupportedContentType,
)
from extractors.fetch._decoders import content_decoder, gunzip_payload
from extractors.records import Expect, FetchAttempt, FetchResult

__all__ = [
    "ACCEPT_HEADERS",
    "Exchange",
    "check_content_type",
    "classify_status",
    "failed_result",
    "parse_retry_after",
    "read_body",
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


@dataclass
class Exchange:
    """What one HTTP attempt got, filled in as the response arrives."""

    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes | None = None
    size: int = 0  # decompressed body bytes read so far
    redirect_to: str | None = None


def classify_status(url: str, exchange: Exchange) -> None:
    """Sets `redirect_to` for a redirect, raises for an error status, passes 2xx and 304."""
    status = exchange.status
    assert status is not None  # only called after a response arrived
    if 200 <= status < 300 or status == 304:
        return
    location = exchange.headers.get("location")
    if status in _REDIRECT_STATUSES and location:
        exchange.redirect_to = urljoin(url, location.strip())
        return
    described = f"{url}: HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
    retry_after = parse_retry_after(exchange.headers.get("retry-after"), datetime.now(UTC))
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


def check_content_type(url: str, headers: httpx.Headers, expect: Expect) -> None:
    accepted = _ACCEPTED_TYPES[expect]
    if accepted is None or _media_type(headers.get("content-type")) in accepted:
        return
    given = headers.get("content-type") or "no Content-Type"
    raise UnsupportedContentType(f"{url}: {given} is not an accepted {expect} type ({', '.join(sorted(accepted))})")


async def read_body(url: str, response: httpx.Response, limit: int, exchange: Exchange) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"{url}: Content-Length is {declared} bytes, over the {limit}-byte limit")
    decoder = content_decoder(url, response.headers.get("content-encoding"))
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.feed(chunk, limit + 1 - len(body))
        exchange.size = len(body)
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
    content_type = exchange.headers.get("content-type")
    return FetchResult(
        url=url,
        final_url=final_url,
        status=exchange.status,
        content_type=content_type,
        body=body,
        text=None if body is None else decode_body(body, content_type),
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
