"""Synthetic text dumps: many distinct small stories with a comment thread each."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "harbour",
    "council",
    "barrier",
    "storm",
    "tide",
    "engineer",
    "budget",
    "vote",
    "street",
    "family",
    "winter",
    "gate",
    "levy",
    "fishermen",
    "channel",
    "report",
    "minister",
    "pact",
    "defence",
    "treaty",
    "summit",
    "market",
)


def write_dumps(directory: Path, count: int) -> None:
    """`count` stories (story_000.txt …), each with four paragraphs and three comments."""
    directory.mkdir()
    for i in range(count):
        rng = random.Random(i)
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(4)]
        comments = "\n\n".join(f"  {n}. Comment {n} on story {i}: {rng.choice(WORDS)}." for n in range(1, 4))
        (directory / f"story_{i:03d}.txt").write_text(
            f"Story number {i} about the harbour\n\n" + "\n\n".join(paragraphs) + f"\n\n3 COMMENTS\n\n{comments}\n"
        )
