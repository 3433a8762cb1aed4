"""The fallback: trafilatura's comment zone, one flat top-level comment per paragraph."""

from __future__ import annotations

from copy import deepcopy

from lxml.etree import XPath, _Element
from lxml.html import HtmlElement
from trafilatura.core import _forum_thread_page
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_comments
from trafilatura.settings import Extractor
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH

from extractors.comments.common import Fields, Found

# Raw elements that can match trafilatura's COMMENTS_XPATH once its cleaning has run: that XPath wants
# a div, section or list, which raw div, section, details, figure, table and form (made divs) and ul,
# ol and dl (made lists) can become, with an id or class containing "comment" ("Comment" in
# `^Comments`) or an id starting with "comol", "disqus_thread" or "social". Cleaning only removes and
# renames, and nothing enters a zone from outside it, so the capture can be skipped when no such
# element holds text (trafilatura adds none but the `alttext` of MathML formulas) in an element that
# can become one of the capture's non-heading elements (settings.TAG_CATALOG: p, list, quote, code,
# lb, del, hi), renamed from the raw tags listed here (headings become `head`: not comments).
# Walking the id and class attributes up to their elements is faster than testing every element
# (see common.with_class).
_ZONE_TAGS = ("div", "section", "details", "figure", "table", "form", "ul", "ol", "dl")
# fmt: off
_PARAGRAPH_TAGS = (
    "p", "ul", "ol", "dl", "blockquote", "pre", "q", "code", "br", "hr", "del", "s", "strike",
    "list", "quote", "lb", "hi",
)
# fmt: on
_ZONE_ID = (
    "contains(., 'comment') or starts-with(., 'comol') or starts-with(., 'disqus_thread') or starts-with(., 'social')"
)
_MAY_HAVE_COMMENT_ZONE = XPath(
    f"boolean((//@id[{_ZONE_ID}]/parent::* | //@class[contains(., 'comment') or contains(., 'Comment')]/parent::*)"
    f"[{' or '.join(f'self::{tag}' for tag in _ZONE_TAGS)}]"
    f"[.//*[{' or '.join(f'self::{tag}' for tag in _PARAGRAPH_TAGS)}]][normalize-space() or .//math])"
)
# What `bare_extraction(include_comments=True, fast=True)` sets up for its comment capture.
_COMMENT_CAPTURE = Extractor(output_format="python", fast=True, comments=True)


def flat_text_comments(root: HtmlElement) -> list[Found]:
    """Each paragraph of trafilatura's comment zone as a top-level comment: it keeps no authors,
    dates or nesting, and guessing them from the text would invent structure.

    Read from the zone's elements rather than its text so that the zone's headings ("What readers
    are saying") can be left out: they title the section, they are not comments.
    """
    if not _MAY_HAVE_COMMENT_ZONE(root):
        return []
    paragraphs = (
        _trafilatura_paragraph(element) for element in _trafilatura_comment_zone(root) if element.tag != "head"
    )
    return [Found(Fields(text=paragraph), None, 0) for paragraph in paragraphs if paragraph]


def _trafilatura_comment_zone(root: HtmlElement) -> list[_Element]:
    """The elements of `trafilatura.bare_extraction(root, include_comments=True, fast=True).commentsbody`,
    from the same steps (trafilatura 2.3.1, core.trafilatura_sequence) without the article extraction
    that follows them and costs several times more. On a copy: the steps change the tree."""
    if _forum_thread_page(root):
        return []  # trafilatura moves a forum's "comments" into the article body: they are its posts
    tree = prune_unwanted_nodes(deepcopy(root), RAW_TREE_PRUNE_XPATH)
    cleaned = convert_tags(tree_cleaning(tree, _COMMENT_CAPTURE), _COMMENT_CAPTURE)
    zone, _text, _tree = extract_comments(cleaned, _COMMENT_CAPTURE)
    return list(zone)


def _trafilatura_paragraph(element: _Element) -> str:
    lines = (" ".join(line.split()) for line in _trafilatura_text(element).split("\n"))
    return "\n".join(line for line in lines if line)


def _trafilatura_text(element: _Element) -> str:
    """Text of a trafilatura output element, its `<lb/>` elements as line breaks."""
    text = element.text or ""
    for child in element:
        text += ("\n" if child.tag == "lb" else _trafilatura_text(child)) + (child.tail or "")
    return text
