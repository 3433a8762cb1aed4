"""Drupal: `div.comment` / `article.comment` blocks, replies nested in them or in a following `div.indented`."""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments.common import (
    Fields,
    Found,
    classes,
    element_text,
    first_owned,
    has_class,
    inline_text,
    linkback_kind,
    nested_tree,
    normalised_id,
    optional_text,
    owned_machine_date,
    skipper,
    with_class,
)
from extractors.dates import StatedDate, stated_published_date

_DRUPAL_COMMENTS = XPath(f"{with_class('comment')}[self::div or self::article]")
# fmt: off
_DRUPAL_FURNITURE = frozenset(
    {
        "links", "comment__links", "submitted", "attribution", "comment__meta", "user-picture",
        "comment__picture-wrapper", "permalink", "rdf-meta", "indented",
    }
)
# fmt: on
_DRUPAL_CONTENT = tuple(
    XPath(f".//*[{has_class(name)}]")
    for name in ("field--name-comment-body", "field-name-comment-body", "comment__content", "content")
)
_DRUPAL_AUTHOR = tuple(XPath(f".//*[{has_class(name)}]") for name in ("username", "comment__author"))
_DRUPAL_MACHINE_DATE = XPath(
    ".//time/@datetime | .//*[contains(@property, 'dc:created') or contains(@property, 'dateCreated')]/@content"
)
_DRUPAL_DISPLAY_DATE = tuple(
    XPath(f".//*[{has_class(name)}]") for name in ("comment__time", "comment-time", "submitted")
)
_NOT_VERIFIED = re.compile(r"\s*\(not verified\)$")  # Drupal's suffix on anonymous names, not part of the name


def drupal_comments(root: HtmlElement) -> list[Found]:
    return nested_tree(_DRUPAL_COMMENTS(root), _drupal_fields, _drupal_parent)


def _drupal_parent(block: HtmlElement, comments: set[HtmlElement]) -> HtmlElement | None:
    """The comment enclosing `block`, or the one just before the `div.indented` holding it."""
    for ancestor in block.iterancestors():
        if ancestor in comments:
            return ancestor
        if "indented" in classes(ancestor):
            return next((sibling for sibling in ancestor.itersiblings(preceding=True) if sibling in comments), None)
    return None


def _drupal_fields(block: HtmlElement, comments: set[HtmlElement]) -> Fields:
    skip = skipper(comments, _DRUPAL_FURNITURE)
    content = first_owned(block, _DRUPAL_CONTENT, comments)
    text = element_text(content if content is not None else block, skip)
    author = _NOT_VERIFIED.sub("", optional_text(first_owned(block, _DRUPAL_AUTHOR, comments)) or "") or None
    return Fields(
        text=text,
        author=author,
        published=_drupal_date(block, comments),
        page_comment_id=normalised_id(block.get("id") or _anchor_id(block)),
        # WordPress themes built on `div.comment` blocks land here too, pingbacks included.
        kind=linkback_kind(block, comments, text, author),
    )


def _anchor_id(block: HtmlElement) -> str | None:
    """Drupal 7 puts `<a id="comment-N"></a>` right before the comment block."""
    previous = block.getprevious()
    return previous.get("id") if previous is not None and previous.tag == "a" else None


def _drupal_date(block: HtmlElement, comments: set[HtmlElement]) -> StatedDate | None:
    if date := owned_machine_date(block, _DRUPAL_MACHINE_DATE, comments):
        return date
    shown = first_owned(block, _DRUPAL_DISPLAY_DATE, comments)
    return stated_published_date(inline_text(shown), fuzzy=True) if shown is not None else None
