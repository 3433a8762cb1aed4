"""Spam rules on a labelled set of comments: precision and recall per rule, and overall for the
current rules against the baseline (the rules marked `baseline = true` in extractors/spam_rules.toml,
the rule set before the campaign rules).

Run from the repository root: `.venv/bin/python bench/spam.py [--show-errors]`

The set, bench/data/labelled_comments.jsonl, is one JSON object a line: `text`, `spam` (the label)
and `source` (the test page, seed or corpus page it was read from, or `written` for comments written
for the set: campaign spam seen on news sites and ordinary comments that mention money, links,
work or contacts). Repetition across articles is a warehouse rule and is not measured here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from extractors.spam import BASELINE_RULES, RULES, Rule, matching_rules

LABELLED = Path(__file__).resolve().parent / "data" / "labelled_comments.jsonl"


@dataclass(frozen=True)
class Labelled:
    text: str
    spam: bool
    source: str


@dataclass(frozen=True)
class Score:
    flagged: int
    correct: int  # flagged and labelled spam
    spam: int  # labelled spam in the whole set

    @property
    def precision(self) -> float | None:
        return self.correct / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.spam if self.spam else None


def load_labelled(path: Path = LABELLED) -> list[Labelled]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Labelled(**json.loads(line)) for line in lines if line.strip()]


def score(comments: list[Labelled], flagged: list[bool]) -> Score:
    return Score(
        flagged=sum(flagged),
        correct=sum(hit and comment.spam for hit, comment in zip(flagged, comments, strict=True)),
        spam=sum(comment.spam for comment in comments),
    )


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(name: str, result: Score) -> str:
    return f"{name:<28} {result.flagged:>7} {result.correct:>7} {_cell(result.precision):>9} {_cell(result.recall):>7}"


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--show-errors", action="store_true", help="list missed spam and false alarms")
    show_errors = arguments.parse_args().show_errors

    comments = load_labelled()
    rules_hit = [set(matching_rules(comment.text)) for comment in comments]
    print(f"{len(comments)} labelled comments ({sum(c.spam for c in comments)} spam) in {LABELLED}\n")
    print(f"{'rule':<28} {'flagged':>7} {'correct':>7} {'precision':>9} {'recall':>7}")
    for rule in RULES:
        marker = " (baseline)" if rule.baseline else ""
        print(_row(rule.name + marker, score(comments, [rule.name in hit for hit in rules_hit])))
    print()
    for name, rules in (("baseline rules", BASELINE_RULES), ("current rules", RULES)):
        print(_row(name, score(comments, [_flags(hit, rules) for hit in rules_hit])))
    if show_errors:
        print()
        for comment, hit in zip(comments, rules_hit, strict=True):
            if bool(hit) != comment.spam:
                verdict = "missed" if comment.spam else "false alarm"
                print(f"{verdict} [{comment.source}] {comment.text[:100]!r} {sorted(hit)}")


def _flags(rules_hit: set[str], rules: Collection[Rule]) -> bool:
    return any(rule.name in rules_hit for rule in rules)


if __name__ == "__main__":
    main()
