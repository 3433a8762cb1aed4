"""Article extraction from saved HTML pages (our own test pages, no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura

from extractors.errors import NoArticleText
from extractors.html_page import extract_html_page

PAGES = Path(__file__).parent / "pages"
COMMENT_PAGES = Path(__file__).parent / "comment_pages"


@pytest.fixture(scope="module")
def wordpress_page():
    return extract_html_page((PAGES / "wordpress_article.html").read_bytes(), "wordpress_article.html")


def test_metadata_comes_from_the_page(wordpress_page):
    assert wordpress_page.title == "Harbour council approves new flood barrier"
    assert wordpress_page.author == "Mara Lindqvist"
    assert wordpress_page.site_name == "The Coastal Courier"
    assert wordpress_page.language == "en"  # from <html lang="en-GB">
    assert wordpress_page.url == "https://coastal-courier.example/2025/03/harbour-flood-barrier/"
    assert wordpress_page.published_at == datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    assert wordpress_page.extraction_method == "trafilatura"


def test_body_holds_the_article_and_nothing_else(wordpress_page):
    text = wordpress_page.text
    assert text.startswith("The harbour council voted on Thursday evening")
    assert text.endswith("extend the pumping station's hours.")
    for not_article in (
        "My cellar has flooded",
        "Forty-two million for two gates",
        "Leave a Reply",
        "Lifeboat crew honoured",
        "All rights reserved",
        "Search the Courier",
        "says:",
    ):
        assert not_article not in text


def test_page_without_article_text_is_rejected():
    with pytest.raises(NoArticleText):
        extract_html_page(b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "empty.html")


def test_language_is_detected_when_the_page_declares_none():
    paragraph = (
        "<p>Le conseil municipal a vote jeudi soir la construction d'une digue mobile a l'entree "
        "du vieux port, apres dix ans de debats sur la protection des rues basses contre les "
        "tempetes d'hiver et les grandes marees.</p>"
    )
    html = f"<html><head><title>Digue</title></head><body><article>{paragraph * 3}</article></body></html>"
    assert extract_html_page(html.encode(), "fr.html").language == "fr"


def test_comments_come_as_a_tree_and_stay_out_of_the_body(wordpress_page):
    assert wordpress_page.comments_status == "wordpress"
    comments = wordpress_page.comments
    assert [(c.page_comment_id, c.author, c.depth, c.parent_position) for c in comments] == [
        ("comment-101", "Tom Reyes", 0, None),
        ("comment-102", "Alice Brennan", 1, 0),
        ("comment-103", "Gerald Whitcombe", 0, None),
    ]
    assert comments[1].published_at == datetime(2025, 3, 14, 12, 15, tzinfo=UTC)
    assert all(c.text not in wordpress_page.text for c in comments)


def test_page_is_parsed_once_and_trafilatura_extracts_once(monkeypatch):
    # The flat-text fallback page exercises every comment reader, the costliest path.
    calls = {"load_html": 0, "bare_extraction": 0}
    for name in calls:
        original = getattr(trafilatura, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(trafilatura, name, counting)
    page = extract_html_page((COMMENT_PAGES / "flat_generic_section.html").read_bytes(), "flat.html")

    assert page.comments_status == "flat_text" and page.comments
    assert calls == {"load_html": 1, "bare_extraction": 1}
