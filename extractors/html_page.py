"""Article text and metadata from an HTML page, with trafilatura. Pure: bytes in, ParsedPage out."""

from __future__ import annotations

import lxml.html
import trafilatura

from extractors.comments import extract_comment_tree
from extractors.dates import parse_machine_date
from extractors.errors import NoArticleText, UndecodableInput
from extractors.language import detect_language
from extractors.records import ParsedPage

# trafilatura falls back to any text it finds (a lone "Home" link); fewer words is not an article.
MIN_ARTICLE_WORDS = 10
# htmldate's defaults drop the time of day; keep it (and the zone) when the page gives it.
DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}


def extract_html_page(data: bytes | str, source: str) -> ParsedPage:
    """The article body (comments excluded: they are not article text), its metadata, and
    the reader comments as a tree (extractors.comments)."""
    try:
        document = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=DATE_PARAMS,
        )
    except (ValueError, TypeError) as exc:  # lxml raises these on markup it cannot load
        raise UndecodableInput(f"HTML could not be parsed: {exc}") from exc
    words = len((document.text or "").split()) if document is not None else 0
    if words < MIN_ARTICLE_WORDS:
        raise NoArticleText(f"no article text found in the HTML page ({words} words of body text)")
    title = document.title or None
    comments = extract_comment_tree(data)
    return ParsedPage(
        source=source,
        text=_without_leading_title(document.text.strip(), title),
        extraction_method="trafilatura",
        title=title,
        author=document.author or None,
        published_at=parse_machine_date(document.date),
        site_name=document.sitename or None,
        language=detect_language(document.text, _declared_language(data)),
        url=document.url or None,
        comments=comments.comments,
        comments_status=comments.status,
    )


def _without_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps an <h1> inside the article as the first line; the title has its own column."""
    first, _, rest = text.partition("\n")
    if title and rest and first.strip().casefold() == title.strip().casefold():
        return rest.strip()
    return text


def _declared_language(data: bytes | str) -> str | None:
    """`<html lang>` or `<meta http-equiv=content-language>`; trafilatura leaves language empty."""
    try:
        root = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return None
    declared = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        metas = root.xpath(
            "//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content"
        )
        declared = metas[0] if metas else None
    return declared
