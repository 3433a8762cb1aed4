"""How long a monitor run takes on a watchlist of local feeds: the first run vs an idle one.

    .venv/bin/python bench/monitor.py [--feeds 20] [--items 10] [--latency-ms 50]

Serves `--feeds` RSS feeds on 127.0.0.2, 127.0.0.3, … (one host each, with ETags, so a re-poll
is a 304), each listing `--items` article pages. Runs the real `monitor` flow three times in this
process against a temp DuckDB file: the first run (polls every feed, fetches every article), an
idle run right after with every source made due again (every feed answers 304: nothing new), and
a second idle run, and prints their times and the idle/first ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from email.message import Message
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loopback import ROBOTS_ALLOW_ALL, Answer, serve
from tests.support.news_site import article_html, rss


def serve_feed(host: str, items: int, latency_s: float) -> str:
    def respond(path: str, headers: Message, base: str) -> Answer:
        if path == "/feed.xml":
            if headers.get("If-None-Match") == '"v1"':
                return Answer(status=304, headers={"ETag": '"v1"'})
            feed = rss([f"{base}/news/story-{n}" for n in range(items)])
            return Answer(feed, "application/rss+xml", headers={"ETag": '"v1"'})
        if path == "/robots.txt":
            return ROBOTS_ALLOW_ALL
        page = article_html(int(path.rsplit("-", 1)[-1]), extra=f"<p>From {host}.</p>")
        return Answer(page, "text/html", headers={"ETag": '"v1"'})

    server = serve(host, latency_s, respond)
    return f"http://{host}:{server.server_address[1]}/feed.xml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    feeds = [serve_feed(f"127.0.0.{i + 2}", args.items, args.latency_ms / 1000) for i in range(args.feeds)]

    from flows.monitor import monitor
    from warehouse import db

    with tempfile.TemporaryDirectory() as tmp:
        watchlist = Path(tmp) / "watchlist.toml"
        watchlist.write_text(
            "".join(f'[[source]]\nname = "feed-{i}"\nkind = "feed"\nurl = "{url}"\n\n' for i, url in enumerate(feeds))
        )
        db_path = Path(tmp) / "monitor.duckdb"
        timings = []
        for label in ("first run", "idle run", "idle run again"):
            if label != "first run":  # every source due again, as after its poll interval
                with db.writer(db_path) as con:
                    con.execute("UPDATE urls SET next_fetch_at = now()::TIMESTAMP WHERE kind = 'feed'")
            started = time.perf_counter()
            summary = monitor(watchlist=str(watchlist), db_path=str(db_path), allow_private_hosts=True)
            timings.append((label, time.perf_counter() - started, summary))

    print(f"{args.feeds} local feeds × {args.items} articles, {args.latency_ms:.0f} ms latency")
    for label, seconds, summary in timings:
        print(
            f"{label:15} {seconds:6.2f} s (flow {summary.seconds:5.2f} s): {summary.sources_polled} sources polled, "
            f"{summary.urls_fetched} fetched, {summary.urls_not_modified} not modified, "
            f"{summary.counts.articles_new} new articles"
        )
    first, idle = timings[0][1], timings[1][1]
    print(f"idle / first    {idle / first:6.2f} ×")


if __name__ == "__main__":
    main()
