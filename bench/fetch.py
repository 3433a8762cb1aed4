"""Fetch → extract → load throughput against local servers, vs the politeness bound and vs trafilatura.

    .venv/bin/python bench/fetch.py [--urls 1000] [--hosts 20] [--latency-ms 100] [--delay-s 0.5]

Starts `--hosts` HTTP servers on 127.0.0.2, 127.0.0.3, … (distinct host names, so per-host rules
apply per server), each answering every request after `--latency-ms`. Then, in this process:
1. newsmon: the real `ingest` flow over a URL-list file (fetch with robots.txt, per-host limits,
   extraction, dedup, load into a temp DuckDB file), end to end;
2. baseline: trafilatura's own downloader (`add_to_compressed_dict` + `load_download_buffer` +
   `buffered_downloads`, what its CLI's --parallel does) with the same per-host sleep, plus
   `trafilatura.extract` on every page (no loading).
The politeness bound is hosts × min(1 / delay, per-host concurrency / latency) pages/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loopback import ROBOTS_ALLOW_ALL, Answer, serve
from tests.support.news_site import article_html


def serve_articles(host: str, latency_s: float) -> ThreadingHTTPServer:
    def respond(path: str, _headers: object, _base: str) -> Answer:
        if path == "/robots.txt":
            return ROBOTS_ALLOW_ALL
        number = int(path.rsplit("-", 1)[-1])
        return Answer(article_html(number, extra=f"<p>Served by {host} as page {number}.</p>"), "text/html")

    return serve(host, latency_s, respond)


def run_newsmon(url_file: Path, db_path: Path, delay_s: float) -> tuple[float, float]:
    """(seconds including the temporary Prefect server's start, seconds inside the flow run)"""
    os.environ["NEWSMON_PER_HOST_MIN_DELAY_S"] = str(delay_s)
    os.environ["NEWSMON_MAX_URLS_PER_RUN"] = "100000"
    from flows.ingest import ingest

    started = time.perf_counter()
    summary = ingest(paths=[str(url_file)], db_path=str(db_path), allow_private_hosts=True)
    elapsed = time.perf_counter() - started
    assert summary.counts.articles_new == summary.urls_fetched, summary.as_dict()
    return elapsed, summary.seconds


def run_trafilatura(urls: list[str], threads: int, delay_s: float) -> tuple[float, int]:
    import trafilatura
    from trafilatura.downloads import (
        add_to_compressed_dict,
        buffered_downloads,
        load_download_buffer,
    )
    from trafilatura.settings import Extractor, use_config

    config = use_config()
    config.set("DEFAULT", "SSRF_PROTECTION", "off")  # the bench servers are on loopback addresses
    config.set("DEFAULT", "SLEEP_TIME", str(delay_s))
    options = Extractor(config=config)
    started = time.perf_counter()
    store = add_to_compressed_dict(urls)
    pages = 0
    with ThreadPoolExecutor(max_workers=1) as extractor:
        pending = []
        while not store.done:
            buffer, store = load_download_buffer(store, delay_s)
            for _url, html in buffered_downloads(buffer, threads, options=options):
                if html:
                    pending.append(extractor.submit(trafilatura.extract, html, include_comments=False))
        pages = sum(1 for future in pending if future.result())
    return time.perf_counter() - started, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--delay-s", type=float, default=0.5, help="minimum delay between requests to one host")
    parser.add_argument("--threads", type=int, default=16, help="trafilatura download threads (= our max_concurrency)")
    args = parser.parse_args()

    servers = [serve_articles(f"127.0.0.{i + 2}", args.latency_ms / 1000) for i in range(args.hosts)]
    urls = [
        f"http://{servers[i % args.hosts].server_address[0]}:{servers[i % args.hosts].server_address[1]}/news/story-{i}"
        for i in range(args.urls)
    ]
    per_host_rate = min(1 / args.delay_s if args.delay_s else float("inf"), 2 / (args.latency_ms / 1000))
    bound = args.hosts * per_host_rate

    with tempfile.TemporaryDirectory() as tmp:
        url_file = Path(tmp) / "urls.txt"
        url_file.write_text("\n".join(urls))
        ours_s, flow_s = run_newsmon(url_file, Path(tmp) / "bench.duckdb", args.delay_s)
    theirs_s, theirs_pages = run_trafilatura(urls, args.threads, args.delay_s)

    ours = args.urls / ours_s
    theirs = theirs_pages / theirs_s
    print(f"{args.urls} URLs on {args.hosts} hosts, {args.latency_ms:.0f} ms latency, {args.delay_s} s per-host delay")
    print(f"politeness bound            {bound:8.1f} pages/s  ({args.urls / bound:6.1f} s)")
    print(f"newsmon fetch→extract→load  {ours:8.1f} pages/s  ({ours_s:6.1f} s)  = {ours / bound:.2f} × bound")
    print(
        f"  of which inside the flow run{args.urls / flow_s:8.1f} pages/s  ({flow_s:6.1f} s)  = "
        f"{args.urls / flow_s / bound:.2f} × bound (the rest: Prefect's temporary server)"
    )
    print(
        f"trafilatura download+extract{theirs:8.1f} pages/s  ({theirs_s:6.1f} s, {theirs_pages} pages)"
        f"  = {theirs / bound:.2f} × bound"
    )
    print(f"newsmon / trafilatura       {ours / theirs:8.2f} ×")


if __name__ == "__main__":
    main()
