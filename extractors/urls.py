"""URLs as identities: validation, one canonical spelling, and URL-list files. No I/O.

courlan does the normalising (lowercase scheme and host, default ports and tracking
parameters removed, query sorted, path quoted). Its `check_url` is not used: its filters
reject IP-literal and `localhost` hosts, which are legitimate here (intranet mirrors, tests).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

import courlan

from extractors.errors import InvalidUrl, UnsupportedScheme

HTTP_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# An ASCII (IDNA-encoded) host name: dot-separated labels. Underscores occur in real
# host names even though DNS host names should not have them, so they are accepted.
_HOST_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9_-]{1,63}(?<!-))*\.?$")


def parse_http_url(url: str) -> SplitResult:
    """Split an absolute http(s) URL, checking it can be fetched as written.

    Raises UnsupportedScheme for another scheme, InvalidUrl for anything malformed
    (no scheme, no host, a bad port, an impossible host name).
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- property access validates the port (raises ValueError)
    except ValueError as error:
        raise InvalidUrl(f"{text!r} is not a valid URL: {error}") from error
    if not parts.scheme:
        raise InvalidUrl(f"{text!r} is not an absolute URL: it has no http:// or https:// scheme")
    if parts.scheme.lower() not in HTTP_SCHEMES:
        raise UnsupportedScheme(f"{text!r} uses the {parts.scheme}: scheme; only http and https are fetched")
    if not parts.hostname:
        raise InvalidUrl(f"{text!r} has no host name")
    if not _is_valid_host(parts.hostname):
        raise InvalidUrl(f"{text!r} has an invalid host name {parts.hostname!r}")
    return parts


def canonical_url(url: str) -> str:
    """The one spelling of `url` used to recognise the same page twice.

    Scheme and host lowercased, default port, fragment and tracking parameters
    (utm_*, fbclid, gclid, mc_cid, ...) removed, query parameters sorted, `.`/`..`
    path segments resolved, an empty path written "/".
    Raises InvalidUrl (or its subclass UnsupportedScheme) like `parse_http_url`.
    """
    normalized = urlsplit(courlan.normalize_url(parse_http_url(url)))
    netloc = normalized.netloc
    if normalized.port == _DEFAULT_PORTS[normalized.scheme]:
        netloc = netloc.rsplit(":", 1)[0]  # courlan misses it after an IPv6 literal: "[::1]:80"
    path = _remove_dot_segments(normalized.path)
    return urlunsplit((normalized.scheme, netloc, path, normalized.query, ""))


def is_url(text: str) -> bool:
    """True when `text` is an absolute http(s) URL that could be fetched (not a file path)."""
    try:
        parse_http_url(text)
    except InvalidUrl:
        return False
    return True


def read_url_list(text: str) -> list[str]:
    """Entries of a URL-list file: one URL per line; blank lines and `#` comments
    (whole-line, or after whitespace at the end of a line) are ignored.

    Entries come back stripped, in file order, exact duplicates removed. They are not
    validated here: the fetcher rejects a bad line as InvalidUrl for that URL, so one typo
    is recorded as a reject instead of failing the run.
    """
    entries: dict[str, None] = {}
    for line in text.splitlines():
        # A "#" glued to a URL is its fragment; only whitespace + "#" starts a comment.
        entry = re.split(r"\s#", line, maxsplit=1)[0].strip()
        if entry and not entry.startswith("#"):
            entries[entry] = None
    return list(entries)


def _is_valid_host(host: str) -> bool:
    return _is_ip_literal(host) or _is_host_name(host)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_host_name(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(_HOST_NAME.match(ascii_host.lower()))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path: "." segments vanish, ".." removes the one before."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments and segments[-1] in (".", ".."):
        kept.append("")  # "/a/b/.." names the directory "/a/"
    return "/" + "/".join(kept)
