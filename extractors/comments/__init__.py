"""Reader comments as a tree, from the HTML of a server-rendered page. Pure: HTML in, CommentExtraction out.

One module per markup family (wordpress, wpdiscuz, schema_org, drupal), the JavaScript-embed check
(js_embeds) and trafilatura's flat fallback (flat_text); what they share is in common. The first
family that finds at least one comment wins and names the result's `status`, in the order of
FAMILIES below; when none matches, the status is `not_in_html` (a JavaScript embed), `flat_text`
(trafilatura's comment zone, one flat top-level comment per paragraph) or `none`.
"""

from __future__ import annotations

from collections.abc import Callable

import trafilatura
from lxml.html import HtmlElement

from extractors.comments.common import CommentExtraction, Found, numbered
from extractors.comments.drupal import drupal_comments
from extractors.comments.flat_text import flat_text_comments
from extractors.comments.js_embeds import has_js_comment_embed
from extractors.comments.schema_org import jsonld_comments, microdata_comments
from extractors.comments.wordpress import wordpress_comments
from extractors.comments.wpdiscuz import wpdiscuz_comments
from extractors.errors import EmptyInput, UndecodableInput

__all__ = ["FAMILIES", "CommentExtraction", "comment_tree_of", "extract_comment_tree"]

# The structured families, tried in this order; the first that finds a comment wins.
FAMILIES: tuple[tuple[str, Callable[[HtmlElement], list[Found]]], ...] = (
    # WordPress core lists (incl. ids on an inner element, Genesis, tagDiv Newspaper). Core and
    # wpDiscuz never match the same page (wpDiscuz replaces the core list with its own blocks), so
    # their relative order decides nothing; core is tried first as the commonest family.
    ("wordpress", wordpress_comments),
    # wpDiscuz before Drupal: its blocks also carry the generic `comment` class that Drupal looks for.
    ("wpdiscuz", wpdiscuz_comments),
    # Microdata after WordPress: themes such as Genesis mark each WordPress comment as a schema.org
    # Comment but put the replies in `ul.children`, outside the item, so only the list gives the tree.
    ("schema_microdata", microdata_comments),
    # JSON-LD after the HTML families above: the HTML is what readers see, and JSON-LD often carries
    # a subset of it. (Drupal is HTML too, but comes after it for the reason below.)
    ("schema_jsonld", jsonld_comments),
    # Drupal last of the structured families: `div.comment` is a generic class (the wpDiscuz blocks
    # carry it too), so it is only trusted when no more specific markup matched.
    ("drupal", drupal_comments),
)
# After the structured families, and before trafilatura's flat fallback, JavaScript embeds: trafilatura
# reads an embed's placeholder ("Have your say", "Please enable JavaScript…") as comment text. The flat
# fallback comes last because it keeps no authors, dates or nesting: any structured match is better.


def extract_comment_tree(html: bytes | str) -> CommentExtraction:
    """The page's reader comments in page order, with their reply tree.

    Raises EmptyInput for blank input and UndecodableInput when no HTML tree can be built.
    """
    if not html.strip():
        raise EmptyInput("HTML page is empty")
    root = trafilatura.load_html(html)  # the same decoding and repairs as the article extractor
    if root is None:
        raise UndecodableInput("HTML could not be parsed into a document tree")
    return comment_tree_of(root)


def comment_tree_of(root: HtmlElement) -> CommentExtraction:
    """The comments of a page already parsed by `trafilatura.load_html`; `root` is only read, so the
    caller can share one parse with its other readers."""
    for status, find in FAMILIES:
        if found := find(root):
            return CommentExtraction(numbered(found), status)
    if has_js_comment_embed(root):
        return CommentExtraction((), "not_in_html")
    if found := flat_text_comments(root):
        return CommentExtraction(numbered(found), "flat_text")
    return CommentExtraction((), "none")
