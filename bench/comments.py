"""Comment extraction on the labelled pages: our tree extractor against trafilatura's comment text.

Run from the repository root: `.venv/bin/python bench/comments.py`

A predicted comment matches an expected one when, after whitespace folding and case folding,
it starts with the same 30 characters, or when at least 80% of the tokens of the expected
start and end snippets occur in it (this forgives a leading "Name says:" that trafilatura
may keep). Matching is one-to-one, in page order. Parent accuracy is the share of matched
comments whose predicted parent is the match of the expected parent (or both top level).
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from extractors.comments import extract_comment_tree

PAGES_DIR = Path(__file__).resolve().parents[1] / "tests" / "extractors" / "comment_pages"
PREFIX_CHARS = 30
MIN_TOKEN_OVERLAP = 0.8
TIMING_ROUNDS = 20

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    name: str
    family: str
    html: bytes
    expected: list[dict]  # the label's comments: text_startswith, text_endswith, parent…


@dataclass(frozen=True)
class Predicted:
    text: str
    parent: int | None  # None for top level, and for every trafilatura paragraph


@dataclass
class Score:
    expected: int = 0
    predicted: int = 0
    matched: int = 0
    parents_right: int = 0

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.predicted += other.predicted
        self.matched += other.matched
        self.parents_right += other.parents_right

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def parent_accuracy(self) -> float | None:
        return self.parents_right / self.matched if self.matched else None


def load_pages() -> list[Page]:
    pages = []
    for html_path in sorted(PAGES_DIR.glob("*.html")):
        label = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
        pages.append(Page(html_path.stem, label["family"], html_path.read_bytes(), label["comments"]))
    return pages


def ours(html: bytes) -> list[Predicted]:
    return [Predicted(comment.text, comment.parent_position) for comment in extract_comment_tree(html).comments]


def trafilatura_paragraphs(html: bytes) -> list[Predicted]:
    document = trafilatura.bare_extraction(html, include_comments=True, with_metadata=False)
    comments = document.comments if document is not None else ""
    return [Predicted(line.strip(), None) for line in (comments or "").split("\n") if line.strip()]


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _matches(predicted: str, expected: dict) -> bool:
    text = _folded(predicted)
    if text.startswith(_folded(expected["text_startswith"])[:PREFIX_CHARS]):
        return True
    snippet_tokens = _TOKEN.findall(_folded(f"{expected['text_startswith']} {expected['text_endswith']}"))
    text_tokens = set(_TOKEN.findall(text))
    shared = sum(token in text_tokens for token in snippet_tokens)
    return bool(snippet_tokens) and shared / len(snippet_tokens) >= MIN_TOKEN_OVERLAP


def score_page(page: Page, predicted: list[Predicted]) -> Score:
    match_of_expected: dict[int, int] = {}
    used: set[int] = set()
    for expected_index, expected in enumerate(page.expected):
        candidates = (index for index, guess in enumerate(predicted) if index not in used)
        found = next((index for index in candidates if _matches(predicted[index].text, expected)), None)
        if found is not None:
            match_of_expected[expected_index] = found
            used.add(found)
    parents_right = sum(
        predicted[found].parent == _expected_parent_match(page.expected[index]["parent"], match_of_expected)
        for index, found in match_of_expected.items()
    )
    return Score(len(page.expected), len(predicted), len(match_of_expected), parents_right)


def _expected_parent_match(expected_parent: int | None, match_of_expected: dict[int, int]) -> int | None:
    """Where the predicted parent should point: nowhere for a top-level comment, else at the match
    of the expected parent (-1, which no position equals, when that parent was not matched)."""
    if expected_parent is None:
        return None
    return match_of_expected.get(expected_parent, -1)


def score_by_family(pages: list[Page], extractor: Callable[[bytes], list[Predicted]]) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for page in pages:
        page_score = score_page(page, extractor(page.html))
        scores[page.family].add(page_score)
        scores["overall"].add(page_score)
    return scores


def pages_per_second(pages: list[Page], extractor: Callable[[bytes], list[Predicted]]) -> float:
    for page in pages:  # warm-up: imports, compiled XPaths, trafilatura's lazy set-up
        extractor(page.html)
    started = time.perf_counter()
    for _ in range(TIMING_ROUNDS):
        for page in pages:
            extractor(page.html)
    return TIMING_ROUNDS * len(pages) / (time.perf_counter() - started)


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_table(pages: list[Page], ours_scores: dict[str, Score], trafilatura_scores: dict[str, Score]) -> None:
    page_counts = defaultdict(int)
    for page in pages:
        page_counts[page.family] += 1
        page_counts["overall"] += 1
    header = ("family", "pages", "expected", "ours R", "ours P", "ours parent", "traf R", "traf P")
    rows = [
        (
            family,
            str(page_counts[family]),
            str(ours_scores[family].expected),
            _cell(ours_scores[family].recall),
            _cell(ours_scores[family].precision),
            _cell(ours_scores[family].parent_accuracy),
            _cell(trafilatura_scores[family].recall),
            _cell(trafilatura_scores[family].precision),
        )
        for family in [*sorted(family for family in page_counts if family != "overall"), "overall"]
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    pages = load_pages()
    print(f"{len(pages)} labelled pages in {PAGES_DIR}\n")
    print_table(pages, score_by_family(pages, ours), score_by_family(pages, trafilatura_paragraphs))
    ours_speed = pages_per_second(pages, ours)
    trafilatura_speed = pages_per_second(pages, trafilatura_paragraphs)
    print(
        f"\nspeed over {TIMING_ROUNDS} rounds: ours {ours_speed:.1f} pages/s, "
        f"trafilatura include_comments=True {trafilatura_speed:.1f} pages/s, "
        f"ours/trafilatura = {ours_speed / trafilatura_speed:.2f}x"
    )


if __name__ == "__main__":
    main()
