"""Reader comments as a tree, from the HTML of a server-rendered page. Pure: HTML in, CommentExtraction out.

Markup families are tried in this fixed order; the first one that finds at least one
comment wins and names the result's `status`:

1. `wordpress`: core comment lists (`ol.commentlist` / `ol.comment-list` of `li.comment`,
   `li.pingback`, `li.trackback`, replies in `ul.children`), including themes that put
   the id on an inner element, Genesis and tagDiv "Newspaper".
2. `wpdiscuz`: `div.wpd-comment` blocks, nested or flat with `wpd_comment_level-N`.
3. `schema_microdata`: schema.org `Comment` items (`itemprop=comment`), replies nested.
4. `schema_jsonld`: `comment` arrays in `<script type="application/ld+json">`.
5. `drupal`: `div.comment` / `article.comment`, replies in a following `div.indented`.

When none of them matched:

6. `not_in_html`: the page loads its comments with JavaScript (Disqus, Coral, OpenWeb,
   Facebook, Commento, Hyvor Talk…); their text is not in the HTML.
7. `flat_text`: trafilatura's comment zone, one flat top-level comment per paragraph.
8. `none`: no comments.

Why this order: WordPress comes before microdata because themes such as Genesis mark
each WordPress comment as a schema.org Comment but put the replies in `ul.children`,
outside the item, so only the list gives the tree. The HTML families come before
JSON-LD because the HTML is what readers see (JSON-LD often carries a subset). Drupal
comes last of the structured families because `div.comment` is a generic class (the
wpDiscuz blocks carry it too). JavaScript embeds are checked before trafilatura because
trafilatura reads an embed's placeholder ("Have your say", "Please enable JavaScript…")
as comment text.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

import lxml.html
import trafilatura
from dateutil import parser as date_parser
from lxml.etree import XPath, _Element
from lxml.html import HtmlElement

from extractors.records import ParsedComment
from extractors.errors import EmptyInput, UndecodableInput
from extractors.spam import classify_comment


@dataclass(frozen=True)
class CommentExtraction:
    comments: tuple[ParsedComment, ...]
    # The markup family that matched ('wordpress', 'wpdiscuz', 'schema_microdata', 'schema_jsonld',
    # 'drupal', 'flat_text'), 'none' (no comments) or 'not_in_html' (a JavaScript comment embed).
    status: str


def extract_comment_tree(html: bytes | str) -> CommentExtraction:
    """The page's reader comments in page order, with their reply tree.

    Raises EmptyInput for blank input and UndecodableInput when no HTML tree can be built.
    """
    if not html.strip():
        raise EmptyInput("HTML page is empty")
    root = trafilatura.load_html(html)  # the same decoding and repairs as the article extractor
    if root is None:
        raise UndecodableInput("HTML could not be parsed into a document tree")
    for status, find in _FAMILIES:
        if found := find(root):
            return CommentExtraction(_numbered(found), status)
    if _JS_EMBED(root):
        return CommentExtraction((), "not_in_html")
    if found := _flat_text_comments(root):
        return CommentExtraction(_numbered(found), "flat_text")
    return CommentExtraction((), "none")


# --- what every family produces --------------------------------------------------------


@dataclass(frozen=True)
class _Fields:
    """What a comment says about itself, read from its markup."""

    text: str
    author: str | None = None
    published_at: datetime | None = None
    page_comment_id: str | None = None
    kind: str = "comment"


@dataclass(frozen=True)
class _Found:
    """A comment and its place in the tree; `parent` indexes the family's list, which is in page order."""

    fields: _Fields
    parent: int | None
    depth: int


def _numbered(found: list[_Found]) -> tuple[ParsedComment, ...]:
    return tuple(
        ParsedComment(
            position=position,
            depth=comment.depth,
            parent_position=comment.parent,
            text=comment.fields.text,
            author=comment.fields.author,
            published_at=comment.fields.published_at,
            spam_reason=classify_comment(comment.fields.text),
            page_comment_id=comment.fields.page_comment_id,
            kind=comment.fields.kind,
        )
        for position, comment in enumerate(found)
    )


