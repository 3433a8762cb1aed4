"""The media type of a body served without a Content-Type: HTML, a feed or sitemap, or unknown.

A cut-down version of what browsers do (WHATWG MIME Sniffing, "identifying an unknown MIME
type"): after a byte-order mark, whitespace, comments and XML declarations, the first tag says
what the body is. Only the kinds newsmon reads are recognised; anything else stays unknown.
"""

from __future__ import annotations

import codecs

__all__ = ["sniff_media_type"]

_SNIFF_BYTES = 1024

# (how the first tag starts, lowercased; the media type it means). The tag's name must end
# there, so "<p" is a paragraph but not "<param" or "<pre".
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"<!doctype html", "text/html"),
    (b"<html", "text/html"),
    (b"<head", "text/html"),
    (b"<body", "text/html"),
    (b"<meta", "text/html"),
    (b"<title", "text/html"),
    (b"<script", "text/html"),
    (b"<style", "text/html"),
    (b"<p", "text/html"),
    (b"<div", "text/html"),
    (b"<rss", "application/rss+xml"),
    (b"<feed", "application/atom+xml"),
    (b"<rdf:rdf", "application/rdf+xml"),
    (b"<urlset", "application/xml"),  # a sitemap
    (b"<sitemapindex", "application/xml"),
)
_NAME_ENDS = frozenset({b" ", b"\t", b"\n", b"\r", b"\x0c", b"/", b">"})


def sniff_media_type(body: bytes) -> str | None:
    """What the start of `body` shows ("text/html", a feed or XML type), or None: neither."""
    head = body[:_SNIFF_BYTES].removeprefix(codecs.BOM_UTF8).lower().lstrip()
    declared_xml = head.startswith(b"<?xml")
    while head.startswith((b"<!--", b"<?")):  # a comment, an XML declaration or processing instruction
        closing = b"-->" if head.startswith(b"<!--") else b"?>"
        head = head.partition(closing)[2].lstrip()  # one left open leaves nothing to look at
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature) and head[len(signature) : len(signature) + 1] in _NAME_ENDS:
            return media_type
    return "application/xml" if declared_xml else None
