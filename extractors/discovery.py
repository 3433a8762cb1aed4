"""Where articles are listed: links out of feeds, sitemaps and section pages. Text in, URLs out.

Every function returns canonical URLs (`extractors.urls.canonical_url`), de-duplicated, in
document order. Links that are not http(s) URLs are left out: nothing could fetch them.

Library use, and where it stops:
- Feeds: `trafilatura.feeds.find_links` reads RSS, Atom and JSON Feed. Its next step,
  `extract_links`, is not used: it runs `courlan.check_url`, which drops every IP-literal and
  localhost link, and it sorts the links. We filter with courlan's path heuristics instead.
- Sitemaps: parsed with lxml. trafilatura's `SitemapObject` tells a child sitemap from a page
  by a ".xml" suffix rather than by the document (urlset vs sitemapindex), and also drops
  localhost/IP links.
- Section pages: anchors via lxml.html, kept when they stay on the page's site and pass
  courlan's filters (no feeds, tag/category/archive pages, files, login/imprint pages) and
  look like an article (see `_looks_like_article`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urljoin, urlsplit

import lxml.html
from courlan.filters import (
    extension_filter,
    is_navigation_page,
    is_not_crawlable,
    path_filter,
    type_filter,
)
from lxml import etree
from trafilatura.feeds import FeedParameters, find_links

from extractors.errors import InvalidUrl, UnsupportedInput
from extractors.urls import canonical_url, is_url

SourceKind = Literal["feed", "sitemap", "page"]

_FEED_ROOTS = frozenset({"rss", "feed", "rdf"})  # RSS 2.0, Atom, RSS 1.0 (rdf:RDF)
_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_FEED_MEDIA_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
)
# Prolog parts before an XML document's root element.
_XML_PROLOG = re.compile(r"<\?.*?\?>|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>", re.DOTALL)
_FIRST_TAG = re.compile(r"<(?:[\w.-]+:)?([A-Za-z_][\w.-]*)")
_FIRST_ENTRY = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_SNIFF_CHARS = 4096


def detect_source_kind(text: str, content_type: str | None) -> SourceKind:
    """What a fetched document is, by its root element first (servers label XML loosely),
    then by its shape (a JSON Feed, a plain list of URLs), then by its Content-Type."""
    root = _root_element(text)
    if root in _FEED_ROOTS or _is_json_feed(text):
        return "feed"
    if root in _SITEMAP_ROOTS or (root is None and _is_url_list(text)):
        return "sitemap"
    if root is None and (content_type or "").split(";")[0].strip().lower() in _FEED_MEDIA_TYPES:
        return "feed"
    return "page"


def links_from_feed(text: str, feed_url: str) -> list[str]:
    """Article links of an RSS, Atom or JSON feed, relative links resolved against `feed_url`.

    The feed's own links (channel/feed-level <link>, the feed URL, the site's home page) and
    non-page links (enclosures such as .mp3 or .jpg, other feeds, tag/category pages) are left
    out. Items may link to other hosts: aggregator feeds do. Raises UnsupportedInput when the
    text is not a feed.
    """
    document = text.strip().lstrip("\ufeff")
    if detect_source_kind(document, None) != "feed":
        raise UnsupportedInput(f"{feed_url}: not an RSS, Atom or JSON feed")
    parts = urlsplit(feed_url)
    params = FeedParameters(baseurl=f"{parts.scheme}://{parts.netloc}", domain=parts.netloc, reference=feed_url)
    feed_level = {canonical_url(feed_url), *_canonical_links(_feed_links(_feed_head(document), params), feed_url)}
    return [
        url
        for url in _canonical_links(_feed_links(document, params), feed_url)
        if url not in feed_level and urlsplit(url).path != "/" and _is_page_link(url)
    ]


def links_from_sitemap(text: str, sitemap_url: str) -> tuple[list[str], list[str]]:
    """(pages, child sitemaps) of an XML sitemap (urlset, incl. Google News and image
    sitemaps; or a sitemapindex) or a plain-text sitemap (one URL per line).

    Only the <loc> of each <url>/<sitemap> counts: image, video and hreflang links are not
    pages. Raises UnsupportedInput when the text is neither kind of sitemap.
    """
    document = text.strip().lstrip("\ufeff")
    if not document.startswith("<"):
        if not _is_url_list(document):
            raise UnsupportedInput(f"{sitemap_url}: neither an XML sitemap nor a plain-text list of URLs")
        return _canonical_links(document.splitlines(), sitemap_url), []
    root = _parse_xml(document)
    if root is None:
        raise UnsupportedInput(f"{sitemap_url}: starts like XML but does not parse as XML")
    kind = etree.QName(root).localname
    if kind == "urlset":
        return _canonical_links(_locations(root, "url"), sitemap_url), []
    if kind == "sitemapindex":
        return [], _canonical_links(_locations(root, "sitemap"), sitemap_url)
    raise UnsupportedInput(f"{sitemap_url}: XML whose root is <{kind}>, not <urlset> or <sitemapindex>")


def links_from_section_page(page_html: str, page_url: str) -> list[str]:
    """Links on a section or home page that look like articles on the same site.

    Same site = same host, ignoring a leading "www.", and same port; localhost and IP hosts
    count like any other. `<base href>` is honoured; rel="nofollow" links are skipped.
    """
    try:
        tree = lxml.html.document_fromstring(page_html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except etree.ParserError:
        return []  # "Document is empty": no elements, so no links
    base = urljoin(page_url, next(iter(tree.xpath("//base/@href")), ""))
    hrefs = [anchor.get("href", "") for anchor in tree.iter("a") if "nofollow" not in (anchor.get("rel") or "").lower()]
    page = canonical_url(page_url)
    return [
        url
        for url in _canonical_links(hrefs, base)
        if url != page and _same_site(url, page) and _is_page_link(url) and _looks_like_article(url)
    ]


def _feed_links(document: str, params: FeedParameters) -> list[str]:
    # find_links reads the markup with regexes, so XML escapes such as "&amp;" are still there.
    return [html.unescape(link) for link in find_links(document, params)]


def _feed_head(document: str) -> str:
    """The part of an XML feed before its first <item>/<entry>: links there belong to the feed
    itself (its site, its image), not to an article. A JSON Feed keeps those outside "items"."""
    if _is_json_feed(document):
        return ""
    first_entry = _FIRST_ENTRY.search(document)
    return document[: first_entry.start()] if first_entry else document


def _canonical_links(links: Iterable[str], base_url: str) -> list[str]:
    """Resolved against `base_url`, canonical, first occurrence kept; non-http(s) links dropped."""
    found: dict[str, None] = {}
    for link in links:
        if not link.strip():
            continue  # an empty link would resolve to the base URL itself
        try:
            found[canonical_url(urljoin(base_url, link.strip()))] = None
        except InvalidUrl:
            continue  # mailto:, javascript:, garbage: not a page we could fetch
    return list(found)


def _is_page_link(url: str) -> bool:
    """courlan's heuristics for "an HTML page, not a feed, file, archive, tag or login page"."""
    parts = urlsplit(url)
    return (
        type_filter(url, strict=True, with_nav=False)
        and extension_filter(parts.path)
        and path_filter(parts.path, parts.query)
        and not is_navigation_page(url)
        and not is_not_crawlable(url)
    )


