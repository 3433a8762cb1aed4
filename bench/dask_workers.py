"""Local HTML ingest through a Dask cluster of 1 worker against 2 workers (NEWSMON_TASK_RUNNER=dask).

    .venv/bin/python bench/dask_workers.py [--copies 4] [--batch-size 25]

Starts a Prefect server on 127.0.0.1 (DaskTaskRunner needs one), then runs the real `ingest` flow
in this process over `--copies` × the 121 saved news pages of `../shared/corpus/extraction/html`
(symlinked from a temp dir, never copied into the project; the copies are exact duplicates, so
they cost extraction but add sightings, not articles), into fresh temp lakes:
on the local process pool (one process per core, for comparison), then on a Dask cluster of
1 worker and on one of 2 workers (processes on this machine, one thread each, every worker
having imported the extractors before the clock starts), and prints pages/s of each and the
ratios. Loading stays in the flow's process in every run.
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


def run(inputs: Path, batch_size: int, scheduler: str | None = None) -> tuple[float, int]:
    """Seconds and new articles of one ingest of `inputs` into a new lake: on the Dask cluster at
    `scheduler`, or with no scheduler on the local process pool."""
    from flows.ingest import ingest
    from flows.runners import flow_task_runner
    from flows.settings import Settings

    os.environ["NEWSMON_TASK_RUNNER"] = "dask" if scheduler else "local"
    os.environ.pop("NEWSMON_DASK_ADDRESS", None)
    if scheduler:
        os.environ["NEWSMON_DASK_ADDRESS"] = scheduler
    flow = ingest.with_options(task_runner=flow_task_runner(Settings()))  # the runner was chosen at import
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        summary = flow(paths=[str(inputs)], db_path=str(Path(tmp) / "bench.sqlite"), batch_size=batch_size)
        return time.perf_counter() - started, summary.counts.articles_new


def import_extractors() -> None:
    import flows.tasks  # noqa: F401 -- imported for its cost


def on_dask(workers: int, inputs: Path, batch_size: int) -> tuple[float, int]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.run(import_extractors)  # the first import (trafilatura…) is start-up, not extraction
        return run(inputs, batch_size, cluster.scheduler_address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=25, help="pages per extraction task (default 25)")
    args = parser.parse_args()
    if not CORPUS_HTML.is_dir():
        sys.exit(f"corpus not found at {CORPUS_HTML}")
    cores = len(os.sched_getaffinity(0))
    from bench.faults import shared_prefect_server

    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as links:
        with shared_prefect_server(Path(home)) as api_url:
            os.environ["PREFECT_API_URL"] = api_url  # before prefect is imported: it reads settings then
            for copy in range(args.copies):
                (Path(links) / f"copy-{copy}").mkdir()
                for page in CORPUS_HTML.glob("*.html.gz"):
                    (Path(links) / f"copy-{copy}" / page.name).symlink_to(page)
            pages = len(list(Path(links).glob("*/*.html.gz")))
            run(CORPUS_HTML, args.batch_size)  # warm-up: imports and the server's first flow, not counted
            pool_s, pool_articles = run(Path(links), args.batch_size)
            one_s, one_articles = on_dask(1, Path(links), args.batch_size)
            two_s, two_articles = on_dask(2, Path(links), args.batch_size)
    assert pool_articles == one_articles == two_articles, (pool_articles, one_articles, two_articles)
    print(f"{pages} saved news pages, {one_articles} articles loaded, batches of {args.batch_size}, {cores} cores")
    print(f"local pool of {cores} processes  {pages / pool_s:6.1f} pages/s ({pool_s:5.1f} s)")
    print(f"Dask, 1 worker            {pages / one_s:6.1f} pages/s ({one_s:5.1f} s)")
    print(f"Dask, 2 workers           {pages / two_s:6.1f} pages/s ({two_s:5.1f} s)")
    print(f"2 workers / 1 worker      {one_s / two_s:6.2f} ×")
    print(f"2 workers / local pool    {pool_s / two_s:6.2f} ×")


if __name__ == "__main__":
    main()
