"""Speed of our page extraction against the trafilatura call it is built on, on the 121-page news corpus.

    .venv/bin/python bench/extract_page.py [--passes 5]

Single process, pages given as bytes (as fetched), read from `../shared/corpus/extraction/html`
(never copied into the project). Each pass times, page by page,
- the baseline: raw `trafilatura.bare_extraction(page, with_metadata=True, include_comments=False)`, and
- newsmon: `extractors.html_page.extract_html_page` (body, metadata, comment tree, language),
one right after the other on the same page, so that both see the same machine load. Time is this
process's CPU time, which other work on a shared machine disturbs less than wall time.
Prints pages/s of each (best pass) and newsmon's speed as a ratio of the baseline: the median of
the passes' ratios, with their range (the goal is ≥ 0.9×).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
CORPUS_HTML = ROOT.parent / "shared" / "corpus" / "extraction" / "html"
sys.path.insert(0, str(ROOT))

from extractors.errors import InputRejected  # noqa: E402 (needs the path above)
from extractors.html_page import extract_html_page  # noqa: E402


def baseline(page: bytes) -> None:
    trafilatura.bare_extraction(page, with_metadata=True, include_comments=False)


def newsmon(page: bytes) -> None:
    with contextlib.suppress(InputRejected):  # a rejected page still cost its extraction, which is what is timed
        extract_html_page(page, "corpus")


def pass_seconds(pages: list[bytes], tools: dict[str, Callable[[bytes], None]]) -> dict[str, float]:
    """CPU seconds of each tool over all pages, the tools taking turns on each page (which one goes first
    alternates: the second could find the page's dates in htmldate's caches)."""
    seconds = dict.fromkeys(tools, 0.0)
    for number, page in enumerate(pages):
        order = list(tools.items())
        for name, extractor in order if number % 2 else reversed(order):
            started = time.process_time()
            extractor(page)
            seconds[name] += time.process_time() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=5, help="timed passes over the corpus")
    args = parser.parse_args()
    paths = sorted(CORPUS_HTML.glob("*.html.gz"))
    if not paths:
        sys.exit(f"no corpus pages in {CORPUS_HTML}")
    pages = [gzip.decompress(path.read_bytes()) for path in paths]
    tools = {"trafilatura bare_extraction": baseline, "newsmon extract_html_page": newsmon}
    for extractor in tools.values():  # warm-up: lazy imports, compiled XPaths, first-call caches
        extractor(pages[0])
    passes = [pass_seconds(pages, tools) for _ in range(args.passes)]

    print(f"{len(pages)} pages, {sum(map(len, pages)) / 1e6:.1f} MB, {args.passes} passes")
    for name in tools:
        print(f"{name:28} {len(pages) / min(seconds[name] for seconds in passes):7.1f} pages/s (best pass)")
    baseline_name, newsmon_name = tools
    ratios = sorted(seconds[baseline_name] / seconds[newsmon_name] for seconds in passes)
    print(f"newsmon / baseline speed: {statistics.median(ratios):.2f} × (passes {ratios[0]:.2f}–{ratios[-1]:.2f})")


if __name__ == "__main__":
    main()
