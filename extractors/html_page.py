"""Article text and metadata from an HTML page, with trafilatura. Pure: bytes in, ParsedPage out."""

from __future__ import annotations

import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments import comment_tree_of
from extractors.dates import parse_machine_date
from extractors.errors import NoArticleText
from extractors.language import detect_language
from extractors.records import ParsedPage

# trafilatura falls back to any text it finds (a lone "Home" link); fewer words is not an article.
MIN_ARTICLE_WORDS = 10
# htmldate's defaults drop the time of day; keep it (and the zone) when the page gives it.
DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}
_CONTENT_LANGUAGE = XPath(
    "//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content"
)


def extract_html_page(data: bytes | str, source: str) -> ParsedPage:
    """The article body (comments excluded: they are not article text), its metadata, and
    the reader comments as a tree (extractors.comments).

    The page is parsed once, as trafilatura parses it; the article extraction works on its own copy
    of that tree, and the comment and language readers share the original."""
    root = trafilatura.load_html(data)  # None when no tree can be built: no article text either
    document = _article(root) if root is not None else None
    words = len((document.text or "").split()) if document is not None else 0
    if words < MIN_ARTICLE_WORDS:
        raise NoArticleText(f"no article text found in the HTML page ({words} words of body text)")
    title = document.title or None
    comments = comment_tree_of(root)
    return ParsedPage(
        source=source,
        text=_without_leading_title(document.text.strip(), title),
        extraction_method="trafilatura",
        title=title,
        author=document.author or None,
        published_at=parse_machine_date(document.date),
        site_name=document.sitename or None,
        language=detect_language(document.text, _declared_language(root)),
        url=document.url or None,
        comments=comments.comments,
        comments_status=comments.status,
    )


def _article(root: HtmlElement) -> trafilatura.core.Document | None:
    """trafilatura's body and metadata; it copies `root` before changing anything."""
    return trafilatura.bare_extraction(
        root,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params=DATE_PARAMS,
    )


def _without_leading_title(text: str, title: str | None) -> str:
    """trafilatura keeps an <h1> inside the article as the first line; the title has its own column."""
    first, _, rest = text.partition("\n")
    if title and rest and first.strip().casefold() == title.strip().casefold():
        return rest.strip()
    return text


def _declared_language(root: HtmlElement) -> str | None:
    """`<html lang>` or `<meta http-equiv=content-language>`; trafilatura leaves language empty."""
    declared = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        metas = _CONTENT_LANGUAGE(root)
        declared = metas[0] if metas else None
    return declared
