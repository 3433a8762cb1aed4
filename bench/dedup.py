"""Near-duplicate detection at scale: MinHash/LSH in DuckDB vs comparing with every stored article.

    .venv/bin/python bench/dedup.py [--articles 20000] [--batch 1000] [--copies 0.05] [--edit 0.03]

Loads `--articles` synthetic articles (300 words from a 5,000-word vocabulary; a share
`--copies` of them are lightly edited copies of earlier ones: `--edit` of their words replaced) into a
temp DuckDB file with the real `load_batch`, batch by batch, and prints:
- load throughput of the first and of the last batches (flat = no all-pairs growth),
- the planted copies found (near-duplicate recall) and false links,
- the baseline in this process: for the last batch, comparing every new signature with every
  stored one (vectorised numpy), against the LSH bucket join that the loader does.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractors.records import ParsedPage
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.load import PageToLoad, load_batch
from warehouse.near_duplicates import NEAR_DUPLICATE_THRESHOLD
from warehouse.runs import record_run_start


def synthetic_articles(
    count: int, copy_share: float, edit_share: float, seed: int = 7
) -> tuple[list[str], dict[int, int]]:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(5000)]
    texts, copies = [], {}
    for i in range(count):
        if i > 100 and rng.random() < copy_share:
            original = rng.randrange(i)
            words = texts[original].split()
            for position in rng.sample(range(len(words)), k=int(len(words) * edit_share)):
                words[position] = rng.choice(vocabulary)
            texts.append(" ".join(words))
            copies[i] = original
        else:
            texts.append(" ".join(rng.choice(vocabulary) for _ in range(300)))
    return texts, copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--copies", type=float, default=0.05)
    parser.add_argument("--edit", type=float, default=0.03, help="share of a copy's words replaced")
    args = parser.parse_args()
    texts, copies = synthetic_articles(args.articles, args.copies, args.edit)

    with tempfile.TemporaryDirectory() as tmp, db.writer(Path(tmp) / "dedup.duckdb") as con:
        record_run_start(con, "bench", "bench", {})
        batch_seconds = []
        for start in range(0, len(texts), args.batch):
            pages = [
                PageToLoad(
                    ParsedPage(source=f"doc-{i}", text=texts[i], extraction_method="text_dump"),
                    fingerprint_article(None, None, texts[i]),
                    "file",
                )
                for i in range(start, min(start + args.batch, len(texts)))
            ]
            started = time.perf_counter()
            load_batch(con, "bench", pages, [])
            batch_seconds.append(time.perf_counter() - started)
        linked = dict(
            con.execute(
                "SELECT CAST(substr(a.source_file, 5) AS INTEGER), CAST(substr(o.source_file, 5) AS INTEGER) "
                "FROM articles a JOIN articles o ON o.article_id = a.duplicate_of"
            ).fetchall()
        )
        stored = np.array(
            [s for (s,) in con.execute("SELECT signature FROM article_minhash ORDER BY article_id").fetchall()],
            dtype=np.uint32,
        )

    found = sum(1 for copy in copies if copy in linked)
    false_links = sum(1 for doc in linked if doc not in copies)
    first = args.batch / batch_seconds[0]
    last = args.batch / batch_seconds[-1]
    print(
        f"{args.articles} articles in batches of {args.batch}, {len(copies)} planted near-copies, "
        f"({args.edit:.0%} of words edited), threshold {NEAR_DUPLICATE_THRESHOLD}"
    )
    print(
        f"load with LSH: first batch {first:8.0f} articles/s, last batch {last:8.0f} articles/s "
        f"(last/first {last / first:.2f} ×)"
    )
    print(
        f"near-copies linked {found}/{len(copies)} (recall {found / max(len(copies), 1):.3f}), "
        f"false links {false_links}"
    )

    new = stored[-args.batch :]
    started = time.perf_counter()
    for signature in new:  # the baseline: every new article against every stored one
        np.count_nonzero(stored == signature, axis=1)
    all_pairs = time.perf_counter() - started
    print(
        f"baseline all-pairs compare of the last batch: {all_pairs:6.2f} s vs the whole LSH load of that batch "
        f"{batch_seconds[-1]:6.2f} s: LSH is {all_pairs / batch_seconds[-1]:.1f} × faster, and all-pairs grows "
        f"linearly with the stored count ({len(stored)})"
    )


if __name__ == "__main__":
    main()
