"""Content-Encoding decoders for response bodies, never producing more than the caller allows.

Like httpx's `_decoders.py`, but capped: each `feed` is told how many bytes it may return, so a
gzip bomb stops at the body limit instead of filling memory. Every gzip member is read
(`cat a.gz b.gz` is one valid gzip body). Also unpacks a gzip-file payload (a .xml.gz sitemap)
under the same limit. Both use extractors/decoding.py's inflater, shared with local .gz files.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from extractors.decoding import GzipInflater, gunzip
from extractors.errors import BadContentEncoding, BodyTooLarge, GunzipFailed

__all__ = ["ACCEPT_ENCODING", "Decoder", "content_decoder", "gunzip_payload"]

# We decompress bodies ourselves (to cap them), so we only ask for what zlib reads.
ACCEPT_ENCODING = "gzip, deflate"


class Decoder(Protocol):
    def feed(self, data: bytes, max_out: int) -> bytes: ...
    def finish(self) -> None: ...


class _Identity:
    def feed(self, data: bytes, max_out: int) -> bytes:
        return data  # at most one network chunk past the limit, which the caller then rejects

    def finish(self) -> None:
        """Nothing is buffered."""


class _Inflater:
    """gzip (every member) or zlib-wrapped deflate, never producing more than `max_out` bytes per call."""

    def __init__(self, url: str, what: str):
        self._url = url
        self._what = what
        self._inflater = GzipInflater(zlib_too=True)
        self._fed = False

    def feed(self, data: bytes, max_out: int) -> bytes:
        self._fed = self._fed or bool(data)
        try:
            # Input that would produce more than max_out is dropped; the caller, seeing max_out
            # bytes come back, knows the limit is passed and stops.
            return self._inflater.feed(data, max_out)
        except zlib.error as error:
            raise _corrupt(self._url, self._what, error) from error

    def finish(self) -> None:
        if self._fed and not self._inflater.complete:
            raise _truncated(self._url, self._what)


def content_decoder(url: str, content_encoding: str | None) -> Decoder:
    """The decoder for a Content-Encoding header; BadContentEncoding for one we did not ask for."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity()
    if codings in (["gzip"], ["x-gzip"], ["deflate"]):
        return _Inflater(url, f"Content-Encoding {codings[0]}")
    raise BadContentEncoding(
        f"{url}: Content-Encoding {content_encoding!r} is not supported (we ask for {ACCEPT_ENCODING})"
    )


def gunzip_payload(url: str, data: bytes, limit: int) -> bytes:
    """A gzip file served as the body (starts with the gzip magic), unpacked under `limit`."""
    try:
        return gunzip(data, limit)
    except GunzipFailed as failed:
        if failed.problem == "corrupt":
            raise _corrupt(url, "gzip file", failed.detail) from failed
        if failed.problem == "too_large":
            raise BodyTooLarge(
                f"{url}: gzip file unpacks to over the {limit}-byte limit; stopped unpacking"
            ) from failed
        raise _truncated(url, "gzip file") from failed


def _corrupt(url: str, what: str, error: object) -> BadContentEncoding:
    return BadContentEncoding(f"{url}: {what} is corrupt ({error})")


def _truncated(url: str, what: str) -> BadContentEncoding:
    return BadContentEncoding(f"{url}: {what} ends before its end marker (truncated)")
