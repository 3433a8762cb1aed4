"""How much an article's text changed between two revisions, and a readable diff of it."""
from __future__ import annotations

import difflib
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class TextChange:
    similarity: float  # difflib ratio over words: 1.0 = identical
    words_added: int
    words_removed: int


def text_change(old: str, new: str) -> TextChange:
    old_words, new_words = old.split(), new.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    added = removed = 0
    for op, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed += a_end - a_start
        if op in ("replace", "insert"):
            added += b_end - b_start
    return TextChange(round(matcher.ratio(), 4), added, removed)


def readable_diff(old: str, new: str, old_label: str, new_label: str, width: int = 100) -> str:
    """A unified diff over wrapped lines, so a one-word edit in a long paragraph shows as one line."""
    def lines(text: str) -> list[str]:
        return [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, width) or [""])]

    return "\n".join(difflib.unified_diff(lines(old), lines(new), old_label, new_label, lineterm=""))
