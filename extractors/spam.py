"""Flag reader comments that are spam, from their text alone.

Each signal below is a named test; a comment is spam when every signal of one of the
combinations in `_SPAM_WHEN` fired. Single weak signals (a dollar rate, "click here",
a link) occur in ordinary comments, so on their own they never flag anything.
Repetition of one comment across articles is detected in the database, not here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_URL_OR_DOMAIN = re.compile(
    r"https?://\S+|\bwww\.\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|biz|online|site|xyz|top|club|io|co|me|ly)\b(?:/\S*)?",
    re.IGNORECASE,
)
# Inside a token already written in look-alike letters any TLD is suspicious enough.
_DOMAIN_ANY_TLD = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b", re.IGNORECASE)

_MONEY = r"\$\s?\d[\d,]*(?:\.\d+)?\s?k?"
_TIME_UNIT = r"(?:hour|hr|h|day|week|month|mo)\b"


@dataclass(frozen=True)
class _Signal:
    code: str
    fired: Callable[[str], bool]


def _matches(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda text: compiled.search(text) is not None


def _has_lookalike_link(text: str) -> bool:
    """A token in styled look-alike letters (𝐖𝐰𝐰.𝐇𝐢𝐠𝐡𝐏𝐫𝐨𝐟𝐢𝐭𝟏.𝐂𝐨𝐦) whose NFKC form is a domain.

    Spammers use mathematical alphanumerics, fullwidth or circled letters so that link
    filters miss the URL; NFKC folds them back to ASCII. Ellipses and ligatures also
    change under NFKC, so the token must contain letters that fold to ASCII letters/digits.
    """
    return any(
        _count_lookalikes(token) >= 3 and _DOMAIN_ANY_TLD.search(unicodedata.normalize("NFKC", token))
        for token in text.split()
    )


def _count_lookalikes(token: str) -> int:
    """Non-ASCII characters that NFKC folds to an ASCII letter or digit."""
    return sum(
        1
        for char in token
        if not char.isascii() and (folded := unicodedata.normalize("NFKC", char)).isascii() and folded.isalnum()
    )


def _is_link_heavy(text: str) -> bool:
    """Nothing but a link, or links making up most of the comment."""
    links = _URL_OR_DOMAIN.findall(text)
    return len(links) >= 3 or (bool(links) and sum(map(len, links)) > len(text.strip()) / 2)


# Order here is the order of codes in the reason string.
_SIGNALS: tuple[_Signal, ...] = (
    _Signal("obfuscated_link", _has_lookalike_link),
    _Signal("link_heavy", _is_link_heavy),
    _Signal("link", lambda text: _URL_OR_DOMAIN.search(text) is not None),
    # "$220 an hour", "$22,000/Month", "$15k monthly", "$100h", "earned $17,529", "make up to $220"
    _Signal(
        "earnings_offer",
        _matches(
            rf"{_MONEY}\s*(?:/\s*|an?\s+|per\s+)?{_TIME_UNIT}"
            rf"|{_MONEY}\s*(?:hourly|daily|weekly|monthly)"
            rf"|\b(?:earn(?:ed|ing|s)?|mak(?:e|es|ing)|made|bring in|income of)\s+"
            rf"(?:(?:over|up to|around|about|at least)\s+)?{_MONEY}"
        ),
    ),
    _Signal(
        "work_from_home",
        _matches(r"\bwork(?:ing|ed)?\s+(?:from|at)\s+(?:my\s+)?home\b|\bonline\s+job\b|\bhome[- ]based\b"),
    ),
    # "check it", "Open This", "sharing this link", "instructions provided here", arrows pointing at a link
    _Signal(
        "call_to_action",
        _matches(
            r"\b(?:click|open|visit|check)\s+(?:it|this|here|out)\b|\bthis\s+link\b|\binstructions\s+provided\b|[→➤]"
        ),
    ),
)

# A comment is spam when all signals of at least one combination fired.
_SPAM_WHEN: tuple[frozenset[str], ...] = (
    frozenset({"obfuscated_link"}),
    frozenset({"link_heavy"}),
    frozenset({"earnings_offer", "link"}),
    frozenset({"earnings_offer", "work_from_home"}),
    frozenset({"earnings_offer", "call_to_action"}),
)


def classify_comment(text: str) -> str | None:
    """None for an ordinary comment, else the fired signal codes, e.g. "obfuscated_link,earnings_offer"."""
    fired = [signal.code for signal in _SIGNALS if signal.fired(text)]
    if any(combination <= set(fired) for combination in _SPAM_WHEN):
        return ",".join(fired)
    return None