def _nested_tree(
    elements: list[HtmlElement],
    parent_of: Callable[[HtmlElement], HtmlElement | None],
    read: Callable[[HtmlElement], _Fields],
) -> list[_Found]:
    """Comments whose parent is another element of `elements` (always earlier in page order)."""
    index = {element: position for position, element in enumerate(elements)}
    found: list[_Found] = []
    for element in elements:
        parent = index.get(parent_of(element))
        depth = found[parent].depth + 1 if parent is not None else 0
        found.append(_Found(read(element), parent, depth))
    return found


# --- reading markup -------------------------------------------------------------------


def _has_class(name: str) -> str:
    """XPath test for one class token (`contains(@class, 'comment')` would also match 'comment-form')."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _any_class(*names: str) -> str:
    return " or ".join(_has_class(name) for name in names)


def _classes(element: HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def _nearest(element: _Element, among: Collection[_Element]) -> _Element | None:
    """The closest ancestor of `element` that is one of `among`."""
    return next((ancestor for ancestor in element.iterancestors() if ancestor in among), None)


def _owned(comment: HtmlElement, path: XPath, comments: Collection[_Element]) -> list[HtmlElement]:
    """Matches of `path` under `comment` that belong to it, not to a reply nested inside it."""
    return [match for match in path(comment) if _nearest(match, comments) is comment]


def _first_owned(comment: HtmlElement, paths: tuple[XPath, ...], comments: Collection[_Element]) -> HtmlElement | None:
    return next((match for path in paths for match in _owned(comment, path, comments)), None)


# Never reader text: code, media and form controls (the "Reply" of many themes is a <button>).
_NEVER_TEXT = frozenset(
    {"script", "style", "noscript", "template", "button", "svg", "select", "textarea", "input", "form", "img", "iframe"}
)
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "blockquote", "li", "ul", "ol", "dl", "dt", "dd", "pre", "table", "tr", "section", "article",
        "header", "footer", "aside", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address",
    }
)
_WHITESPACE = re.compile(r"\s+")


def _text(element: HtmlElement, skip: Callable[[HtmlElement], bool] = lambda _: False) -> str:
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


def _inline_text(element: HtmlElement, skip: Callable[[HtmlElement], bool] = lambda _: False) -> str:
    return " ".join(_text(element, skip).split())


def _optional_text(element: HtmlElement | None, skip: Callable[[HtmlElement], bool] = lambda _: False) -> str | None:
    """One line of text (a name), or None when the element is missing or empty."""
    return (_inline_text(element, skip) or None) if element is not None else None


def _skipper(comments: Collection[_Element], furniture_classes: frozenset[str]) -> Callable[[HtmlElement], bool]:
    """Leave out nested replies and the comment's furniture (author line, date, Reply link…)."""
    return lambda element: element in comments or not furniture_classes.isdisjoint(_classes(element))


_COMMENT_NUMBER = re.compile(r"comm(?:ent)?-(\d+)")


def _normalised_id(raw: str | None) -> str | None:
    """"div-comment-1234", "li-comment-1234", "wpd-comm-1234_0" → "comment-1234"; other ids unchanged."""
    if not raw:
        return None
    number = _COMMENT_NUMBER.search(raw)
    return f"comment-{number[1]}" if number else raw


# --- dates ----------------------------------------------------------------------------

_UNIX_SECONDS = re.compile(r"\d{9,10}")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def _machine_date(value: str | None) -> datetime | None:
    """A `datetime` / `content` attribute value: ISO 8601 or, as tagDiv writes it, Unix seconds."""
    value = (value or "").strip()
    if not value:
        return None
    if _UNIX_SECONDS.fullmatch(value):
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    try:
        return date_parser.isoparse(value)
    except ValueError:
        return _display_date(value)  # "2025-03-03 10:14:00" and other non-ISO machine values


