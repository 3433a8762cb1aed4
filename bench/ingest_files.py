"""Local HTML ingest throughput: extraction in the flow's process vs on a process pool.

    .venv/bin/python bench/ingest_files.py [--copies 4]

Runs the real `ingest` flow twice in this process over `--copies` × the 121 saved news pages of
`../shared/corpus/extraction/html` (symlinked from a temp dir, never copied into the project;
the copies are exact duplicates, so they cost extraction but add sightings, not articles),
into fresh temp DuckDB files:
once with NEWSMON_EXTRACT_PROCESSES=1 (the baseline) and once with one process per core, and
prints pages/s of each and the ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS_HTML = ROOT.parent / "shared" / "corpus" / "extraction" / "html"


def run(inputs: Path, processes: int) -> tuple[float, int]:
    from flows.ingest import ingest

    os.environ["NEWSMON_EXTRACT_PROCESSES"] = str(processes)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        summary = ingest(paths=[str(inputs)], db_path=str(Path(tmp) / "bench.duckdb"))
        return time.perf_counter() - started, summary.counts.articles_new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    if not CORPUS_HTML.is_dir():
        sys.exit(f"corpus not found at {CORPUS_HTML}")
    with tempfile.TemporaryDirectory() as links:
        for copy in range(args.copies):
            (Path(links) / f"copy-{copy}").mkdir()
            for page in CORPUS_HTML.glob("*.html.gz"):
                (Path(links) / f"copy-{copy}" / page.name).symlink_to(page)
        pages = len(list(Path(links).glob("*/*.html.gz")))
        run(CORPUS_HTML, 1)  # warm-up: Prefect's temporary server and imports, not counted
        base_s, base_articles = run(Path(links), 1)
        pool_s, pool_articles = run(Path(links), os.cpu_count() or 1)
    assert base_articles == pool_articles, (base_articles, pool_articles)
    print(f"{pages} saved news pages, {base_articles} articles loaded")
    print(f"in the flow's process      {pages / base_s:6.1f} pages/s ({base_s:5.1f} s)")
    print(f"{os.cpu_count()} extraction processes    {pages / pool_s:6.1f} pages/s ({pool_s:5.1f} s)")
    print(f"pool / in-process          {base_s / pool_s:6.2f} ×")


if __name__ == "__main__":
    main()
