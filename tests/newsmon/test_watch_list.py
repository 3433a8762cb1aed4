"""`newsmon watch list` shows where each source stands, from the warehouse and the watchlist;
`newsmon watch add` refuses bad arguments as a usage error."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from extractors.records import CrawlRecords, UrlVisit, WatchedSource
from flows.watchlist import add_source
from newsmon.cli import Exit, app
from newsmon.watch import LIST_COLUMNS
from warehouse import db
from warehouse.load import load_batch
from warehouse.polls import SourceVisit
from warehouse.runs import record_run_start
from warehouse.sources import sync_sources

runner = CliRunner(env={"COLUMNS": "80"})  # narrow: a table wrapped to it would cut long URLs
T0 = datetime(2025, 3, 1, 8, 0)
LONG_URL = "https://news.example/" + "/".join(f"section-{n}" for n in range(20)) + "/feed.xml"
QUIET = WatchedSource("quiet", "feed", "https://quiet.example/feed.xml", 20, ("local",), 50)
REFUSED = WatchedSource("refused", "feed", "http://10.0.0.5/feed.xml", 15)
FRESH = WatchedSource("fresh", "sitemap", LONG_URL, 30)  # on the watchlist, no run has synced it yet


@pytest.fixture
def watched(tmp_path, db_path):
    """A watchlist of three sources and a warehouse where two of them were polled."""
    path = tmp_path / "watchlist.toml"
    for source in (QUIET, REFUSED, FRESH):
        add_source(path, source)
    with db.writer(db_path) as con:
        record_run_start(con, "run-1", "monitor", {})
        sync_sources(con, [QUIET, REFUSED], "run-1", T0)
        polls = [
            (T0, SourceVisit(QUIET.url, "feed", "watchlist", fetched=True, status=200, items_listed=4, items_new=4)),
            (T0, UrlVisit(REFUSED.url, "feed", "watchlist", fetched=True, error_reason="private_address")),
            (T0.replace(minute=20), UrlVisit(QUIET.url, "feed", "watchlist", fetched=True, status=304)),
        ]
        for at, visit in polls:
            load_batch(con, "run-1", [], [], now=at, crawl=CrawlRecords(visits=[visit]))
    return path


def listed(*args: str):
    return runner.invoke(app, ["watch", "list", *args])


def test_watch_list_json_gives_each_sources_interval_last_poll_and_next_poll(watched, db_path):
    result = listed("--watchlist", str(watched), "--db", str(db_path), "--format", "json")
    assert result.exit_code == 0, result.output
    by_name = {row["name"]: row for row in json.loads(result.stdout)}
    assert by_name["quiet"] == {
        "name": "quiet",
        "kind": "feed",
        "url": QUIET.url,
        "interval_min": 30.0,  # 20 × 1.5: every item seen again
        "start_interval_min": 20.0,
        "last_fetched_at": "2025-03-01T08:20:00",
        "last_outcome": "not_modified",
        "last_error": None,
        "consecutive_failures": 0,
        "next_poll_at": "2025-03-01T08:50:00",
        "why": "not modified: slower",
        "tags": ["local"],
        "max_new_articles": 50,
    }
    refused = by_name["refused"]
    assert (refused["last_outcome"], refused["last_error"], refused["consecutive_failures"]) == (
        "refused",
        "private_address",
        0,
    )
    assert (refused["interval_min"], refused["next_poll_at"]) == (15.0, "2025-03-01T08:15:00")  # no backoff
    assert refused["why"] == "refused by configuration (private_address): no backoff"
    fresh = by_name["fresh"]
    assert (fresh["last_outcome"], fresh["last_fetched_at"], fresh["next_poll_at"]) == ("never polled", None, None)
    assert (fresh["kind"], fresh["interval_min"], fresh["url"]) == ("sitemap", 30.0, LONG_URL)


def test_watch_list_csv_and_the_table_in_a_pipe_never_cut_a_url(watched, db_path):
    as_csv = listed("--watchlist", str(watched), "--db", str(db_path), "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    records = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert records[0] == list(LIST_COLUMNS)
    assert [(r[0], r[2], r[6]) for r in records[1:]] == [
        ("quiet", QUIET.url, "not_modified"),
        ("refused", REFUSED.url, "refused"),
        ("fresh", LONG_URL, "never polled"),
    ]
    table = listed("--watchlist", str(watched), "--db", str(db_path))
    assert table.exit_code == 0 and LONG_URL in table.stdout  # whole, on one line, wider than COLUMNS
    assert "not modified: slower" in table.stdout and "never polled" in table.stdout


def test_watch_list_without_a_warehouse_shows_every_source_as_never_polled(watched, tmp_path):
    result = listed("--watchlist", str(watched), "--db", str(tmp_path / "none.sqlite"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert {row["last_outcome"] for row in json.loads(result.stdout)} == {"never polled"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "http://example.com/", "--kind", "podcast"], "not one of feed, sitemap, section"),
        (["x", "ftp://example.com/feed"], "new source"),
        (["x", "http://example.com/", "--interval", "0"], "poll_interval_min must be a positive number"),
        (["quiet", "http://example.com/other"], "a source named 'quiet' already exists"),
    ],
)
def test_watch_add_with_bad_arguments_is_a_usage_error_in_one_line(watched, args, message):
    result = runner.invoke(app, ["watch", "add", *args, "--watchlist", str(watched)])
    assert result.exit_code == Exit.USAGE and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "http://example.com" not in watched.read_text()
