"""What every comment family shares: the result types, tree building and reading fields from markup."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from lxml.etree import XPath, _Element
from lxml.html import HtmlElement

from extractors.dates import StatedDate, split_author_date, stated_machine_date
from extractors.records import ParsedComment
from extractors.spam import classify_comment


@dataclass(frozen=True)
class CommentExtraction:
    comments: tuple[ParsedComment, ...]
    # The markup family that matched ('wordpress', 'wpdiscuz', 'schema_microdata', 'schema_jsonld',
    # 'drupal', 'flat_text'), 'none' (no comments) or 'not_in_html' (a JavaScript comment embed).
    status: str


# --- what every family produces --------------------------------------------------------


@dataclass(frozen=True)
class Fields:
    """What a comment says about itself, read from its markup."""

    text: str
    author: str | None = None
    published: StatedDate | None = None
    page_comment_id: str | None = None
    kind: str = "comment"  # comment | pingback | trackback


@dataclass(frozen=True)
class Found:
    """A comment and its place in the tree; `parent` indexes the family's list, which is in page order."""

    fields: Fields
    parent: int | None
    depth: int


def numbered(found: list[Found]) -> tuple[ParsedComment, ...]:
    return tuple(_parsed(position, entry.depth, entry.parent, entry.fields) for position, entry in enumerate(found))


def _parsed(position: int, depth: int, parent: int | None, fields: Fields) -> ParsedComment:
    fields = _with_name_only(fields)
    return ParsedComment(
        position=position,
        depth=depth,
        parent_position=parent,
        text=fields.text,
        author=fields.author,
        published_at=fields.published.value if fields.published else None,
        spam_reason=classify_comment(fields.text) if fields.kind == "comment" else None,
        page_comment_id=fields.page_comment_id,
        kind=fields.kind,
        published_raw=fields.published.raw if fields.published else None,
    )


def _with_name_only(fields: Fields) -> Fields:
    """The author as a name: some themes print the date ("Rolf 29.07.2020 // 12:56") or a "says:" inside
    the author element; the date becomes the comment's date when the page gives none elsewhere. A
    linkback's author is the linking page's title: only a "Pingback:" label is taken off it (a title
    may well end in a date)."""
    if fields.kind != "comment":
        return replace(fields, author=LINKBACK_LABEL.sub("", fields.author or "") or None)
    name, stated = split_author_date(fields.author)
    return replace(fields, author=name, published=fields.published or stated)


def nearest(element: _Element, among: Collection[_Element]) -> _Element | None:
    """The closest ancestor of `element` that is one of `among`."""
    return next((ancestor for ancestor in element.iterancestors() if ancestor in among), None)


def nested_tree(
    elements: list[HtmlElement],
    read: Callable[[HtmlElement, set[HtmlElement]], Fields],
    parent_of: Callable[[HtmlElement, set[HtmlElement]], HtmlElement | None] = nearest,
) -> list[Found]:
    """Comments whose parent is another element of `elements` (always earlier in page order).

    `read` and `parent_of` get the element and the set of all comment elements; the parent is by
    default the nearest enclosing comment.
    """
    members = set(elements)
    index = {element: position for position, element in enumerate(elements)}
    found: list[Found] = []
    for element in elements:
        parent = index.get(parent_of(element, members))
        depth = found[parent].depth + 1 if parent is not None else 0
        found.append(Found(read(element, members), parent, depth))
    return found


# --- reading markup -------------------------------------------------------------------


def has_class(name: str) -> str:
    """XPath test for one class token (`contains(@class, 'comment')` would also match 'comment-form')."""
    return _has_token("@class", name)


def any_class(*names: str) -> str:
    return " or ".join(has_class(name) for name in names)


def with_class(*names: str) -> str:
    """XPath for the elements of the whole document that have one of these class tokens.

    It walks the class attributes up to their elements: libxml2 does that several times faster than
    `//*[…]`, which evaluates the test on every element, most of them without a class at all.
    """
    tokens = " or ".join(_has_token(".", name) for name in names)
    return f"//@class[{tokens}]/parent::*"


def _has_token(value: str, name: str) -> str:
    # The plain `contains` first: it rules out most values without building the padded copy.
    return f"(contains({value}, '{name}') and contains(concat(' ', normalize-space({value}), ' '), ' {name} '))"


