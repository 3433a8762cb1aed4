"""Every error newsmon raises on purpose, in one tree.

Modelled on httpx's `_exceptions.py`: one root the command line catches once, and below it
two kinds of trouble that end differently.

    NewsmonError                   the root: the CLI prints `error: <message>` and exits 4 (2 for a usage error)
    ├── InputRejected              one input cannot become rows: recorded in `rejects`, the run goes on
    │   ├── EmptyInput
    │   ├── BinaryInput
    │   ├── UndecodableInput
    │   ├── UnsupportedInput       (stage discover)
    │   ├── MissingInput           (stage discover)
    │   ├── NotARegularFile        (stage discover) a FIFO, device, socket or directory: never opened
    │   ├── BrokenSymlink          (stage discover)
    │   ├── SymlinkLoop            (stage discover) a link back to a directory already walked
    │   ├── NotAUrl                (stage discover) one line of a URL list
    │   ├── UnreadableInput        (stage read) permissions, I/O error
    │   ├── InputTooLarge          (stage read) over `max_input_bytes`
    │   ├── NoArticleText          (stage extract)
    │   └── FetchError             (stage fetch)
    │       ├── TransientFetchError         retried with backoff, then recorded
    │       │   ├── ConnectFailed
    │       │   ├── FetchTimeout
    │       │   ├── ServerError             5xx
    │       │   └── RateLimited             429
    │       ├── HttpStatusError             4xx, unusable 3xx
    │       ├── BlockedByRobots
    │       │   └── RobotsUnavailable
    │       ├── PrivateAddressRefused
    │       ├── InvalidUrl
    │       │   └── UnsupportedScheme
    │       ├── TooManyRedirects
    │       ├── BodyTooLarge
    │       ├── BadContentEncoding
    │       ├── UnsupportedContentType
    │       └── FetchDeferred               not a failure: back to the frontier, never a reject
    │           ├── ServerAskedToWait       a Retry-After longer than `backoff_max_s`
    │           └── RunDeadlineReached      cancelled at the run's deadline
    ├── WarehouseError             the storage cannot do what was asked; the run stops
    │   ├── DatabaseBusy
    │   ├── DatabaseMissing
    │   ├── StorageDamaged         a catalog or data file is missing, truncated or corrupt
    │   ├── StorageWriteFailed     a write failed for a reason that is not one page's data (disk full)
    │   ├── MigrationError
    │   ├── RunInProgress
    │   └── WriteConflict          another writer committed first: the write is retried
    ├── ConfigError                a settings or watchlist value a person must fix
    │   └── WatchlistError
    ├── ServiceError               a service newsmon starts or talks to (the Prefect server)
    └── GunzipFailed               internal: each caller turns it into its own InputRejected

An `InputRejected` carries `stage` and `reason`, short stable codes analysts can GROUP BY, and
`detail`, a sentence a person can act on. Every other branch stops the command: its message
is the one line the CLI prints.

Fetch errors come in two families: a `TransientFetchError` may succeed next time (the fetcher
retries it with backoff; after the last attempt it is recorded like any other); every other
`FetchError` cannot (a 404, a refused address, a PDF where HTML was expected) and is recorded
once and skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

__all__ = [
    "BadContentEncoding",
    "BinaryInput",
    "BlockedByRobots",
    "BrokenSymlink",
    "BodyTooLarge",
    "ConfigError",
    "ConnectFailed",
    "DatabaseBusy",
    "DatabaseMissing",
    "EmptyInput",
    "FetchDeferred",
    "FetchError",
    "FetchTimeout",
    "GunzipFailed",
    "HttpStatusError",
    "InputRejected",
    "InputTooLarge",
    "InvalidUrl",
    "MigrationError",
    "MissingInput",
    "NewsmonError",
    "NoArticleText",
    "NotARegularFile",
    "NotAUrl",
    "PrivateAddressRefused",
    "RateLimited",
    "RobotsUnavailable",
    "RunInProgress",
    "RunDeadlineReached",
    "ServerAskedToWait",
    "ServerError",
    "ServiceError",
    "StorageDamaged",
    "StorageWriteFailed",
    "SymlinkLoop",
    "TooManyRedirects",
    "TransientFetchError",
    "UndecodableInput",
    "UnsupportedContentType",
    "UnsupportedInput",
    "UnreadableInput",
    "UnsupportedScheme",
    "WarehouseError",
    "WatchlistError",
    "WriteConflict",
]


class NewsmonError(Exception):
    """The root of every error newsmon raises on purpose."""


# --- one input cannot become rows: recorded, never fatal to a run ------------------------


class InputRejected(NewsmonError):
    """An input that cannot be loaded. Recorded in `rejects`, never fatal to a run."""

    stage = "parse"
    reason = "rejected"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class EmptyInput(InputRejected):
    reason = "empty"


class BinaryInput(InputRejected):
    reason = "binary"


class UndecodableInput(InputRejected):
    reason = "undecodable"


class UnsupportedInput(InputRejected):
    stage = "discover"
    reason = "unsupported_type"


class MissingInput(InputRejected):
    stage = "discover"
    reason = "not_found"


class NotARegularFile(InputRejected):
    """A FIFO, device, socket or directory where a file was expected: never opened (a FIFO
    would block the run forever)."""

    stage = "discover"
    reason = "not_a_regular_file"


class BrokenSymlink(InputRejected):
    stage = "discover"
    reason = "broken_symlink"


class SymlinkLoop(InputRejected):
    """A symbolic link to a directory already walked in this run: each real directory is walked once."""

    stage = "discover"
    reason = "symlink_loop"


class NotAUrl(InputRejected):
    """One line of a URL-list file that is not an http(s) URL; the detail names the line."""

    stage = "discover"
    reason = "not_a_url"


class UnreadableInput(InputRejected):
    """A file or directory that could not be read (permissions, an I/O error)."""

    stage = "read"
    reason = "unreadable"


class InputTooLarge(InputRejected):
    """A local input over `max_input_bytes` (after decompression): never read whole."""

    stage = "read"
    reason = "too_large"


class NoArticleText(InputRejected):
    stage = "extract"
    reason = "no_article_text"


class FetchError(InputRejected):
    """A URL that could not be fetched."""

    stage = "fetch"
    reason = "fetch_failed"


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
    """Connecting, waiting for the next bytes, or the whole request took longer than allowed.
    `phase` says where the time ran out: "connect", "headers" or "body" (None when unknown)."""

    reason = "timeout"

    def __init__(self, detail: str, *, phase: str | None = None, retry_after: float | None = None):
        super().__init__(detail, retry_after=retry_after)
        self.phase = phase


class ServerError(TransientFetchError):
    """A 5xx answer."""

    reason = "server_error"

    def __init__(self, detail: str, *, status: int, retry_after: float | None = None):
        super().__init__(detail, retry_after=retry_after)
        self.status = status


class RateLimited(TransientFetchError):
    """A 429 answer; `retry_after` carries its Retry-After header in seconds, if any."""

    reason = "rate_limited"


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


class FetchDeferred(FetchError):
    """Not fetched now, and not a failure: the URL goes back to the frontier, due at
    `retry_at` (None: as soon as the next run starts). Never recorded as a reject."""

    reason = "deferred"

    def __init__(self, detail: str, *, retry_at: datetime | None = None):
        super().__init__(detail)
        self.retry_at = retry_at


class ServerAskedToWait(FetchDeferred):
    """A 429 or 503 whose Retry-After is longer than `backoff_max_s`: asked again at `retry_at`."""

    reason = "retry_after"


class RunDeadlineReached(FetchDeferred):
    """The run's own deadline came while this URL waited or was being fetched: it was cancelled."""

    reason = "run_deadline"


