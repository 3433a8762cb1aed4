"""Extraction drift, end to end: a real `ingest` run over a loopback news site records each
site's extraction quality and names the site whose extraction fell away in its summary."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flows.ingest import ingest
from tests.support.artifacts import run_summary_markdown
from tests.support.http_server import Reply
from tests.support.news_site import article_html
from tests.support.warehouse import rows
from warehouse import db
from warehouse.timeutil import utc_now

pytestmark = pytest.mark.usefixtures("prefect_engine")

# (median words, title share, author share, date share) of 14 ordinary days, per site. The
# loopback pages have a title, about 120 words, no author and no date: against its own past
# `redesigned.co.uk` lost most of its text, its authors and its dates; `steady.org` is as ever.
BASELINES = {"redesigned.co.uk": (600.0, 1.0, 1.0, 1.0), "steady.org": (100.0, 1.0, 0.0, 0.0)}
CANONICAL = {
    "redesigned.co.uk": "https://www.redesigned.co.uk/news/story-{}",
    "steady.org": "https://news.steady.org/{}",
}


@pytest.fixture(autouse=True)
def fast_polite_settings(monkeypatch):
    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")


def plant_baselines(db_path) -> None:
    today = utc_now().date()
    with db.writer(db_path) as con:
        for back in range(1, 15):
            day = today - timedelta(days=back)
            run_id = f"past-{back}"
            con.execute(
                "INSERT INTO runs (run_id, flow_name, started_at, status) VALUES (?, 'monitor', ?, 'completed')",
                [run_id, datetime.combine(day, datetime.min.time())],
            )
            for site, (words, title, author, date) in BASELINES.items():
                con.execute(
                    "INSERT INTO site_quality VALUES (?, ?, ?, 10, 0, ?, ?, ?, ?, 0.0, 0.0, now())",
                    [run_id, day, site, words, title, author, date],
                )


def test_an_ingest_run_names_the_site_whose_extraction_drifted(http_server, db_path):
    plant_baselines(db_path)
    http_server.route("/robots.txt", Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain"))
    urls = []
    for first, (site, canonical) in enumerate(CANONICAL.items()):
        for number in range(first * 3 + 1, first * 3 + 4):  # different stories on each site
            path = f"/{site}/story-{number}"
            http_server.route(path, Reply(body=article_html(number, canonical=canonical.format(number))))
            urls.append(http_server.url(path))

    summary = ingest(paths=urls, db_path=str(db_path), allow_private_hosts=True)

    assert summary.counts.articles_new == 6 and not summary.rejects
    assert rows(
        db_path, "SELECT site, pages, date_share FROM site_quality WHERE run_id = ? ORDER BY site", [summary.run_id]
    ) == [("redesigned.co.uk", 3, 0.0), ("steady.org", 3, 0.0)]
    assert rows(db_path, "SELECT site, bounds_fired FROM quality_drift") == [
        ("redesigned.co.uk", ["median_words", "author_share", "date_share"])
    ]
    drift_notes = [note for note in summary.notes if note.startswith("extraction drift on")]
    assert len(drift_notes) == 1 and drift_notes[0].startswith("extraction drift on redesigned.co.uk")
    assert drift_notes[0] in run_summary_markdown(summary.run_id)
