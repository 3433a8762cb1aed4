"""Full-text search latency at 10,000 articles: the fts index of warehouse/search.py vs an ILIKE scan.

    .venv/bin/python bench/search.py [--articles 10000] [--batch 1000] [--repeat 20]

Loads `--articles` distinct synthetic articles (a headline and 300 words from a 5,000-word
vocabulary; one in a hundred mentions "lighthouse") with the real `load_batch`, `--batch` per
commit, into a temp lake, and prints:
- the index build time (copy of articles and comments out of the lake, and both fts indexes),
- the first search after a change (one more batch committed: the search rebuilds the index),
- warm search latency (median of `--repeat`), end to end as `newsmon search` runs it: open the
  lake, compare snapshots, attach the index, rank, and with the ranking alone on open connections,
- the baseline: the same term as a plain `ILIKE '%lighthouse%'` scan of titles and texts of the
  lake (unranked), end to end and alone, with the ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractors.records import ParsedPage
from warehouse import db
from warehouse.dedup import fingerprint_article
from warehouse.load import PageToLoad, load_batch
from warehouse.runs import record_run_start
from warehouse.search import index_path, refresh_index, search

TERM = "lighthouse"
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "do", "pe", "gu", "ra", "zo", "bi", "fa", "hu")
ILIKE = "SELECT article_id, title FROM articles WHERE title ILIKE ? OR text ILIKE ?"
BM25 = (
    "SELECT article_id, title FROM (SELECT *, fts_main_articles.match_bm25(article_id, ?) AS score FROM articles) "
    "WHERE score IS NOT NULL ORDER BY score DESC LIMIT 20"
)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def pages(start: int, count: int, words: list[str], rng: random.Random) -> list[PageToLoad]:
    batch = []
    for i in range(start, start + count):
        text = [rng.choice(words) for _ in range(300)]
        if i % 100 == 7:
            for _ in range(rng.randint(1, 4)):
                text[rng.randrange(300)] = TERM
        title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
        body = " ".join(text)
        url = f"https://bench.example/{i}"
        page = ParsedPage(source=url, text=body, extraction_method="trafilatura", title=title, url=url)
        batch.append(PageToLoad(page, fingerprint_article(url, title, body), "url"))
    return batch


def load(catalog: Path, batch: list[PageToLoad], run_id: str) -> None:
    with db.writer(catalog) as con:
        record_run_start(con, run_id, "bench", {})
        load_batch(con, run_id, batch, [])


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_ms(action: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(action) for _ in range(repeat)) * 1000


def ilike_scan(catalog: Path) -> list[tuple]:
    with db.reader(catalog) as con:
        return con.execute(ILIKE, [f"%{TERM}%"] * 2).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(11)
    words = vocabulary(5_000, rng)

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "bench.sqlite"
        started = time.perf_counter()
        for start in range(0, args.articles, args.batch):
            load(catalog, pages(start, min(args.batch, args.articles - start), words, rng), f"load-{start}")
        print(f"{args.articles} articles loaded in batches of {args.batch} in {time.perf_counter() - started:.1f} s")

        search(catalog, "warm-up")  # the first session of a process checks extension signatures
        index_path(catalog).unlink()
        build_s = timed(lambda: refresh_index(catalog))
        print(f"index build (both tables, from scratch)     {build_s * 1000:8.0f} ms")

        load(catalog, pages(args.articles, 10, words, rng), "one-more")
        started = time.perf_counter()
        assert search(catalog, TERM).rebuilt
        after_change_ms = (time.perf_counter() - started) * 1000
        print(f"first search after a commit (rebuilds)      {after_change_ms:8.0f} ms")

        hits = search(catalog, TERM, limit=1000).rows
        warm_ms = median_ms(lambda: search(catalog, TERM), args.repeat)
        scan_ms = median_ms(lambda: ilike_scan(catalog), args.repeat)
        matches = len(ilike_scan(catalog))
        assert len(hits) == matches, (len(hits), matches)
        print(f"warm search, end to end (median of {args.repeat})     {warm_ms:8.1f} ms   ({len(hits)} hits, ranked)")
        print(f"baseline ILIKE scan, end to end              {scan_ms:8.1f} ms   ({matches} matches, unranked)")
        print(f"ILIKE / fts, end to end                      {scan_ms / warm_ms:8.2f} ×")

        with db.reader(catalog) as lake, db.reader(catalog) as indexed:
            indexed.execute(f"ATTACH '{index_path(catalog)}' AS search_index (READ_ONLY)")
            indexed.execute("USE search_index")
            rank_ms = median_ms(lambda: indexed.execute(BM25, [TERM]).fetchall(), args.repeat)
            alone_ms = median_ms(lambda: lake.execute(ILIKE, [f"%{TERM}%"] * 2).fetchall(), args.repeat)
        print(f"ranking alone on an open index              {rank_ms:8.1f} ms")
        print(f"ILIKE scan alone on an open lake            {alone_ms:8.1f} ms")
        print(f"ILIKE / fts, query alone                     {alone_ms / rank_ms:8.2f} ×")


if __name__ == "__main__":
    main()
