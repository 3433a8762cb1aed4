"""Article extraction from saved HTML pages (our own test pages, no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura

from extractors.errors import NoArticleText
from extractors.html_page import POOR_BODY_CHARS, extract_html_page
from extractors.lineage import HTML_EXTRACTOR_VERSION

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


def _page(name: str):
    return extract_html_page((PAGES / name).read_bytes(), name)


def test_lineage_names_trafilatura_and_its_version(wordpress_page):
    assert wordpress_page.extractor_version == HTML_EXTRACTOR_VERSION
    assert HTML_EXTRACTOR_VERSION.startswith(f"trafilatura {trafilatura.__version__}; newsmon html_page ")


@pytest.mark.parametrize(
    ("name", "source", "published_at"),
    [
        # JSON-LD wins over the meta tag stating the same date
        ("dated_jsonld.html", "json-ld", datetime(2024, 5, 17, 6, 0, tzinfo=UTC)),
        ("dated_meta.html", "meta", datetime(2024, 5, 17, 6, 0, tzinfo=UTC)),
        ("dated_url.html", "url", datetime(2024, 5, 17)),  # htmldate read it from the canonical URL
    ],
)
def test_date_source_names_where_the_page_states_the_date(name, source, published_at):
    page = _page(name)
    assert (page.published_at, page.date_source) == (published_at, source)


def test_wordpress_date_comes_from_its_meta_tag(wordpress_page):
    assert wordpress_page.date_source == "meta"


def test_page_without_a_date_has_no_date_source():
    body = "<p>" + "The tram line opened on a quiet morning with few passengers aboard. " * 6 + "</p>"
    page = extract_html_page(f"<html><body><article>{body}</article></body></html>".encode(), "undated.html")
    assert (page.published_at, page.date_source) == (None, None)


def test_header_lines_and_furniture_kept_by_trafilatura_leave_the_body():
    raw = trafilatura.bare_extraction((PAGES / "dated_jsonld.html").read_bytes(), include_comments=False).text
    page = _page("dated_jsonld.html")
    dropped = (
        "Tram line reaches the airport",  # the title in other words
        "Updated: 17 May 2024",
        "Related: Bus lanes",
        "Share this",
        "You may also like",
        "Ferry fares frozen",  # a headline the navigation marker above points at
    )
    assert all(line in raw for line in dropped)  # trafilatura alone keeps them
    assert page.text.startswith("The new tram line to the airport carried its first passengers")
    assert page.text.endswith("who chairs the residents' association.")
    assert not any(line in page.text for line in dropped)


def _count_extractions(monkeypatch) -> list[bool]:
    """The `fast` argument of each bare_extraction call."""
    calls: list[bool] = []
    original = trafilatura.bare_extraction

    def counting(*args, **kwargs):
        calls.append(kwargs["fast"])
        return original(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", counting)
    return calls


def test_a_poor_first_pass_gets_trafilatura_fallbacks(monkeypatch):
    calls = _count_extractions(monkeypatch)
    short = "<p>The tram line opened on Friday, three years late and a fifth over budget, to cheers.</p>"
    page = extract_html_page(f"<html><body><article>{short}</article></body></html>".encode(), "short.html")
    assert len(page.text) < POOR_BODY_CHARS
    assert calls == [True, False]


def test_a_good_first_pass_is_the_only_one(monkeypatch):
    calls = _count_extractions(monkeypatch)
    assert len(_page("dated_meta.html").text) >= POOR_BODY_CHARS
    assert calls == [True]


def test_page_of_furniture_only_is_rejected():
    furniture = (
        "<p>Share this:</p><p>Related: Bus lanes to go from the ring road next year, the council says</p>"
        "<p>Subscribe to the Valley Herald newsletter today</p>"
    )
    html = f"<html><body><article>{furniture}</article></body></html>"
    assert len(trafilatura.bare_extraction(html, include_comments=False).text.split()) >= 10
    with pytest.raises(NoArticleText):
        extract_html_page(html.encode(), "furniture.html")
