"""Fetching pages, feeds and sitemaps over HTTP: the only package that touches the network.

What a URL goes through, on its first request and again on every redirect hop:

1. URL check: an absolute http(s) URL, else InvalidUrl / UnsupportedScheme.
2. Address safety: unless `allow_private_hosts` is set or the host:port is listed in
   `private_host_exceptions`, a host that resolves (getaddrinfo, every address) to a loopback,
   private, link-local, reserved, multicast, unspecified, carrier-grade-NAT or cloud-metadata
   address is refused with PrivateAddressRefused. The check runs before the request (a clear
   error, nothing sent) and again inside the connection pool, which connects to exactly the
   addresses it checked: a DNS answer that changes between check and connect gains nothing.
   Proxies from the environment are ignored for the same reason (we would check the proxy,
   not the site).
3. robots.txt, fetched once per origin per Fetcher and obeyed for our user agent, as RFC 9309
   says: 2xx -> its rules; 4xx (401/403 included) -> no rules, all allowed; anything else once
   retries are spent -> nothing of that origin is fetched for the rest of the run. Those URLs
   fail with RobotsUnavailable (5xx, 429, a refused redirect...), except when the host could
   not be reached at all: then with ConnectFailed / FetchTimeout, which say what went wrong.
   A Crawl-delay larger than `per_host_min_delay_s` becomes that host's delay. The robots.txt
   attempts are recorded in the FetchResult of the fetch that needed them first.
4. Politeness: at most `max_concurrency` requests in flight, `per_host_concurrency` per origin,
   and request starts to one origin at least the host's delay apart.
5. Request: GET with conditional headers when given; connect errors, timeouts, 429 and 5xx are
   retried with exponential backoff and jitter (Retry-After honoured, capped at `backoff_max_s`);
   other 4xx are not. Every HTTP attempt becomes a FetchAttempt; a hop refused before anything
   was sent (bad URL, private address, robots.txt) has none, only FetchResult.error.
6. Response: the Content-Type must match `expect` before any body is read; the body is
   decompressed here, never past `max_body_bytes` (so a gzip bomb stops at the limit); a
   gzip-file payload (a .xml.gz sitemap) is unpacked under the same limit; text is decoded.

Modelled on httpx: a small public surface here, private modules behind it, one job each.

    settings.py       FetchSettings, the limits and manners (public: the flows' Settings extends it)
    _client.py        Fetcher: the steps above in order, redirects hop by hop, retries, attempt log
    _guard.py         2: which addresses may be connected to; the guarded httpx transport
    _politeness.py    3-4: per-origin gates and robots.txt
    _response.py      6: status, Content-Type, the body under its size cap, the FetchResult
    _decoders.py      6: Content-Encoding decoders and gzip payloads, capped
    extractors/decoding.py  the text decoding shared with local files (`decode_body`)

Tests replace the network with `Fetcher(settings, transport=httpx.MockTransport(...))`.
"""

from __future__ import annotations

from extractors.decoding import decode_body
from extractors.fetch._client import Fetcher, retry_delay
from extractors.fetch._guard import non_public_reason
from extractors.fetch._response import parse_retry_after
from extractors.fetch.settings import FetchSettings
from extractors.records import Expect, FetchAttempt, FetchRequest, FetchResult

__all__ = [
    "Expect",
    "FetchAttempt",
    "FetchRequest",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "decode_body",
    "non_public_reason",
    "parse_retry_after",
    "retry_delay",
]
