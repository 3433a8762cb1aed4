"""A stored URL's host and site, the columns analysts group by (`articles.host`, `articles.site`).

A URL's site is its registered domain by the public-suffix list that `tld` bundles
(`news.bbc.co.uk` → `bbc.co.uk`). Computed where rows are written: on load, for the rejects of
`site_quality`, and once for rows loaded before migration 015. No I/O.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import tld

__all__ = ["url_host", "url_site"]

_HTTP_SCHEMES = frozenset({"http", "https"})


def url_host(url: str | None) -> str | None:
    """The host of an http(s) URL: lowercased, without user, port or IPv6 brackets; None for
    anything else (a file path, no URL). Migration 015 computes the same in SQL for old rows."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    return host if host and parts.scheme.lower() in _HTTP_SCHEMES else None


def url_site(url: str | None) -> str | None:
    """The site of an http(s) URL: its host's registered domain, public-suffix aware
    (`www.guardian.co.uk` → `guardian.co.uk`; `x.blogspot.com` stays whole, `blogspot.com` being
    a suffix). A host with no public suffix (an IP address, `localhost`, an intranet name) is its
    own site. None when `url_host` is None."""
    host = url_host(url)
    return None if host is None else _registered_domain(host)


@lru_cache(maxsize=4096)
def _registered_domain(host: str) -> str:
    return tld.get_fld(host, fix_protocol=True, fail_silently=True) or host
