"""Bytes in, records out: the bottom layer of newsmon.

Parsers are pure functions from bytes or text to the records of `extractors.records`, or
raise an `extractors.errors.InputRejected`. `extractors.fetch` is the only door to the
network. Nothing here imports the layers above (warehouse/, flows/, newsmon/).
"""

__all__ = [
    "comments",  # reader-comment trees from HTML, one module per markup family
    "dates",  # the one date parser (year-guarded)
    "decoding",  # bytes to text: BOMs, declared and detected charsets, capped gunzip
    "discovery",  # links from feeds, sitemaps and section pages
    "errors",  # the one error tree, rooted at NewsmonError
    "fetch",  # HTTP: polite, safe, retried; the only module that opens connections
    "fetched",  # what a batch of fetch results becomes (pages, rejects, links, URL states)
    "furniture",  # the lines around an article: furniture to drop, headline, byline, date line
    "html_page",  # an HTML article page to a ParsedPage
    "language",
    "local_files",  # which files a path names, and which parser reads each
    "records",  # every record that crosses a layer
    "lineage",  # which extractors and version read an input
    "spam",  # named spam rules for comments
    "text_dump",  # a plain-text page dump to a ParsedPage
    "urls",  # canonical URLs, URL lists
]
