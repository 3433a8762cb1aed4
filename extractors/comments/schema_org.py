"""schema.org comments: microdata `Comment` items (`itemprop=comment`, replies nested in their item) and
`comment` arrays in `<script type="application/ld+json">` blocks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import lxml.html
from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments.common import (
    LINKBACK_LABEL,
    Fields,
    Found,
    element_text,
    inline_text,
    linkback_kind,
    nearest,
    nested_tree,
    normalised_id,
    optional_text,
)
from extractors.dates import stated_machine_date

# --- microdata ------------------------------------------------------------------------

_ITEMS = XPath("//@itemscope/parent::*")  # faster than //*[@itemscope], see common.with_class


def _is_comment_item(item: HtmlElement) -> bool:
    types = (item.get("itemtype") or "").split()
    is_comment_type = any(kind.rstrip("/").endswith("schema.org/Comment") for kind in types)
    return is_comment_type or "comment" in (item.get("itemprop") or "").split()


def microdata_comments(root: HtmlElement) -> list[Found]:
    all_items: list[HtmlElement] = _ITEMS(root)
    items = set(all_items)
    comments = [item for item in all_items if _is_comment_item(item)]
    return nested_tree(comments, lambda item, _comments: _microdata_fields(item, items))


def _properties(item: HtmlElement, name: str, items: set[HtmlElement]) -> list[HtmlElement]:
    """Elements carrying property `name` of this item (not of an item nested inside it)."""
    return [
        element
        for element in item.iterdescendants()
        if name in (element.get("itemprop") or "").split() and nearest(element, items) is item
    ]


def _property_value(element: HtmlElement) -> str:
    """The microdata value rules: content, then datetime/href/src/value attributes, else the text."""
    for attribute in ("content", "datetime", "href", "src", "value"):
        if (value := element.get(attribute)) is not None:
            return value.strip()
    return inline_text(element)


def _first_property(item: HtmlElement, names: tuple[str, ...], items: set[HtmlElement]) -> HtmlElement | None:
    return next((element for name in names for element in _properties(item, name, items)), None)


def _microdata_fields(item: HtmlElement, items: set[HtmlElement]) -> Fields:
    text = _first_property(item, ("text", "articleBody"), items)
    date = _first_property(item, ("dateCreated", "datePublished"), items)
    body = _microdata_text(text, items) if text is not None else ""
    author = _microdata_author(item, items)
    return Fields(
        text=body,
        author=author,
        published=stated_machine_date(_property_value(date)) if date is not None else None,
        page_comment_id=_microdata_id(item, items),
        kind=linkback_kind(item, items, body, author),
    )


def _microdata_id(item: HtmlElement, items: set[HtmlElement]) -> str | None:
    """The item's schema.org identity (itemid, else its url property), else the element's id."""
    url = _first_property(item, ("url",), items)
    return item.get("itemid") or (_property_value(url) if url is not None else None) or normalised_id(item.get("id"))


def _microdata_text(element: HtmlElement, items: set[HtmlElement]) -> str:
    content = element.get("content")  # <meta itemprop="text" content="…">
    return content.strip() if content is not None else element_text(element, lambda child: child in items)


def _microdata_author(item: HtmlElement, items: set[HtmlElement]) -> str | None:
    author = _first_property(item, ("author",), items)
    if author is None:
        return None
    if author.get("itemscope") is not None:  # a Person: its name, not its url or image
        name = _first_property(author, ("name",), items)
        return (_property_value(name) or None) if name is not None else optional_text(author)
    return _property_value(author) or None


# --- JSON-LD --------------------------------------------------------------------------

_JSONLD_SCRIPTS = XPath("//script[@type]")
_HTML_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


def jsonld_comments(root: HtmlElement) -> list[Found]:
    nodes = list(_jsonld_nodes(root))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    found: list[Found] = []
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
    entries: object, parent: int | None, depth: int, by_id: dict[str, dict], found: list[Found], seen: set[int]
) -> None:
    for entry in _as_list(entries):
        node = _resolved(entry, by_id)
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(Found(_jsonld_fields(node), parent, depth))
        _add_jsonld_thread(node.get("comment"), len(found) - 1, depth + 1, by_id, found, seen)


def _resolved(entry: object, by_id: dict[str, dict]) -> object:
    """A bare {"@id": …} refers to a Comment described elsewhere in the @graph."""
    if isinstance(entry, dict) and len(entry) == 1 and isinstance(entry.get("@id"), str):
        return by_id.get(entry["@id"], entry)
    return entry


def _jsonld_fields(node: dict) -> Fields:
    identifier = node.get("@id") or node.get("url")
    text = _jsonld_text(node.get("text"))
    author = _jsonld_author(node.get("author"))
    label = LINKBACK_LABEL.match(author or "") or LINKBACK_LABEL.match(text)  # no classes or links to go by
    return Fields(
        text=text,
        author=author,
        published=stated_machine_date(_string(node.get("dateCreated")) or _string(node.get("datePublished"))),
        page_comment_id=identifier if isinstance(identifier, str) else None,
        kind=label[1].lower() if label else "comment",
    )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _jsonld_text(value: object) -> str:
    """Plain text keeps its blank-line paragraphs; some CMSs put the comment's HTML in `text`."""
    text = _string(value) or ""
    if _HTML_TAG.search(text):
        return element_text(lxml.html.fragment_fromstring(text, create_parent="div"))
    paragraphs = (" ".join(paragraph.split()) for paragraph in re.split(r"\n\s*\n", text))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _jsonld_author(value: object) -> str | None:
    for author in _as_list(value):
        name = author if isinstance(author, str) else author.get("name") if isinstance(author, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None
