"""Which extractors read an input: a file already read by these same extractors, unchanged, is
not read again; after a parser change (a new revision here, or another trafilatura) it is."""

from __future__ import annotations

from importlib.metadata import version

# Bump when a change to the parsers should re-read files that have not changed.
EXTRACTORS_REVISION = 2
EXTRACTOR_VERSION = f"newsmon-extractors {EXTRACTORS_REVISION}; trafilatura {version('trafilatura')}"