def _display_date(text: str | None) -> datetime | None:
    """A date written for readers ("March 3, 2025 at 9:12 am"); None for "3 days ago" or no date.

    Numeric dates are read month first (dateutil's default), as WordPress and Drupal print them in
    US locales.
    """
    if not text or not _YEAR.search(text):  # dateutil would turn "Reply" or "2 days ago" into today
        return None
    try:
        return date_parser.parse(text, fuzzy=True)
    except (ValueError, OverflowError):
        return None  # the text only looked like a date: the comment is kept, undated


# --- 1. WordPress core lists ----------------------------------------------------------

_WP_COMMENTS = XPath(
    f"//*[self::ol or self::ul][{_any_class('commentlist', 'comment-list')}]"
    f"//li[{_any_class('comment', 'pingback', 'trackback')}]"
)
_WP_FURNITURE = frozenset(
    {
        "comment-author", "vcard", "comment-meta", "commentmetadata", "comment-metadata", "reply", "comment-reply",
        "comment-reply-link", "says", "edit-link", "comment-edit-link", "comment-awaiting-moderation", "children",
        "avatar",
    }
)
_WP_CONTENT = (XPath(f".//*[{_any_class('comment-content', 'td-comment-content', 'comment-text')}]"),)
_WP_AUTHOR = tuple(
    XPath(path)
    for path in (
        f".//*[{_has_class('comment-author')}]//*[{_has_class('fn')}]",
        f".//*[{_has_class('fn')}]",
        f".//*[{_has_class('comment-author-name')}]",
        ".//*[@itemprop='author']//*[@itemprop='name']",
        ".//cite",  # tagDiv Newspaper: footer > cite
        f".//*[{_has_class('comment-author')}]",
    )
)
_PINGBACK_SOURCE = (XPath(f".//a[{_has_class('url')}]"),)  # WordPress stores the linking page's title as the author
_WP_MACHINE_DATE = XPath(".//time[@datetime]/@datetime | .//time[@pubdate]/@pubdate")
_WP_DISPLAY_DATE = XPath(f".//*[{_any_class('comment-metadata', 'commentmetadata', 'comment-meta')}]//a")
_ANY_ID = XPath(".//*[@id]")


def _wordpress_comments(root: HtmlElement) -> list[_Found]:
    comments: list[HtmlElement] = _WP_COMMENTS(root)
    members = set(comments)
    return _nested_tree(comments, lambda li: _nearest(li, members), lambda li: _wordpress_fields(li, members))


def _wordpress_fields(li: HtmlElement, comments: set[HtmlElement]) -> _Fields:
    kind = next((kind for kind in ("pingback", "trackback") if kind in _classes(li)), "comment")
    skip = _skipper(comments, _WP_FURNITURE)
    content = _first_owned(li, _WP_CONTENT, comments)
    author_paths = _PINGBACK_SOURCE + _WP_AUTHOR if kind != "comment" else _WP_AUTHOR
    author = _first_owned(li, author_paths, comments)
    return _Fields(
        text=_text(content if content is not None else li, skip),
        author=_optional_text(author, _skipper(comments, frozenset({"says", "avatar"}))),
        published_at=_wordpress_date(li, comments),
        page_comment_id=_wordpress_id(li, comments),
        kind=kind,
    )


def _wordpress_date(li: HtmlElement, comments: set[HtmlElement]) -> datetime | None:
    for value in _WP_MACHINE_DATE(li):
        if _nearest(value.getparent(), comments) is li and (date := _machine_date(value)):
            return date
    # Older themes print the date only as the text of the permalink in the meta line.
    for link in _owned(li, _WP_DISPLAY_DATE, comments):
        if date := _display_date(_inline_text(link)):
            return date
    return None