# --- the command cannot go on: one line on stderr ----------------------------------------


class WarehouseError(NewsmonError):
    """The storage cannot do what was asked."""


class DatabaseBusy(WarehouseError):
    """Another process holds the write lock."""


class DatabaseMissing(WarehouseError):
    """A reader was pointed at a database that does not exist yet."""


class StorageDamaged(WarehouseError):
    """A catalog or data file of the lake is missing, truncated or corrupt: restore it from a backup."""


class StorageWriteFailed(WarehouseError):
    """A write failed for a reason that is not one page's data (disk full, an I/O error):
    nothing of the batch is committed."""


class MigrationError(WarehouseError):
    """A migration failed, or one already applied was edited afterwards."""


class RunInProgress(WarehouseError):
    """Another run holds this warehouse's run lock."""


class WriteConflict(WarehouseError):
    """Another writer committed to the lake while this transaction ran; retried on the new state."""


class ConfigError(NewsmonError):
    """A setting or configuration file a person must fix; the message says where."""


class WatchlistError(ConfigError):
    """The watchlist file or a `watch add` entry is invalid."""


class ServiceError(NewsmonError):
    """A service newsmon starts or talks to (the local Prefect server) is not usable."""


class GunzipFailed(NewsmonError):
    """Why `extractors.decoding.gunzip` gave up. Never leaves the extractors: each caller turns
    it into its own InputRejected (a local file's BinaryInput, a fetched sitemap's
    BadContentEncoding or BodyTooLarge), so `problem` says which of three things went wrong."""

    def __init__(self, problem: Literal["corrupt", "too_large", "truncated"], detail: str = ""):
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem = problem
        self.detail = detail  # zlib's message, for "corrupt"
