"""`newsmon watch …` edits the watchlist; `newsmon diff` shows what an edit changed."""

from __future__ import annotations

from typer.testing import CliRunner

from flows.watchlist import load_watchlist
from newsmon.cli import Exit, app
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.load import PageToLoad, load_batch
from warehouse.runs import record_run_start

runner = CliRunner(env={"COLUMNS": "200"})  # wide: rich would otherwise wrap URLs


def test_watch_add_list_remove_keeps_the_files_comments(tmp_path):
    path = tmp_path / "watchlist.toml"
    path.write_text("# how to use this file\n")
    added = runner.invoke(
        app,
        [
            "watch",
            "add",
            "local",
            "HTTP://Example.com:80/feed?utm_source=x",
            "--kind",
            "feed",
            "--tag",
            "uk",
            "--tag",
            "politics",
            "--max-new",
            "20",
            "--watchlist",
            str(path),
        ],
    )
    assert added.exit_code == 0, added.output
    [source] = load_watchlist(path)
    assert (source.name, source.url, source.tags, source.max_new_articles) == (
        "local",
        "http://example.com/feed",
        ("uk", "politics"),
        20,
    )
    assert path.read_text().startswith("# how to use this file")
    listed = runner.invoke(app, ["watch", "list", "--watchlist", str(path)])
    assert "local" in listed.output and "example.com/feed" in listed.output
    twice = runner.invoke(app, ["watch", "add", "local", "http://example.com/other", "--watchlist", str(path)])
    assert twice.exit_code == Exit.FAILED and "already exists" in twice.output
    bad_kind = runner.invoke(
        app, ["watch", "add", "x", "http://example.com/", "--kind", "podcast", "--watchlist", str(path)]
    )
    assert bad_kind.exit_code == Exit.FAILED and "not one of feed, sitemap, section" in bad_kind.output
    removed = runner.invoke(app, ["watch", "remove", "local", "--watchlist", str(path)])
    assert removed.exit_code == 0 and load_watchlist(path) == []
    assert runner.invoke(app, ["watch", "remove", "local", "--watchlist", str(path)]).exit_code == Exit.FAILED


def test_the_shipped_watchlist_is_valid():
    from pathlib import Path

    sources = load_watchlist(Path(__file__).parents[2] / "deploy" / "watchlist.toml")
    assert {s.kind for s in sources} <= {"feed", "sitemap", "section"} and sources


def test_diff_prints_what_changed_between_revisions(db_path):
    from extractors.records import ParsedPage

    url = "https://example.com/news/1"
    versions = [
        "Forty people were hurt in the fire, police said on Monday. " * 3,
        "Fourteen people were hurt in the fire, police said on Monday. " * 3,
    ]
    with db.writer(db_path) as con:
        for number, text in enumerate(versions, start=1):
            record_run_start(con, f"run-{number}", "monitor", {})
            page = ParsedPage(source=url, text=text, extraction_method="trafilatura", title="Fire", url=url)
            load_batch(con, f"run-{number}", [PageToLoad(page, fingerprint_article(url, "Fire", text), "url")], [])
        article_id = con.execute("SELECT article_id FROM articles").fetchone()[0]
    result = runner.invoke(app, ["diff", article_id, "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "-Forty people" in result.output and "+Fourteen people" in result.output
    assert "revision 1" in result.output and "revision 2" in result.output
    missing = runner.invoke(app, ["diff", article_id, "--from", "5", "--db", str(db_path)])
    assert missing.exit_code == Exit.FAILED and "has revisions [1, 2]" in missing.output