_SLUG_WORDS = re.compile(r"[-_]")
_LONG_NUMBER = re.compile(r"\d{4,}")


def _looks_like_article(url: str) -> bool:
    """Article URLs carry a headline slug ("/world/flood-hits-the-north") or an id or a date
    ("/news/12345678", "/2026/11/03/election.html"); section links are short words
    ("/world", "/sport/football")."""
    path = urlsplit(url).path
    last_segment = path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return len(_SLUG_WORDS.split(last_segment)) >= 3 or bool(_LONG_NUMBER.search(path))


def _same_site(url: str, page_url: str) -> bool:
    return _site(url) == _site(page_url)


def _site(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return (parts.hostname or "").removeprefix("www."), parts.port


def _root_element(text: str) -> str | None:
    """Local name of the first element, lowercased ("rss", "urlset", "html"), or None for
    text that does not start like markup."""
    head = text[:_SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    if not head.startswith("<"):
        return None
    match = _FIRST_TAG.search(_XML_PROLOG.sub("", head))
    return match[1].lower() if match else None


def _is_json_feed(text: str) -> bool:
    head = text[:_SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    return head.startswith("{") and "jsonfeed.org/version" in head


def _is_url_list(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return bool(lines) and all(is_url(line) for line in lines)


def _parse_xml(document: str) -> etree._Element | None:
    # Untrusted input: no entity expansion, no network. `encoding` overrides the declaration,
    # which no longer applies to an already-decoded str.
    parser = etree.XMLParser(encoding="utf-8", resolve_entities=False, no_network=True, recover=True)
    return etree.fromstring(document.encode("utf-8"), parser)


def _locations(root: etree._Element, entry: str) -> list[str]:
    """Text of each <entry>/<loc>, with or without the sitemap namespace."""
    return [str(loc) for loc in root.xpath(f"./*[local-name()='{entry}']/*[local-name()='loc']/text()")]
