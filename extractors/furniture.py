"""The lines around a news page's article: furniture to drop ("Share this", "You may also like"
and the headlines that follow them, from furniture.toml) and the head (headline, byline, date
line). Both parsers use them: text dumps (text_dump.py) and the text trafilatura finds in HTML
(html_page.py)."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from extractors.dates import parse_published_date

_MAX_HEADLINE_CHARS = 150

# "UK-France Move Toward…" vs "Britain and France Move Toward…" scores 0.90.
_MIN_REPEATED_HEADLINE_SIMILARITY = 0.75

_BYLINE = re.compile(r"(?:written\s+)?by\s+(?P<name>.+?)(?:\s*(?:[|,]|\s[-–—])\s*(?P<rest>.+))?", re.IGNORECASE)

_DATE_PREFIX = re.compile(r"(?:published|updated|last\s+updated|posted|date)(?:\s+on)?\s*:?\s*", re.IGNORECASE)

_SENTENCE_END = (".", ",", ";", ":")

_CLOSING_QUOTES = "\"'”’)]"

_TRAILING_MARKS = " .:…"

_NAME_PARTICLES = frozenset({"and", "de", "da", "di", "van", "von", "der", "den", "la", "le", "bin", "al"})


@dataclass(frozen=True)
class LineSet:
    """Whole lines matched case-insensitively, with surrounding whitespace and trailing dots or colons
    trimmed ("Share this:", "You may also like..."), see furniture.toml. The HTML extractor uses them too."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def from_table(cls, table: dict[str, list[str]]) -> LineSet:
        return cls(
            exact=frozenset(_normalise(entry) for entry in table["exact"]),
            prefixes=tuple(entry.lstrip().casefold() for entry in table["prefixes"]),
        )

    def matches(self, line: str) -> bool:
        key = _normalise(line)
        return key in self.exact or key.startswith(self.prefixes)


def _normalise(line: str) -> str:
    return " ".join(line.split()).casefold().rstrip(_TRAILING_MARKS)


def _load_furniture() -> tuple[LineSet, LineSet]:
    table = tomllib.loads(resources.files("extractors").joinpath("furniture.toml").read_text(encoding="utf-8"))
    return LineSet.from_table(table["drop"]), LineSet.from_table(table["navigation"])


DROPPED_LINES, NAVIGATION_MARKERS = _load_furniture()


def looks_like_headline(line: str) -> bool:
    """Short and without the punctuation that ends a sentence."""
    return 0 < len(line) <= _MAX_HEADLINE_CHARS and not line.rstrip(_CLOSING_QUOTES).endswith(_SENTENCE_END)


def looks_like_name(text: str, min_words: int, max_words: int) -> bool:
    """ "Jane Smith", "Ursula von der Leyen": capitalised words, no digits, no closing punctuation."""
    words = text.split()
    if not min_words <= len(words) <= max_words or text.endswith(_SENTENCE_END):
        return False
    return all(
        word.casefold() in _NAME_PARTICLES or (word[0].isupper() and not any(char.isdigit() for char in word))
        for word in words
    )


def drop_navigation(lines: list[str]) -> list[str]:
    """Drop navigation markers and the headlines of the articles they link to."""
    kept: list[str] = []
    in_link_list = False
    for line in lines:
        if NAVIGATION_MARKERS.matches(line):
            in_link_list = True
        elif in_link_list and (not line or looks_like_headline(line)):
            continue
        else:
            in_link_list = False
            kept.append(line)
    return kept


def parse_byline(line: str) -> tuple[str, datetime | None] | None:
    """("Name", date or None) for "By Name" / "By Name | 3 March 2025", else None."""
    byline = _BYLINE.fullmatch(line)
    if byline is None or not looks_like_name(byline["name"], min_words=1, max_words=6):
        return None
    return byline["name"], parse_date_line(byline["rest"]) if byline["rest"] else None


def parse_date_line(line: str) -> datetime | None:
    """The date a line such as "Published: 3 March 2025 10:14" states, else None."""
    prefix = _DATE_PREFIX.match(line)
    return parse_published_date(line[prefix.end() :] if prefix else line)  # the whole rest must be a date


def is_same_headline(line: str, title: str) -> bool:
    matcher = difflib.SequenceMatcher(None, line.casefold(), title.casefold())
    threshold = _MIN_REPEATED_HEADLINE_SIMILARITY
    # real_quick_ratio() and quick_ratio() are cheap upper bounds of ratio(): most lines fail them.
    return (
        matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
    )
