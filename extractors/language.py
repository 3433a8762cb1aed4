"""Language of an article: what the page declares, else detected from the text."""

from __future__ import annotations

import re

import py3langid

# Below this many characters py3langid guesses more than it knows.
MIN_CHARS_FOR_DETECTION = 200
# py3langid keeps a list entry per byte of what it classifies (about 6.5 times the text in memory);
# several paragraphs are plenty to tell languages apart (on the 121-page news corpus no detected
# language changes even at 2,000), so a long text costs no more than this sample.
DETECTION_SAMPLE_CHARS = 10_000
_PRIMARY_SUBTAG = re.compile(r"^[A-Za-z]{2,3}")


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code ('en'), from a declared tag such as 'en-GB' when present."""
    if declared and (match := _PRIMARY_SUBTAG.match(declared.strip())):
        return match[0].lower()
    if len(text) < MIN_CHARS_FOR_DETECTION:
        return None
    return py3langid.classify(text[:DETECTION_SAMPLE_CHARS])[0]
