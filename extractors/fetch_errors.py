"""Why a URL could not be fetched.

Modelled on httpx's exception tree and following `extractors.errors`: every class is an
`InputRejected` with stage "fetch", a short stable `reason` code analysts can GROUP BY and a
`detail` sentence a person can act on.

Two families:
- `TransientFetchError`: the server or the network may answer next time. The fetcher retries
  these with backoff; after the last attempt the error is recorded like any other.
- every other `FetchError`: retrying cannot help (a 404, a refused address, a PDF where HTML
  was expected). Recorded once and skipped.
"""
from __future__ import annotations

from extractors.errors import InputRejected


class FetchError(InputRejected):
    """A URL that could not be fetched. Recorded in `rejects`, never fatal to a run."""

    stage = "fetch"
    reason = "fetch_failed"


# --- transient: retried with backoff ----------------------------------------------------


class TransientFetchError(FetchError):
    """Worth retrying. `retry_after` is the wait in seconds the server asked for, if it did."""

    reason = "transient"

    def __init__(self, detail: str, *, retry_after: float | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


class ConnectFailed(TransientFetchError):
    """No connection (DNS, refused, TLS), or the connection broke before a full response."""

    reason = "connect_failed"


class FetchTimeout(TransientFetchError):
    """Connecting or waiting for the next bytes took longer than the configured timeout."""

    reason = "timeout"


class ServerError(TransientFetchError):
    """A 5xx answer."""

    reason = "server_error"

    def __init__(self, detail: str, *, status: int, retry_after: float | None = None):
        super().__init__(detail, retry_after=retry_after)
        self.status = status


class RateLimited(TransientFetchError):
    """A 429 answer; `retry_after` carries its Retry-After header in seconds, if any."""

    reason = "rate_limited"


# --- permanent: recorded and skipped ----------------------------------------------------


class HttpStatusError(FetchError):
    """A 4xx other than 429, or a 3xx that is neither a usable redirect nor 304."""

    reason = "http_status"

    def __init__(self, detail: str, *, status: int):
        super().__init__(detail)
        self.status = status


class BlockedByRobots(FetchError):
    """The site's robots.txt disallows this URL for our user agent."""

    reason = "robots_disallowed"


class RobotsUnavailable(BlockedByRobots):
    """The server answered robots.txt with an error (5xx, 429 once retries are spent) or
    redirected it somewhere refused: RFC 9309 says assume everything is disallowed, so the
    whole host is skipped for this run. (An unreachable host is ConnectFailed / FetchTimeout.)"""

    reason = "robots_unavailable"


class PrivateAddressRefused(FetchError):
    """The host resolves to a loopback, private, link-local, metadata or otherwise
    non-public address, and private hosts are not allowed."""

    reason = "private_address"


class InvalidUrl(FetchError):
    """Not an absolute http(s) URL we can parse."""

    reason = "invalid_url"


class UnsupportedScheme(InvalidUrl):
    """A well-formed URL whose scheme is not http or https (ftp:, file:, javascript:...)."""

    reason = "unsupported_scheme"


class TooManyRedirects(FetchError):
    """More redirects than the configured maximum, usually a loop."""

    reason = "too_many_redirects"


class BodyTooLarge(FetchError):
    """The (decompressed) body passed the configured size limit; reading stopped there."""

    reason = "body_too_large"


class BadContentEncoding(FetchError):
    """The body's Content-Encoding (or a gzip payload) is unknown or corrupt."""

    reason = "bad_content_encoding"


class UnsupportedContentType(FetchError):
    """The Content-Type is not one the caller expected (e.g. a PDF where HTML was expected)."""

    reason = "unsupported_content_type"