def _wordpress_id(li: HtmlElement, comments: set[HtmlElement]) -> str | None:
    """The `li`'s own comment id, else one on an inner element (div#comment-N, article#div-comment-N)."""
    candidates = [li.get("id")] + [element.get("id") for element in _owned(li, _ANY_ID, comments)]
    numbered = next((raw for raw in candidates if raw and _COMMENT_NUMBER.search(raw)), None)
    return _normalised_id(numbered or li.get("id"))


# --- 2. wpDiscuz ----------------------------------------------------------------------

_WPD_COMMENTS = XPath(f"//div[{_has_class('wpd-comment')}]")
_WPD_ID = re.compile(r"wpd-comm-(\d+)_(\d+)")
_WPD_LEVEL = re.compile(r"\bwpd_comment_level-(\d+)\b")
_WPD_TEXT = (XPath(f".//*[{_has_class('wpd-comment-text')}]"),)
_WPD_AUTHOR = (XPath(f".//*[{_has_class('wpd-comment-author')}]"),)
_WPD_DATE = (XPath(f".//*[{_has_class('wpd-comment-date')}]"),)
_DATETIME_ATTRIBUTE = XPath(".//time/@datetime")


def _wpdiscuz_comments(root: HtmlElement) -> list[_Found]:
    comments: list[HtmlElement] = _WPD_COMMENTS(root)
    members = set(comments)
    read = partial(_wpdiscuz_fields, comments=members)
    if any(_nearest(block, members) is not None for block in comments):
        return _nested_tree(comments, lambda block: _nearest(block, members), read)
    return _wpdiscuz_flat(comments, read)


def _wpdiscuz_flat(comments: list[HtmlElement], read: Callable[[HtmlElement], _Fields]) -> list[_Found]:
    """Replies listed after their thread with only a level class.

    The parent is the comment whose id the reply's `wpd-comm-N_PARENT` names; when that one is not
    on the page (deleted), the nearest shallower comment above, as for a skipped level elsewhere.
    """
    position_of_id: dict[str, int] = {}
    found: list[_Found] = []
    for position, block in enumerate(comments):
        ids = _WPD_ID.search(block.get("id") or "")
        level = _WPD_LEVEL.search(block.get("class") or "")
        depth = int(level[1]) - 1 if level else 0
        parent = position_of_id.get(ids[2]) if ids else None
        if parent is None and depth > 0:
            parent = next((above for above in range(position - 1, -1, -1) if found[above].depth < depth), None)
        found.append(_Found(read(block), parent, depth))
        if ids:
            position_of_id[ids[1]] = position
    return found


def _wpdiscuz_fields(block: HtmlElement, comments: set[HtmlElement]) -> _Fields:
    text = _first_owned(block, _WPD_TEXT, comments)
    author = _first_owned(block, _WPD_AUTHOR, comments)
    date = _first_owned(block, _WPD_DATE, comments)
    return _Fields(
        text=_text(text, lambda element: element in comments) if text is not None else "",
        author=_optional_text(author),
        published_at=_wpdiscuz_date(date) if date is not None else None,
        page_comment_id=_normalised_id(block.get("id")),
    )


def _wpdiscuz_date(date: HtmlElement) -> datetime | None:
    """The exact date is in a `<time>` or the `title`; the visible text is often "3 days ago"."""
    machine = next(iter(_DATETIME_ATTRIBUTE(date)), None)
    return _machine_date(machine) or _display_date(date.get("title")) or _display_date(_inline_text(date))


# --- 3. schema.org microdata ----------------------------------------------------------

_ITEMS = XPath("//*[@itemscope]")


def _is_comment_item(item: HtmlElement) -> bool:
    types = (item.get("itemtype") or "").split()
    is_comment_type = any(kind.rstrip("/").endswith("schema.org/Comment") for kind in types)
    return is_comment_type or "comment" in (item.get("itemprop") or "").split()


