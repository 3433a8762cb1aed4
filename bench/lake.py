"""The lake against a single DuckDB file: load throughput, and what an analyst's query costs.

    .venv/bin/python bench/lake.py [--pages 1000] [--batch 100]

1. The same pages (synthetic stories with three comments each, parsed by newsmon's text-dump
   parser once) loaded batch by batch with `warehouse.load.load_batch`, each batch one
   transaction, into (a) a DuckLake with a SQLite catalog, as newsmon runs it, and (b) a plain
   DuckDB file with the same schema: the baseline, storage as it was before the lake. Extraction
   is not timed; only the load.
2. `newsmon sql "select count(*) from articles"` as a whole command on the loaded lake, against
   `python -c "import duckdb"` alone (the interpreter and DuckDB import every command pays).
3. A reader in another process polling every 50 ms through a `newsmon ingest` of `--live-pages`
   pages in batches of 20: errors, states seen, whether each state is whole batches (every
   article with its three comments), and how many states it saw before the run ended.
4. `--kills` times: `newsmon ingest` killed with SIGKILL mid-load, then one run to the end; the
   lake must open each time and end with the rows of an uninterrupted run, none doubled.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb

from extractors.local_files import discover_inputs
from flows.settings import Settings
from flows.tasks import FileToRead, read_file
from tests.support.commands import newsmon
from tests.support.dumps import write_dumps
from warehouse import db
from warehouse.checks import run_checks
from warehouse.load import PageToLoad, load_batch
from warehouse.migrate import apply_migrations


def pages(count: int, directory: Path) -> list[PageToLoad]:
    write_dumps(directory, count)
    max_bytes = Settings().max_input_bytes
    files, _ = discover_inputs([directory], max_bytes=max_bytes)
    return [read_file(FileToRead(f), max_bytes)[0] for f in files]


def load_all(con: duckdb.DuckDBPyConnection, items: list[PageToLoad], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        load_batch(con, "bench", items[i : i + batch], [])
    return time.perf_counter() - started


def timed(command: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


READER = """
import json, sys, time, pathlib
from warehouse import db
from warehouse.checks import run_checks
catalog, stop = sys.argv[1], pathlib.Path(sys.argv[2])
polls, errors, states = 0, [], []
while not stop.exists():
    try:
        with db.reader(catalog) as con:
            states.append(con.execute(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM comments)").fetchall()[0])
        polls += 1
    except Exception as exc:
        errors.append(str(exc)[:200])
    time.sleep(0.05)
print(json.dumps({"polls": polls, "errors": errors[:3], "states": states}))
"""


def ingest(inputs: Path, catalog: Path, home: Path, **popen: object) -> subprocess.Popen:
    return newsmon(["ingest", str(inputs), "--db", str(catalog)], home, {"NEWSMON_BATCH_SIZE": "20"}, **popen)


def live_reader(work: Path, pages: int) -> None:
    inputs = work / "live-inputs"
    write_dumps(inputs, pages)
    catalog, stop = work / "live.sqlite", work / "live.stop"
    with db.writer(catalog):
        pass  # the lake exists before the reader starts
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(catalog), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    done = ingest(inputs, catalog, work / "live-home", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert done.wait() == 0
    stop.touch()
    report = json.loads(reader.communicate(timeout=120)[0])
    states = [tuple(state) for state in report["states"]]
    whole = all(comments == 3 * articles and articles % 20 in (0, pages % 20) for articles, comments in states)
    during = len({s for s in states if 0 < s[0] < pages})
    print(
        f"reader every 50 ms through a {pages}-page ingest: {report['polls']} polls, "
        f"{len(report['errors'])} errors, every state whole batches: {whole}, "
        f"{during} distinct states seen before the run ended"
    )


def kills(work: Path, times: int, pages: int = 200) -> None:
    inputs = work / "kill-inputs"
    write_dumps(inputs, pages)
    catalog = work / "killed.sqlite"
    with db.writer(catalog):
        pass  # the lake exists before the first kill
    for attempt in range(times):
        run = ingest(inputs, catalog, work / "kill-home", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in run.stdout:  # into the loads: a batch or two of this run committed
            if " batch " in line and "/" in line:
                break
        time.sleep(0.3 * attempt)  # each kill lands at another point of a batch
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        run.stdout.close()
        with db.reader(catalog) as con:  # opens after every kill
            articles, comments = con.execute(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM comments)"
            ).fetchall()[0]
        print(f"  kill {attempt + 1}: lake opens, {articles} articles, {comments} comments")
    finish = ingest(inputs, catalog, work / "kill-home", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert finish.wait() == 0
    with db.reader(catalog) as con:
        final = con.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(DISTINCT content_hash) "
            "FROM articles), (SELECT count(*) FROM comments)"
        ).fetchall()[0]
        failing = [f"{r.table} {r.check}" for r in run_checks(con) if not r.passed]
    print(
        f"after {times} kills and one full run: {final[0]} articles ({final[1]} distinct), {final[2]} comments; "
        f"expected {pages} and {3 * pages}; failing checks: {failing or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--live-pages", type=int, default=400)
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsmon-bench-lake-"))
    items = pages(args.pages, work / "inputs")
    print(f"{len(items)} pages (3 comments each), batches of {args.batch}")

    with db.writer(work / "lake.sqlite") as con:
        lake_s = load_all(con, items, args.batch)
        lake_rows = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    with duckdb.connect(str(work / "plain.duckdb")) as con:
        apply_migrations(con)
        file_s = load_all(con, items, args.batch)
        file_rows = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    assert lake_rows == file_rows == len(items), (lake_rows, file_rows)
    print(f"DuckDB file (baseline)  {len(items) / file_s:8.0f} pages/s  ({file_s:5.1f} s)")
    ratio = file_s / lake_s
    print(f"DuckLake, SQLite catalog {len(items) / lake_s:7.0f} pages/s  ({lake_s:5.1f} s)  = {ratio:.2f} × baseline")

    newsmon = str(Path(sys.executable).with_name("newsmon"))
    query = timed([newsmon, "sql", "select count(*) from articles", "--db", str(work / "lake.sqlite")])
    floor = timed([sys.executable, "-c", "import duckdb"])
    print(f"newsmon sql count(*)     {query:6.2f} s   (python + import duckdb alone: {floor:.2f} s)")
    live_reader(work, args.live_pages)
    kills(work, args.kills)


if __name__ == "__main__":
    main()
