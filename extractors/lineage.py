"""Which extractors read an input: a file already read by these same extractors, unchanged, is
not read again; after a parser change (a new revision here, or another trafilatura) it is.
Each page also records the extractor that made it (`ParsedPage.extractor_version`)."""

from __future__ import annotations

from importlib.metadata import version

# Bump when a change to the parsers should re-read files that have not changed.
# 3: HTML bodies lose leading title/date/byline lines and furniture paragraphs; trafilatura's
# readability/justext comparison runs only when its first pass finds little.
EXTRACTORS_REVISION = 3
TRAFILATURA_VERSION = version("trafilatura")
EXTRACTOR_VERSION = f"newsmon-extractors {EXTRACTORS_REVISION}; trafilatura {TRAFILATURA_VERSION}"
# Per page: what the page's text came out of.
HTML_EXTRACTOR_VERSION = f"trafilatura {TRAFILATURA_VERSION}; newsmon html_page {EXTRACTORS_REVISION}"
TEXT_DUMP_EXTRACTOR_VERSION = f"newsmon text_dump {EXTRACTORS_REVISION}"