def classes(element: HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def owned(comment: HtmlElement, path: XPath, comments: Collection[_Element]) -> list[HtmlElement]:
    """Matches of `path` under `comment` that belong to it, not to a reply nested inside it."""
    return [match for match in path(comment) if nearest(match, comments) is comment]


def first_owned(comment: HtmlElement, paths: tuple[XPath, ...], comments: Collection[_Element]) -> HtmlElement | None:
    return next((match for path in paths for match in owned(comment, path, comments)), None)


def owned_machine_date(comment: HtmlElement, path: XPath, comments: Collection[_Element]) -> StatedDate | None:
    """The first date read from the attribute values `path` selects (`.//time/@datetime`…) in the
    comment's own markup, not in a reply nested inside it."""
    for value in path(comment):
        if nearest(value.getparent(), comments) is comment and (date := stated_machine_date(value)):
            return date
    return None


# --- pingbacks and trackbacks ---------------------------------------------------------

# WordPress's comment_class() names the type (`pingback`, `trackback`); some themes put it on an
# inner article/div rather than the li, or write it as `comment-type-pingback`.
_LINKBACK_CLASSES = {
    "pingback": "pingback",
    "trackback": "trackback",
    "comment-type-pingback": "pingback",
    "comment-type-trackback": "trackback",
    "type-pingback": "pingback",
    "type-trackback": "trackback",
}
LINKBACK_LABEL = re.compile(r"^\s*(pingback|trackback)\s*:\s*", re.IGNORECASE)
# WordPress stores a pingback's content as "[…] the linking page's sentence […]".
_EXCERPT_SHAPE = re.compile(r"^\[(?:…|\.\.\.|&hellip;)\].*\[(?:…|\.\.\.|&hellip;)\]$", re.DOTALL)
_OUTSIDE_LINKS = XPath(".//a[starts-with(@href, 'http://') or starts-with(@href, 'https://')]/@href")
# Links of the comment's own furniture, not to the linking site: its permalink, Reply and Edit.
_OWN_LINK = re.compile(r"#comment-|[?&]replytocom=|/wp-admin/")


def linkback_kind(element: HtmlElement, comments: Collection[_Element], text: str, author: str | None) -> str:
    """'pingback' or 'trackback' for a linkback, else 'comment'.

    By the classes of the comment element or of its wrapper (the child element holding the entry);
    on themes that drop the class, by a "Pingback:"/"Trackback:" label before the author or the
    text, or by the shape WordPress gives a pingback's content: a "[…] excerpt […]" by an entry that
    links to another page.
    """
    for node in (element, *(child for child in element if isinstance(child.tag, str) and child not in comments)):
        if labelled := classes(node) & _LINKBACK_CLASSES.keys():
            return _LINKBACK_CLASSES[min(labelled)]
    if label := LINKBACK_LABEL.match(author or "") or LINKBACK_LABEL.match(text):
        return label[1].lower()
    if _EXCERPT_SHAPE.match(text.strip()) and any(
        not _OWN_LINK.search(href) and nearest(href.getparent(), comments) is element
        for href in _OUTSIDE_LINKS(element)
    ):
        return "pingback"
    return "comment"


# Never reader text: code, media and form controls (the "Reply" of many themes is a <button>).
_NEVER_TEXT = frozenset(
    {"script", "style", "noscript", "template", "button", "svg", "select", "textarea", "input", "form", "img", "iframe"}
)
# fmt: off
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "blockquote", "li", "ul", "ol", "dl", "dt", "dd", "pre", "table", "tr", "section", "article",
        "header", "footer", "aside", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address",
    }
)
# fmt: on
_WHITESPACE = re.compile(r"\s+")


def element_text(element: HtmlElement, skip: Callable[[HtmlElement], bool] = lambda _: False) -> str:
    """Paragraphs under `element` joined by a blank line; `<br>` breaks lines; `skip`ped subtrees left out."""
    parts: list[str] = []
    _collect_text(element, skip, parts)
    paragraphs = []
    for block in "".join(parts).split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _collect_text(element: HtmlElement, skip: Callable[[HtmlElement], bool], parts: list[str]) -> None:
    # Source line breaks are only layout: fold them, then mark real breaks with "\n" (br) and "\n\n" (block).
    if element.text:
        parts.append(_WHITESPACE.sub(" ", element.text))
    for child in element:
        if not isinstance(child.tag, str):
            pass  # an HTML comment or processing instruction: not text, but its tail is
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag not in _NEVER_TEXT and not skip(child):
            is_block = child.tag in _BLOCK_TAGS
            parts.append("\n\n" if is_block else "")
            _collect_text(child, skip, parts)
            parts.append("\n\n" if is_block else "")
        if child.tail:
            parts.append(_WHITESPACE.sub(" ", child.tail))


def inline_text(element: HtmlElement, skip: Callable[[HtmlElement], bool] = lambda _: False) -> str:
    return " ".join(element_text(element, skip).split())


def optional_text(element: HtmlElement | None, skip: Callable[[HtmlElement], bool] = lambda _: False) -> str | None:
    """One line of text (a name), or None when the element is missing or empty."""
    return (inline_text(element, skip) or None) if element is not None else None


def skipper(comments: Collection[_Element], furniture_classes: frozenset[str]) -> Callable[[HtmlElement], bool]:
    """Leave out nested replies and the comment's furniture (author line, date, Reply link…)."""
    return lambda element: element in comments or not furniture_classes.isdisjoint(classes(element))


COMMENT_NUMBER = re.compile(r"comm(?:ent)?-(\d+)")


def normalised_id(raw: str | None) -> str | None:
    """ "div-comment-1234", "li-comment-1234", "wpd-comm-1234_0" → "comment-1234"; other ids unchanged."""
    if not raw:
        return None
    number = COMMENT_NUMBER.search(raw)
    return f"comment-{number[1]}" if number else raw
