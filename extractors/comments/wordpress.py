"""WordPress core comment lists: `ol.commentlist` / `ol.comment-list` of `li.comment`, `li.pingback`,
`li.trackback`, replies in `ul.children`; including themes that put the id or the classes on an inner
element (Twenty Ten's `div#comment-N`, `article#div-comment-N`), Genesis and tagDiv "Newspaper"."""

from __future__ import annotations

from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments.common import (
    COMMENT_NUMBER,
    Fields,
    Found,
    any_class,
    element_text,
    first_owned,
    has_class,
    inline_text,
    linkback_kind,
    nested_tree,
    normalised_id,
    optional_text,
    owned,
    owned_machine_date,
    skipper,
    with_class,
)
from extractors.dates import StatedDate, stated_published_date

_ENTRY_CLASSES = any_class("comment", "pingback", "trackback")
# The li carries comment_class(), or (some themes) the article/div right inside it does.
_WP_COMMENTS = XPath(
    f"{with_class('commentlist', 'comment-list')}[self::ol or self::ul]//li[{_ENTRY_CLASSES} or *[{_ENTRY_CLASSES}]]"
)
# fmt: off
_WP_FURNITURE = frozenset(
    {
        "comment-author", "vcard", "comment-meta", "commentmetadata", "comment-metadata", "reply", "comment-reply",
        "comment-reply-link", "says", "edit-link", "comment-edit-link", "comment-awaiting-moderation", "children",
        "avatar",
    }
)
# fmt: on
_WP_CONTENT = (XPath(f".//*[{any_class('comment-content', 'td-comment-content', 'comment-text')}]"),)
_WP_AUTHOR = tuple(
    XPath(path)
    for path in (
        f".//*[{has_class('comment-author')}]//*[{has_class('fn')}]",
        f".//*[{has_class('fn')}]",
        f".//*[{has_class('comment-author-name')}]",
        ".//*[@itemprop='author']//*[@itemprop='name']",
        ".//cite",  # tagDiv Newspaper: footer > cite
        f".//*[{has_class('comment-author')}]",
    )
)
_PINGBACK_SOURCE = (XPath(f".//a[{has_class('url')}]"),)
_WP_MACHINE_DATE = XPath(".//time[@datetime]/@datetime | .//time[@pubdate]/@pubdate")
_WP_DISPLAY_DATE = XPath(f".//*[{any_class('comment-metadata', 'commentmetadata', 'comment-meta')}]//a")
_ANY_ID = XPath(".//*[@id]")


def wordpress_comments(root: HtmlElement) -> list[Found]:
    return nested_tree(_WP_COMMENTS(root), _wordpress_fields)


def _wordpress_fields(li: HtmlElement, comments: set[HtmlElement]) -> Fields:
    content = first_owned(li, _WP_CONTENT, comments)
    text = element_text(content if content is not None else li, skipper(comments, _WP_FURNITURE))
    author_skip = skipper(comments, frozenset({"says", "avatar"}))
    author = optional_text(first_owned(li, _WP_AUTHOR, comments), author_skip)
    kind = linkback_kind(li, comments, text, author)
    if kind != "comment":  # WordPress stores the linking page's title as the author, linked
        author = optional_text(first_owned(li, _PINGBACK_SOURCE + _WP_AUTHOR, comments), author_skip)
    return Fields(
        text=text,
        author=author,
        published=_wordpress_date(li, comments),
        page_comment_id=_wordpress_id(li, comments),
        kind=kind,
    )


def _wordpress_date(li: HtmlElement, comments: set[HtmlElement]) -> StatedDate | None:
    if date := owned_machine_date(li, _WP_MACHINE_DATE, comments):
        return date
    # Older themes print the date only as the text of the permalink in the meta line.
    for link in owned(li, _WP_DISPLAY_DATE, comments):
        if date := stated_published_date(inline_text(link), fuzzy=True):
            return date
    return None


def _wordpress_id(li: HtmlElement, comments: set[HtmlElement]) -> str | None:
    """The `li`'s own comment id, else one on an inner element (div#comment-N, article#div-comment-N)."""
    candidates = [li.get("id")] + [element.get("id") for element in owned(li, _ANY_ID, comments)]
    numbered = next((raw for raw in candidates if raw and COMMENT_NUMBER.search(raw)), None)
    return normalised_id(numbered or li.get("id"))
