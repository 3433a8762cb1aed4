"""Article-body quality and speed of our HTML extraction on the 121-page news corpus.

    .venv/bin/python bench/extraction.py [--repeat 3]

Uses the corpus's own scorer (`../shared/corpus/extraction/score.py`, the Zyte benchmark's
4-gram shingle metric), imported in this process, on
- the baseline: plain `trafilatura.extract(html, include_comments=False)`, and
- newsmon: `extractors.html_page.extract_html_page` (its time includes what it does beyond the
  body: metadata, language, and the comment-tree extraction),
and prints precision/recall/F1 and docs/s of each, and newsmon's ratios to the baseline.
The corpus is read from `../shared`, never copied into the project.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "extraction"
sys.path.insert(0, str(ROOT))


def newsmon_body(html: str) -> str | None:
    from extractors.errors import InputRejected
    from extractors.html_page import extract_html_page

    try:
        return extract_html_page(html, "corpus").text
    except InputRejected:
        return None


def trafilatura_body(html: str) -> str | None:
    import trafilatura

    return trafilatura.extract(html, include_comments=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per tool (the best counts)")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS / "score.py")
    if spec is None or not (CORPUS / "score.py").exists():
        sys.exit(f"corpus scorer not found in {CORPUS}")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    truth, paths = score.load_dataset(CORPUS)

    results = {}
    for name, extractor in (("trafilatura (baseline)", trafilatura_body), ("newsmon", newsmon_body)):
        predictions, seconds, errors = score.run_extractor(extractor, paths, as_bytes=False, repeat=args.repeat)
        metrics = score.evaluate(truth, predictions, n_bootstrap=200)
        results[name] = (metrics, len(paths) / seconds, len(errors))
    print(f"{len(paths)} pages, 4-gram shingle metric of the corpus scorer")
    print(f"{'tool':24} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>8} errors")
    for name, (m, speed, errors) in results.items():
        print(f"{name:24} {m['f1']:6.3f} {m['precision']:6.3f} {m['recall']:6.3f} {speed:8.1f} {errors:6d}")
    (base, base_speed, _), (ours, our_speed, _) = results.values()
    print(f"newsmon / baseline: F1 {ours['f1'] / base['f1']:.3f} ×, speed {our_speed / base_speed:.2f} ×")


if __name__ == "__main__":
    main()
