"""The fallback: trafilatura's comment zone, one flat top-level comment per paragraph."""

from __future__ import annotations

import trafilatura
from lxml.etree import XPath, _Element
from lxml.html import HtmlElement

from extractors.comments.common import Fields, Found

# A superset of trafilatura's COMMENTS_XPATH (ids/classes with "comment", ids starting with
# "social", "comol", "disqus_thread", "dsq-comments"): when nothing matches, its comment
# extraction finds nothing, and the costly extraction pass it needs can be skipped.
_MAY_HAVE_COMMENT_ZONE = XPath(
    "boolean(//*[contains(translate(concat(@id, ' ', @class), 'COMENT', 'coment'), 'comment')"
    " or starts-with(@id, 'social') or starts-with(@id, 'comol') or starts-with(@id, 'disqus_thread')"
    " or starts-with(@id, 'dsq-comments')])"
)


def flat_text_comments(root: HtmlElement) -> list[Found]:
    """Each paragraph of trafilatura's comment zone as a top-level comment: it keeps no authors,
    dates or nesting, and guessing them from the text would invent structure.

    Read from `commentsbody` rather than the `comments` string so that the zone's headings
    ("What readers are saying") can be left out: they title the section, they are not comments.
    """
    if not _MAY_HAVE_COMMENT_ZONE(root):
        return []  # trafilatura would find no comment zone either: skip its whole extraction pass
    # fast=True: no readability/justext fallbacks; they only ever change the body, not the comments
    document = trafilatura.bare_extraction(root, include_comments=True, with_metadata=False, fast=True)
    if document is None or document.commentsbody is None:
        return []
    paragraphs = (_trafilatura_paragraph(element) for element in document.commentsbody if element.tag != "head")
    return [Found(Fields(text=paragraph), None, 0) for paragraph in paragraphs if paragraph]


def _trafilatura_paragraph(element: _Element) -> str:
    lines = (" ".join(line.split()) for line in _trafilatura_text(element).split("\n"))
    return "\n".join(line for line in lines if line)


def _trafilatura_text(element: _Element) -> str:
    """Text of a trafilatura output element, its `<lb/>` elements as line breaks."""
    text = element.text or ""
    for child in element:
        text += ("\n" if child.tag == "lb" else _trafilatura_text(child)) + (child.tail or "")
    return text