def _microdata_comments(root: HtmlElement) -> list[_Found]:
    all_items: list[HtmlElement] = _ITEMS(root)
    items = set(all_items)
    comments = [item for item in all_items if _is_comment_item(item)]
    members = set(comments)
    return _nested_tree(comments, lambda item: _nearest(item, members), lambda item: _microdata_fields(item, items))


def _properties(item: HtmlElement, name: str, items: set[HtmlElement]) -> list[HtmlElement]:
    """Elements carrying property `name` of this item (not of an item nested inside it)."""
    return [
        element
        for element in item.iterdescendants()
        if name in (element.get("itemprop") or "").split() and _nearest(element, items) is item
    ]


def _property_value(element: HtmlElement) -> str:
    """The microdata value rules: content, then datetime/href/src/value attributes, else the text."""
    for attribute in ("content", "datetime", "href", "src", "value"):
        if (value := element.get(attribute)) is not None:
            return value.strip()
    return _inline_text(element)


def _first_property(item: HtmlElement, names: tuple[str, ...], items: set[HtmlElement]) -> HtmlElement | None:
    return next((element for name in names for element in _properties(item, name, items)), None)


def _microdata_fields(item: HtmlElement, items: set[HtmlElement]) -> _Fields:
    text = _first_property(item, ("text", "articleBody"), items)
    date = _first_property(item, ("dateCreated", "datePublished"), items)
    return _Fields(
        text=_microdata_text(text, items) if text is not None else "",
        author=_microdata_author(item, items),
        published_at=_machine_date(_property_value(date)) if date is not None else None,
        page_comment_id=_microdata_id(item, items),
    )


def _microdata_id(item: HtmlElement, items: set[HtmlElement]) -> str | None:
    """The item's schema.org identity (itemid, else its url property), else the element's id."""
    url = _first_property(item, ("url",), items)
    return item.get("itemid") or (_property_value(url) if url is not None else None) or _normalised_id(item.get("id"))


def _microdata_text(element: HtmlElement, items: set[HtmlElement]) -> str:
    content = element.get("content")  # <meta itemprop="text" content="…">
    return content.strip() if content is not None else _text(element, lambda child: child in items)


def _microdata_author(item: HtmlElement, items: set[HtmlElement]) -> str | None:
    author = _first_property(item, ("author",), items)
    if author is None:
        return None
    if author.get("itemscope") is not None:  # a Person: its name, not its url or image
        name = _first_property(author, ("name",), items)
        return (_property_value(name) or None) if name is not None else _optional_text(author)
    return _property_value(author) or None


# --- 4. schema.org JSON-LD ------------------------------------------------------------

_JSONLD_SCRIPTS = XPath("//script[@type]")
_HTML_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


def _jsonld_comments(root: HtmlElement) -> list[_Found]:
    nodes = list(_jsonld_nodes(root))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    found: list[_Found] = []
    seen: set[int] = set()  # a node reached twice (a reply naming its own thread, a repeated block) counts once
    for node in nodes:
        if "comment" in node and not _is_jsonld_comment(node):
            _add_jsonld_thread(node["comment"], None, 0, by_id, found, seen)
    return found


def _jsonld_nodes(root: HtmlElement) -> Iterator[dict]:
    """Top-level objects of every JSON-LD block, `@graph` members and `mainEntity` objects."""
    for script in _JSONLD_SCRIPTS(root):
        if script.get("type").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except json.JSONDecodeError:
            continue  # skipped on purpose: a malformed block (a CMS template bug) cannot be read, the others can
        for node in _as_list(data):
            yield from _with_graph_members(node)


def _with_graph_members(node: object) -> Iterator[dict]:
    if not isinstance(node, dict):
        return
    yield node
    for member in _as_list(node.get("@graph")) + _as_list(node.get("mainEntity")):
        yield from _with_graph_members(member)


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_jsonld_comment(node: dict) -> bool:
    return "Comment" in _as_list(node.get("@type"))


