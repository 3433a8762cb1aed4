"""Fetching pages, feeds and sitemaps over HTTP: the only package that touches the network.

What a URL goes through, on its first request and again on every redirect hop:

1. URL check: an absolute http(s) URL, else InvalidUrl / UnsupportedScheme.
2. Address safety: unless `allow_private_hosts` is set or the host:port is listed in
   `private_host_exceptions`, a host that resolves (getaddrinfo, every address) to a loopback,
   private, link-local, reserved, multicast, unspecified, carrier-grade-NAT or cloud-metadata
   address is refused with PrivateAddressRefused. An IPv6 address that carries an IPv4 one
   (6to4 2002::/16, Teredo, NAT64 64:ff9b::/96 and 64:ff9b:1::/48) is judged by that IPv4
   address. A name with the root's trailing dot ("localhost.", "127.0.0.1.") is checked, and
   matched against the exceptions, as the same name without it. The check runs before the
   request (a clear error, nothing sent) and again inside the connection pool, which connects
   to exactly the addresses it checked: a DNS answer that changes between check and connect
   gains nothing. Proxies from the environment are ignored for the same reason (we would
   check the proxy, not the site).
3. robots.txt, fetched once per origin per Fetcher and obeyed for our user agent, as RFC 9309
   says: 2xx -> its rules, read from its first `max_robots_bytes` (500 KiB; a longer file is
   cut at its last whole line there, not refused); 4xx (401/403 included) -> no rules, all
   allowed; a 429 or 503 with a Retry-After longer than `backoff_max_s` -> every URL of that
   origin is ServerAskedToWait (due again when the server said) for the Fetcher's life;
   anything else once retries are spent -> nothing of that origin is fetched for the rest of
   the run. Those URLs fail with RobotsUnavailable (5xx, 429, a refused redirect...), except
   when the host could not be reached at all: then with ConnectFailed / FetchTimeout, which say
   what went wrong. A Crawl-delay larger than `per_host_min_delay_s` becomes that host's delay.
   The robots.txt attempts are recorded in the FetchResult of the fetch that needed them first.
4. Politeness: at most `max_concurrency` requests in flight, `per_host_concurrency` per origin,
   and request starts to one origin at least the host's delay apart.
5. Request: GET with conditional headers when given. Each request must be complete (connect,
   status line, headers and body) within `request_deadline_s`, however steadily the server
   drips bytes: past it, FetchTimeout with `phase` "connect", "headers" or "body", and the
   connection is closed. Connect errors, read timeouts, 429 and 5xx are retried with
   exponential backoff and jitter (Retry-After honoured, capped at `backoff_max_s`); other
   4xx are not, nor is a request deadline that passed (the same server would most likely take
   as long again: the frontier retries the URL in a later run), nor a 429 or 503 whose
   Retry-After is longer than `backoff_max_s`: that is ServerAskedToWait, with `retry_at` when
   the server said. Every HTTP attempt becomes a FetchAttempt; a hop refused before anything
   was sent (bad URL, private address, robots.txt) has none, only FetchResult.error.
6. Response: the Content-Type must match `expect` before any body is read; with no (or an
   empty) Content-Type the body is read and its first KiB sniffed as HTML or a feed / sitemap,
   that media type must match `expect` (else UnsupportedContentType) and becomes
   FetchResult.content_type. The body is decompressed here, every gzip member of it, never
   past `max_body_bytes` (so a gzip bomb stops at the limit); a gzip-file payload (a .xml.gz
   sitemap) is unpacked under the same limit; text is decoded.

`fetch_many(requests, deadline=...)` takes the run's own deadline (a time.monotonic() instant):
the fetches not finished by then are cancelled, each with a RunDeadlineReached result, and the
URL goes back to the frontier. ServerAskedToWait and RunDeadlineReached are FetchDeferred: not
failures.

Modelled on httpx: a small public surface here, private modules behind it, one job each.

    settings.py       FetchSettings, the limits and manners (public: the flows' Settings extends it)
    _client.py        Fetcher: the steps above in order, redirects hop by hop, retries, deadlines, attempt log
    _guard.py         2: which addresses may be connected to; the guarded httpx transport
    _politeness.py    3-4: per-origin gates and robots.txt
    _response.py      5-6: status and Retry-After, Content-Type, the body under its size cap, the FetchResult
    _sniff.py         6: the media type of a body served without a Content-Type
    _decoders.py      6: Content-Encoding decoders and gzip payloads, capped
    extractors/decoding.py  the text decoding and gzip inflater shared with local files

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
