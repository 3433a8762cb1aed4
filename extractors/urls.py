"""URLs as identities: validation, one canonical spelling, and URL-list files. No I/O.

courlan does the normalising (lowercase scheme and host, default ports and tracking
parameters removed, query sorted, path quoted). Its `check_url` is not used: its filters
reject IP-literal and `localhost` hosts, which are legitimate here (intranet mirrors, tests).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import courlan

from extractors.errors import InvalidUrl, UnsupportedScheme

HTTP_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# An ASCII (IDNA-encoded) host name: dot-separated labels. Underscores occur in real
# host names even though DNS host names should not have them, so they are accepted.
_HOST_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9_-]{1,63}(?<!-))*\.?$")

# URL-list files: an entry is a URL only alone on its line ("https://x.test/a is where it
# began" is prose, though urlsplit would accept it), and a bad line is shown this long at most.
_LISTED_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_COMMENT = re.compile(r"\s#")
MAX_SHOWN_CHARS = 200


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


@dataclass(frozen=True)
class UrlList:
    """What a URL-list file names: its URLs, and the lines meant as URLs that are not."""

    urls: list[str]  # stripped, in file order, exact duplicates removed
    bad_lines: list[tuple[int, str]]  # (1-based line number, the line's entry cut to MAX_SHOWN_CHARS)


def read_url_list(text: str) -> UrlList | None:
    """The entries of a URL-list file, or None when `text` is not one.

    One URL per line; blank lines and `#` comments (whole-line, or after whitespace at the
    end of a line) are ignored. It is a list when strictly more than half of its entries are
    URLs, so that one typo does not turn a list into a page, while the odd URL in a page's
    prose never turns the page into a list. A URL must stand alone on its line.
    """
    # Every URL holds a "://": once the other entries are as many, the file cannot be a list.
    most_urls = text.count("://")
    urls: dict[str, None] = {}
    url_count = 0  # duplicates included: every entry is one vote
    bad_lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = _entry(line)
        if not entry:
            continue
        if _is_listed_url(entry):
            urls[entry] = None
            url_count += 1
        else:
            bad_lines.append((number, entry[:MAX_SHOWN_CHARS]))
            if len(bad_lines) >= most_urls:
                return None  # a page dump stops here, usually within its first lines
    return UrlList(list(urls), bad_lines) if url_count > len(bad_lines) else None


def _entry(line: str) -> str:
    """The line without its comment, stripped: "" for a blank or comment line."""
    # A "#" glued to a URL is its fragment; only whitespace + "#" starts a comment.
    entry = _COMMENT.split(line, maxsplit=1)[0].strip()
    return "" if entry.startswith("#") else entry


def _is_listed_url(entry: str) -> bool:
    return _LISTED_URL.fullmatch(entry) is not None and is_url(entry)


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