def _add_jsonld_thread(
    entries: object, parent: int | None, depth: int, by_id: dict[str, dict], found: list[_Found], seen: set[int]
) -> None:
    for entry in _as_list(entries):
        node = _resolved(entry, by_id)
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(_Found(_jsonld_fields(node), parent, depth))
        _add_jsonld_thread(node.get("comment"), len(found) - 1, depth + 1, by_id, found, seen)


def _resolved(entry: object, by_id: dict[str, dict]) -> object:
    """A bare {"@id": …} refers to a Comment described elsewhere in the @graph."""
    if isinstance(entry, dict) and len(entry) == 1 and isinstance(entry.get("@id"), str):
        return by_id.get(entry["@id"], entry)
    return entry


def _jsonld_fields(node: dict) -> _Fields:
    identifier = node.get("@id") or node.get("url")
    return _Fields(
        text=_jsonld_text(node.get("text")),
        author=_jsonld_author(node.get("author")),
        published_at=_machine_date(_string(node.get("dateCreated")) or _string(node.get("datePublished"))),
        page_comment_id=identifier if isinstance(identifier, str) else None,
    )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _jsonld_text(value: object) -> str:
    """Plain text keeps its blank-line paragraphs; some CMSs put the comment's HTML in `text`."""
    text = _string(value) or ""
    if _HTML_TAG.search(text):
        return _text(lxml.html.fragment_fromstring(text, create_parent="div"))
    paragraphs = (" ".join(paragraph.split()) for paragraph in re.split(r"\n\s*\n", text))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _jsonld_author(value: object) -> str | None:
    for author in _as_list(value):
        name = author if isinstance(author, str) else author.get("name") if isinstance(author, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


# --- 5. Drupal ------------------------------------------------------------------------

_DRUPAL_COMMENTS = XPath(f"//*[self::div or self::article][{_has_class('comment')}]")
_DRUPAL_FURNITURE = frozenset(
    {
        "links", "comment__links", "submitted", "attribution", "comment__meta", "user-picture",
        "comment__picture-wrapper", "permalink", "rdf-meta", "indented",
    }
)
_DRUPAL_CONTENT = tuple(
    XPath(f".//*[{_has_class(name)}]")
    for name in ("field--name-comment-body", "field-name-comment-body", "comment__content", "content")
)
_DRUPAL_AUTHOR = tuple(XPath(f".//*[{_has_class(name)}]") for name in ("username", "comment__author"))
_DRUPAL_MACHINE_DATE = XPath(
    ".//time/@datetime | .//*[contains(@property, 'dc:created') or contains(@property, 'dateCreated')]/@content"
)
_DRUPAL_DISPLAY_DATE = tuple(
    XPath(f".//*[{_has_class(name)}]") for name in ("comment__time", "comment-time", "submitted")
)
_NOT_VERIFIED = re.compile(r"\s*\(not verified\)$")  # Drupal's suffix on anonymous names, not part of the name


def _drupal_comments(root: HtmlElement) -> list[_Found]:
    comments: list[HtmlElement] = _DRUPAL_COMMENTS(root)
    members = set(comments)
    return _nested_tree(
        comments, lambda block: _drupal_parent(block, members), lambda block: _drupal_fields(block, members)
    )


def _drupal_parent(block: HtmlElement, comments: set[HtmlElement]) -> HtmlElement | None:
    """The comment enclosing `block`, or the one just before the `div.indented` holding it."""
    for ancestor in block.iterancestors():
        if ancestor in comments:
            return ancestor
        if "indented" in _classes(ancestor):
            return next((sibling for sibling in ancestor.itersiblings(preceding=True) if sibling in comments), None)
    return None


def _drupal_fields(block: HtmlElement, comments: set[HtmlElement]) -> _Fields:
    skip = _skipper(comments, _DRUPAL_FURNITURE)
    content = _first_owned(block, _DRUPAL_CONTENT, comments)
    author = _first_owned(block, _DRUPAL_AUTHOR, comments)
    return _Fields(
        text=_text(content if content is not None else block, skip),
        author=_NOT_VERIFIED.sub("", _optional_text(author) or "") or None,
        published_at=_drupal_date(block, comments),
        page_comment_id=_normalised_id(block.get("id") or _anchor_id(block)),
    )


def _anchor_id(block: HtmlElement) -> str | None:
    """Drupal 7 puts `<a id="comment-N"></a>` right before the comment block."""
    previous = block.getprevious()
    return previous.get("id") if previous is not None and previous.tag == "a" else None


def _drupal_date(block: HtmlElement, comments: set[HtmlElement]) -> datetime | None:
    for value in _DRUPAL_MACHINE_DATE(block):
        if _nearest(value.getparent(), comments) is block and (date := _machine_date(value)):
            return date
    shown = _first_owned(block, _DRUPAL_DISPLAY_DATE, comments)
    return _display_date(_inline_text(shown)) if shown is not None else None


# --- 6. JavaScript embeds -------------------------------------------------------------

_JS_EMBED = XPath(
    " | ".join(
        (
            "//*[@id='disqus_thread' or @id='dsq-comments']",
            "//script[contains(@src, 'disqus.com') or contains(., '.disqus.com/embed.js')]",
            "//*[@id='coral_thread']",
            "//coral-talk",
            "//script[contains(@src, 'coral') or contains(., 'Coral.createStreamEmbed')]",
            "//*[@data-spot-id]",
            "//script[contains(@src, 'openweb') or contains(@src, 'spot.im')]",
            f"//*[{_has_class('fb-comments')}]",
            "//*[@id='commento']",
            "//script[contains(@src, 'commento')]",
            "//*[@id='hyvor-talk-view']",
            "//hyvor-talk-comments",
            "//script[contains(@src, 'talk.hyvor.com')]",
            "//script[contains(@src, 'utteranc.es') or contains(@src, 'giscus.app')]",
            "//*[@id='remark42' or @id='vuukle-comments' or @id='livefyre-comments']",
            "//vf-conversations",
        )
    )
)


# --- 7. trafilatura's comment text ----------------------------------------------------


# A superset of trafilatura's COMMENTS_XPATH (ids/classes with "comment", ids starting with
# "social", "comol", "disqus_thread", "dsq-comments"): when nothing matches, its comment
# extraction finds nothing, and the costly extraction pass it needs can be skipped.
_MAY_HAVE_COMMENT_ZONE = XPath(
    "boolean(//*[contains(translate(concat(@id, ' ', @class), 'COMENT', 'coment'), 'comment')"
    " or starts-with(@id, 'social') or starts-with(@id, 'comol') or starts-with(@id, 'disqus_thread')"
    " or starts-with(@id, 'dsq-comments')])"
)


def _flat_text_comments(root: HtmlElement) -> list[_Found]:
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
    return [_Found(_Fields(text=paragraph), None, 0) for paragraph in paragraphs if paragraph]


def _trafilatura_paragraph(element: _Element) -> str:
    lines = (" ".join(line.split()) for line in _trafilatura_text(element).split("\n"))
    return "\n".join(line for line in lines if line)


def _trafilatura_text(element: _Element) -> str:
    """Text of a trafilatura output element, its `<lb/>` elements as line breaks."""
    text = element.text or ""
    for child in element:
        text += ("\n" if child.tag == "lb" else _trafilatura_text(child)) + (child.tail or "")
    return text


_FAMILIES: tuple[tuple[str, Callable[[HtmlElement], list[_Found]]], ...] = (
    ("wordpress", _wordpress_comments),
    ("wpdiscuz", _wpdiscuz_comments),
    ("schema_microdata", _microdata_comments),
    ("schema_jsonld", _jsonld_comments),
    ("drupal", _drupal_comments),
)
