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
    assert twice.exit_code == Exit.USAGE and "already exists" in twice.output
    bad_kind = runner.invoke(
        app, ["watch", "add", "x", "http://example.com/", "--kind", "podcast", "--watchlist", str(path)]
    )
    assert bad_kind.exit_code == Exit.USAGE and "not one of feed, sitemap, section" in bad_kind.output
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
    assert missing.exit_code == Exit.USAGE and "has revisions [1, 2]" in missing.output


def test_diff_lines_keep_their_prefix_on_a_narrow_terminal(db_path, tmp_path):
    """A unified diff is printed as plain lines: at COLUMNS=40 no line is re-wrapped, so none loses its +/-."""
    from extractors.records import ParsedPage
    from tests.support.commands import newsmon

    url = "https://example.com/news/2"
    old = "The council met on Monday and agreed a budget of four million pounds for the new harbour wall."
    new = "The council met on Tuesday and agreed a budget of five million pounds for the new harbour wall."
    with db.writer(db_path) as con:
        for number, text in enumerate([old, new], start=1):
            record_run_start(con, f"run-{number}", "monitor", {})
            page = ParsedPage(source=url, text=text, extraction_method="trafilatura", title="Budget", url=url)
            load_batch(con, f"run-{number}", [PageToLoad(page, fingerprint_article(url, "Budget", text), "url")], [])
        article_id = con.execute("SELECT article_id FROM articles").fetchone()[0]
    process = newsmon(["diff", article_id, "--db", str(db_path)], tmp_path / "home", {"COLUMNS": "40"}, stdout=-1)
    stdout, _ = process.communicate(timeout=120)
    assert process.returncode == 0
    lines = stdout.splitlines()
    assert f"-{old}" in lines and f"+{new}" in lines  # whole, though longer than the terminal
    assert lines[0].startswith("--- revision 1") and lines[1].startswith("+++ revision 2")
    assert all(line[:1] in ("-", "+", " ", "@") for line in lines), stdout
