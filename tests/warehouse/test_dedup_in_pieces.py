"""A long text is normalised a part at a time (warehouse/dedup.py), so that a 40 MB dump never has
a list of all its words in memory: its normal form, content hash and shingles must be exactly
those of the whole text normalised at once. (Memory itself is measured by bench/faults.py.)"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata

import pytest

from warehouse.dedup import NORMALIZE_CHUNK_CHARS, article_content_hash, normalize_text, shingles

# Characters whose normal form differs, or that NFKC composes or reorders: at a cut between two
# parts, each must come out as it does inside the whole text.
TRICKY = [
    "´",  # NFKC: a space and a combining acute, so a part may start with whitespace
    "¨",
    "\u0301",  # combining marks, also straight after whitespace
    "\u0327",
    "e\u0301",
    "\xa0",  # whitespace that NFKC maps to a space
    "\u3000",
    "\u2028",
    "\x1c",
    "\u2000",
    "ﬁ",
    "ＡＢ",
    "①",
    "ß",
    "\u1100\u1161\u11a8",  # Hangul jamo compose
    "\ufdfa",  # one character, several words
]
WORDS = ["harbour", "council", "Straße", "ÉTÉ", "minutes", "9"]
GAPS = [" ", "  ", "\n", "\n\n", "\t", " \r\n "]


def whole_normal_form(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def long_texts() -> list[str]:
    rng = random.Random(10)
    pieces = []
    for _ in range(5 * NORMALIZE_CHUNK_CHARS // 6):  # several parts of random words, gaps and tricky characters
        pieces.append(rng.choice(TRICKY) if rng.random() < 0.4 else rng.choice(WORDS))
        pieces.append(rng.choice(GAPS) if rng.random() < 0.7 else rng.choice(TRICKY))
    mixed = "".join(pieces)
    return [
        mixed,
        f" ´ {mixed}´ \n",
        " " * (NORMALIZE_CHUNK_CHARS + 5) + mixed + "\u3000" * (2 * NORMALIZE_CHUNK_CHARS),  # runs longer than a part
        "´" * (3 * NORMALIZE_CHUNK_CHARS),  # every cut inside a run of characters NFKC makes start with a space
        "x" * (2 * NORMALIZE_CHUNK_CHARS) + " y",  # a word longer than a part
    ]


@pytest.mark.parametrize("text", long_texts(), ids=lambda text: f"{len(text)} chars")
def test_a_long_text_normalised_in_parts_is_the_whole_normalised(text: str) -> None:
    expected = whole_normal_form(text)
    assert normalize_text(text) == expected
    digest = hashlib.sha256()
    for part in (whole_normal_form("Title ´"), expected):
        digest.update(part.encode("utf-8") + b"\x1f")
    assert article_content_hash("Title ´", text) == digest.hexdigest()


@pytest.mark.parametrize("text", long_texts(), ids=lambda text: f"{len(text)} chars")
def test_a_long_texts_shingles_are_those_of_the_whole_text(text: str) -> None:
    words = re.findall(r"\w+", whole_normal_form(text).casefold())
    expected = [" ".join(words[i : i + 5]).encode() for i in range(len(words) - 4)] or [" ".join(words).encode()]
    assert [shingle for chunk in shingles(text) for shingle in chunk] == (expected if words else [])
