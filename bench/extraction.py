"""Article-body quality and speed of our HTML extraction on the 121-page news corpus.

    .venv/bin/python bench/extraction.py [--repeat 3]

Uses the corpus's own scorer (`../shared/corpus/extraction/score.py`, the Zyte benchmark's
4-gram shingle metric), imported in this process, on
- the baseline: plain `trafilatura.extract(html, include_comments=False)`, and
- newsmon: `extractors.html_page.extract_html_page` (its time includes what it does beyond the
  body: metadata, language, and the comment-tree extraction),
and prints precision/recall/F1 and docs/s of each, and newsmon's ratios to the baseline; then the pages
where newsmon's F1 is better or worse than the baseline's by more than 0.01 (with the delta), and both
tools per class of page. The corpus states no class of its own (each page has only its URL and its
hand-made body), so the classes are read from that body: its language (detected; English or not) and
its length (short < 300 words, medium < 1,000, long). The corpus is read from `../shared`, never
copied into the project.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import defaultdict
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


# Per-page F1 differences smaller than this are noise in the listing.
PAGE_DELTA = 0.01
LENGTH_BANDS = ((300, "short (< 300 words)"), (1000, "medium (300-999)"), (float("inf"), "long (>= 1,000)"))
CLASSES = ("English", "other languages", *(name for _, name in LENGTH_BANDS))  # the order they are printed in


def page_classes(body: str) -> tuple[str, str]:
    """The classes of a page, from its hand-made body: language, length band."""
    from extractors.language import detect_language

    language = "English" if detect_language(body) == "en" else "other languages"
    words = len(body.split())
    return language, next(name for limit, name in LENGTH_BANDS if words < limit)


def page_f1(score, truth: str, prediction: str | None) -> float:
    counts = score.overlap(truth, prediction)
    precision, recall = score.doc_precision(counts), score.doc_recall(counts)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def print_page_deltas(score, truth: dict, urls: dict, base: dict, ours: dict) -> None:
    """Pages where newsmon's F1 differs from the baseline's by more than PAGE_DELTA, best gain first."""
    deltas = sorted(
        ((page_f1(score, truth[k], ours[k]) - page_f1(score, truth[k], base[k]), k) for k in truth),
        reverse=True,
    )
    for title, chosen in (
        ("gains", [d for d in deltas if d[0] > PAGE_DELTA]),
        ("losses", [d for d in reversed(deltas) if d[0] < -PAGE_DELTA]),
    ):
        print(f"\nnewsmon {title} against the baseline (per-page F1 delta > {PAGE_DELTA}): {len(chosen)} pages")
        for delta, key in chosen:
            print(f"  {delta:+.3f}  {page_f1(score, truth[key], ours[key]):.3f}  {key[:12]}  {urls[key][:80]}")


def print_classes(score, truth: dict, predictions: dict[str, dict]) -> None:
    """F1 (precision, recall) of each tool per class of page."""
    members = defaultdict(list)
    for key, body in truth.items():
        for name in page_classes(body):
            members[name].append(key)
    print(f"\nper class: F1 (precision / recall) {'  '.join(f'{name:>24}' for name in predictions)}")
    for name in CLASSES:
        keys = members[name]
        cells = []
        for preds in predictions.values():
            m = score.aggregate([score.overlap(truth[k], preds[k]) for k in keys])
            cells.append(f"{m['f1']:.3f} ({m['precision']:.3f}/{m['recall']:.3f})")
        print(f"  {name:22} {len(keys):4d} pages {'  '.join(f'{cell:>24}' for cell in cells)}")


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
    urls = {key: page["url"] for key, page in json.loads((CORPUS / "ground_truth.json").read_text()).items()}

    results, predictions = {}, {}
    for name, extractor in (("trafilatura (baseline)", trafilatura_body), ("newsmon", newsmon_body)):
        preds, seconds, errors = score.run_extractor(extractor, paths, as_bytes=False, repeat=args.repeat)
        metrics = score.evaluate(truth, preds, n_bootstrap=200)
        results[name] = (metrics, len(paths) / seconds, len(errors))
        predictions[name] = preds
    print(f"{len(paths)} pages, 4-gram shingle metric of the corpus scorer")
    print(f"{'tool':24} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>8} errors")
    for name, (m, speed, errors) in results.items():
        print(f"{name:24} {m['f1']:6.3f} {m['precision']:6.3f} {m['recall']:6.3f} {speed:8.1f} {errors:6d}")
    (base, base_speed, _), (ours, our_speed, _) = results.values()
    print(f"newsmon / baseline: F1 {ours['f1'] / base['f1']:.3f} ×, speed {our_speed / base_speed:.2f} ×")
    print_page_deltas(score, truth, urls, *predictions.values())
    print_classes(score, truth, predictions)


if __name__ == "__main__":
    main()
