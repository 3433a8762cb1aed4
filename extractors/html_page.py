"""Article text and metadata from an HTML page, with trafilatura. Pure: bytes in, ParsedPage out."""
from __future__ import annotations

from datetime import datetime

import lxml.html
import trafilatura
from dateutil import parser as date_parser

from extractors.document import ParsedPage
from extractors.errors import NoArticleText, UndecodableInput
from extractors.language import detect_language


def extract_html_page(data: bytes, source: str) -> ParsedPage:
    """Extract the article body (comments excluded: they are not article text) and its metadata."""
    try:
        document = trafilatura.bare_extraction(
            data, url=None, with_metadata=True, include_comments=False, include_tables=True
        )
    except (ValueError, TypeError) as exc:  # lxml raises these on markup it cannot load
        raise UndecodableInput(f"HTML could not be parsed: {exc}") from exc
    if document is None or not (document.text or "").strip():
        raise NoArticleText("no article text found in the HTML page")
    return ParsedPage(
        source=source,
        text=document.text.strip(),
        extraction_method="trafilatura",
        title=document.title or None,
        author=document.author or None,
        published_at=_parse_date(document.date),
        site_name=document.sitename or None,
        language=detect_language(document.text, _declared_language(data)),
        url=document.url or None,
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    return date_parser.isoparse(value)


def _declared_language(data: bytes) -> str | None:
    """`<html lang>` or `<meta http-equiv=content-language>`; trafilatura leaves language empty."""
    try:
        root = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return None
    declared = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        metas = root.xpath("//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content")
        declared = metas[0] if metas else None
    return declared
