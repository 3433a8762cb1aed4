"""wpDiscuz: `div.wpd-comment` blocks, replies nested in their thread or listed flat with `wpd_comment_level-N`."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments.common import (
    Fields,
    Found,
    element_text,
    first_owned,
    has_class,
    inline_text,
    linkback_kind,
    nearest,
    nested_tree,
    normalised_id,
    optional_text,
    with_class,
)
from extractors.dates import StatedDate, stated_machine_date, stated_published_date

_WPD_COMMENTS = XPath(f"{with_class('wpd-comment')}[self::div]")
_WPD_ID = re.compile(r"wpd-comm-(\d+)_(\d+)")
_WPD_LEVEL = re.compile(r"\bwpd_comment_level-(\d+)\b")
_WPD_TEXT = (XPath(f".//*[{has_class('wpd-comment-text')}]"),)
_WPD_AUTHOR = (XPath(f".//*[{has_class('wpd-comment-author')}]"),)
_WPD_DATE = (XPath(f".//*[{has_class('wpd-comment-date')}]"),)
_DATETIME_ATTRIBUTE = XPath(".//time/@datetime")


def wpdiscuz_comments(root: HtmlElement) -> list[Found]:
    comments: list[HtmlElement] = _WPD_COMMENTS(root)
    members = set(comments)
    if any(nearest(block, members) is not None for block in comments):
        return nested_tree(comments, _wpdiscuz_fields)
    return _wpdiscuz_flat(comments, lambda block: _wpdiscuz_fields(block, members))


def _wpdiscuz_flat(comments: list[HtmlElement], read: Callable[[HtmlElement], Fields]) -> list[Found]:
    """Replies listed after their thread with only a level class.

    The parent is the comment whose id the reply's `wpd-comm-N_PARENT` names; when that one is not
    on the page (deleted), the nearest shallower comment above, as for a skipped level elsewhere.
    """
    position_of_id: dict[str, int] = {}
    found: list[Found] = []
    for position, block in enumerate(comments):
        ids = _WPD_ID.search(block.get("id") or "")
        level = _WPD_LEVEL.search(block.get("class") or "")
        depth = int(level[1]) - 1 if level else 0
        parent = position_of_id.get(ids[2]) if ids else None
        if parent is None and depth > 0:
            parent = next((above for above in range(position - 1, -1, -1) if found[above].depth < depth), None)
        found.append(Found(read(block), parent, depth))
        if ids:
            position_of_id[ids[1]] = position
    return found


def _wpdiscuz_fields(block: HtmlElement, comments: set[HtmlElement]) -> Fields:
    text = first_owned(block, _WPD_TEXT, comments)
    author = first_owned(block, _WPD_AUTHOR, comments)
    date = first_owned(block, _WPD_DATE, comments)
    body = element_text(text, lambda element: element in comments) if text is not None else ""
    name = optional_text(author)
    return Fields(
        text=body,
        author=name,
        published=_wpdiscuz_date(date) if date is not None else None,
        page_comment_id=normalised_id(block.get("id")),
        kind=linkback_kind(block, comments, body, name),
    )


def _wpdiscuz_date(date: HtmlElement) -> StatedDate | None:
    """The exact date is in a `<time>` or the `title`; the visible text is often "3 days ago"."""
    machine = next(iter(_DATETIME_ATTRIBUTE(date)), None)
    return (
        stated_machine_date(machine)
        or stated_published_date(date.get("title"), fuzzy=True)
        or stated_published_date(inline_text(date), fuzzy=True)
    )
