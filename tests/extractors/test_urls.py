from __future__ import annotations

import pytest

from extractors.errors import InvalidUrl, UnsupportedScheme
from extractors.urls import MAX_SHOWN_CHARS, UrlList, canonical_url, is_url, parse_http_url, read_url_list


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story"),  # path keeps its case
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "http://news.example.com/a"),
        ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        (
            "https://news.example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=x&gclid=y&mc_cid=z&mc_eid=w",
            "https://news.example.com/a?id=7",
        ),
        ("https://news.example.com/a?b=2&a=1", "https://news.example.com/a?a=1&b=2"),
        ("https://news.example.com/world/../politics/./story", "https://news.example.com/politics/story"),
        ("https://news.example.com/a/b/..", "https://news.example.com/a/"),
        ("https://news.example.com/../../a", "https://news.example.com/a"),
        ("https://news.example.com//a//b", "https://news.example.com/a/b"),
        ("https://news.example.com", "https://news.example.com/"),
        ("  https://news.example.com/a  ", "https://news.example.com/a"),
        ("http://127.0.0.1:8000/news/../a?utm_campaign=x", "http://127.0.0.1:8000/a"),
        ("http://LOCALHOST:5000/a#top", "http://localhost:5000/a"),
        ("http://[::1]:80/a", "http://[::1]/a"),
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("http://10.0.0.7/intranet/story", "http://10.0.0.7/intranet/story"),
    ],
)
def test_canonical_url(given: str, canonical: str) -> None:
    assert canonical_url(given) == canonical


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTPS://www.Example.com:443/a/./b/../c?utm_source=x&z=1&a=2#f")
    assert canonical_url(once) == once


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "javascript:alert(1)", "mailto:a@b.c"])
def test_other_schemes_are_unsupported(url: str) -> None:
    with pytest.raises(UnsupportedScheme) as rejected:
        canonical_url(url)
    assert rejected.value.reason == "unsupported_scheme"
    assert isinstance(rejected.value, InvalidUrl)  # one except clause catches both


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/a",
        "//example.com/a",
        "/news/a",
        "http://",
        "http:///path",
        "http://exa mple.com/",
        "http://a..b/",
        "http://-bad.example/",
        "http://example.com:99999/",
        "http://[::1/",
    ],
)
def test_malformed_urls_are_invalid(url: str) -> None:
    with pytest.raises(InvalidUrl) as rejected:
        canonical_url(url)
    assert rejected.value.reason == "invalid_url" and rejected.value.stage == "fetch"
    assert rejected.value.detail


def test_parse_http_url_keeps_the_url_as_written() -> None:
    parts = parse_http_url("https://Example.com/A?utm_source=x")
    assert (parts.hostname, parts.path, parts.query) == ("example.com", "/A", "utm_source=x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://news.example.com/a", True),
        ("http://127.0.0.1:8000/", True),
        ("http://localhost/a", True),
        ("news/page.html", False),
        ("/srv/inbox/page.html", False),
        ("C:\\inbox\\page.html", False),
        ("ftp://example.com/a", False),
        ("", False),
    ],
)
def test_is_url(text: str, expected: bool) -> None:
    assert is_url(text) is expected


def test_read_url_list_skips_comments_and_blank_lines() -> None:
    text = (
        "# morning sources\n"
        "https://news.example.com/a\n"
        "\n"
        "   https://news.example.com/b   # added by Ana\n"
        "https://news.example.com/c#fragment\n"
        "\t# indented comment\n"
        "https://news.example.com/a\n"
        "not a url\n"
    )
    assert read_url_list(text) == UrlList(
        urls=[
            "https://news.example.com/a",
            "https://news.example.com/b",
            "https://news.example.com/c#fragment",  # a "#" glued to the URL is a fragment, not a comment
        ],
        bad_lines=[(8, "not a url")],
    )


def test_a_file_with_no_entries_is_not_a_url_list() -> None:
    assert read_url_list("") is None
    assert read_url_list("# nothing yet\n\n") is None


def test_a_list_needs_more_urls_than_other_lines() -> None:
    urls = "https://news.example.com/a\nhttps://news.example.com/b\n"
    assert read_url_list(urls + "a typo\n") is not None
    assert read_url_list(urls + "half of the lines\nare prose\n") is None  # exactly half: not a list


def test_a_url_must_stand_alone_on_its_line() -> None:
    text = "https://news.example.com/a\nhttps://news.example.com/b is where it started\nHTTPS://News.Example.com/c\n"
    assert read_url_list(text) == UrlList(
        urls=["https://news.example.com/a", "HTTPS://News.Example.com/c"],
        bad_lines=[(2, "https://news.example.com/b is where it started")],
    )


def test_a_bad_line_is_shown_cut_short() -> None:
    listing = read_url_list("https://news.example.com/a\nhttps://news.example.com/b\n" + "x" * 5000 + "\n")
    assert listing is not None
    [(number, shown)] = listing.bad_lines
    assert (number, shown) == (3, "x" * MAX_SHOWN_CHARS)


def test_a_long_page_dump_is_not_a_url_list() -> None:
    prose = "The council delayed its vote on the barrier again, officials said.\n\n" * 100_000
    assert read_url_list("https://news.example.com/a\n" + prose) is None
