"""The seed dumps shipped in seeds/, by name, for tests that need a known page."""

from __future__ import annotations

from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
SEED_000 = SEEDS_DIR / "000_b3c46d5755a19dff.txt"
SEED_003 = SEEDS_DIR / "003_5aa4fa2d1d728a8d.txt"
