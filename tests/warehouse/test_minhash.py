"""warehouse/dedup.py's numpy MinHash gives datasketch's signatures: stored signatures stay valid."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from tests.support.seeds import SEEDS_DIR
from warehouse.dedup import NUM_PERM, minhash_signature, shingles


def datasketch_signature(text: str) -> np.ndarray:
    reference = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
    for chunk in shingles(text):
        reference.update_batch(chunk)
    return reference.hashvalues.astype(np.uint32)


def texts() -> list[str]:
    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS_DIR.glob("*.txt"))]
    many_words = " ".join(f"wort{n} straße {n % 7}" for n in range(30_000))  # several shingle chunks
    return [*seeds, many_words, "too short", "Ünïcödé ﬁ ligatures and ＦＵＬＬＷＩＤＴＨ letters, here five words", ""]


@pytest.mark.parametrize("text", texts(), ids=lambda t: f"{len(t)} chars")
def test_signatures_equal_datasketchs_affine32_minhash(text):
    assert np.array_equal(minhash_signature(text), datasketch_signature(text))
