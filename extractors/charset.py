"""Guessing the encoding of bytes that are not valid UTF-8 and declare nothing usable."""
from __future__ import annotations

import charset_normalizer

# Browsers fall back to windows-1252 for undeclared Western pages; charset-normalizer, on a
# short text, often ties it with cp1250/cp1257 and picks one of those (so "Café" becomes
# "Cafķ"). Among the equally clean candidates we prefer the web's default.
_PREFERRED_LEGACY = "cp1252"


def guess_decode(data: bytes) -> str | None:
    """The bytes decoded with the most plausible encoding, or None when nothing fits."""
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if match.encoding == _PREFERRED_LEGACY and match.chaos <= best.chaos:
            return str(match)
    return str(best)
