"""Finding local inputs and turning each kind of file into a page."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from extractors.errors import BinaryInput
from extractors.local_files import discover_inputs, parse_input

PAGES = Path(__file__).parent / "pages"


def test_discovery_walks_directories_and_names_every_problem(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.HTML").write_text("x")
    (tmp_path / "sub" / "c.html.gz").write_bytes(b"x")
    (tmp_path / "notes.docx").write_bytes(b"x")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    inputs, problems = discover_inputs([tmp_path, tmp_path / "a.txt", tmp_path / "gone.txt"])
    assert sorted((i.path.name, i.kind) for i in inputs) == [
        ("a.txt", "text_dump"),
        ("b.HTML", "html"),
        ("c.html.gz", "html"),
    ]
    assert sorted((Path(p.source).name, p.error.reason) for p in problems) == [
        ("gone.txt", "not_found"),
        ("notes.docx", "unsupported_type"),
    ]


def test_gzipped_html_is_extracted_like_plain_html():
    html = (PAGES / "wordpress_article.html").read_bytes()
    plain = parse_input(html, "page.html", "html")
    zipped = parse_input(gzip.compress(html), "page.html.gz", "html")
    assert zipped.text == plain.text and zipped.title == plain.title


def test_gzip_bomb_and_broken_gzip_are_rejected(monkeypatch):
    from extractors import local_files

    monkeypatch.setattr(local_files, "MAX_DECOMPRESSED_BYTES", 1024 * 1024)
    with pytest.raises(BinaryInput, match="gzip bomb"):
        parse_input(gzip.compress(b"<p>" + b"a" * 5 * 1024 * 1024), "bomb.html.gz", "html")
    with pytest.raises(BinaryInput, match="not valid gzip"):
        parse_input(b"this is not gzip", "fake.html.gz", "html")
    with pytest.raises(BinaryInput, match="cut.html.gz is a truncated gzip file") as rejected:
        parse_input(gzip.compress(b"<p>cut short</p>" * 100)[:-20], "inbox/cut.html.gz", "html")
    assert (rejected.value.stage, rejected.value.reason) == ("parse", "binary")


def test_a_txt_file_of_urls_is_a_url_list_not_a_page():
    from extractors.local_files import url_list_entries

    listing = b"# sources\nhttps://example.com/a\n\nhttp://127.0.0.1:8080/b  # local\n"
    assert url_list_entries(listing) == ["https://example.com/a", "http://127.0.0.1:8080/b"]
    assert url_list_entries(b"Headline\n\nhttps://example.com/a is where it started.\n") is None
    assert url_list_entries(b"") is None
