"""The main command's wall time: `newsmon ingest` on the seeds with a temporary Prefect server
per run vs with the background server already running.

    .venv/bin/python bench/startup.py [--runs 3]

In a temp working directory holding a copy of seeds/ (its own HOME and PREFECT_HOME, nothing of
the caller's environment but PATH), runs the installed `newsmon ingest` as a person does, again
and again on one catalog, as every run after the first (that first run of each kind, into a
fresh catalog, is a warm-up and not counted; it also migrates the fresh Prefect home):
`--runs` times with NEWSMON_PREFECT_SERVER=ephemeral (the baseline: each run starts and stops
Prefect's temporary server), then `--runs` times against the background server (`newsmon server
start` once first, not counted), and prints the seconds of each run, the medians and their
ratio. The machine's load is printed too, and the CPU seconds of each kind of run (steadier
than wall time when other work shares the machine): on a busy 2-core machine every wall time grows.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
NEWSMON = str(Path(sys.executable).with_name("newsmon"))
TARGET_S = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Timing(NamedTuple):
    wall_s: float  # start to exit
    cpu_s: float  # user + system of the command and what it reaps (a temporary server), not the background server


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def newsmon(args: list[str], work: Path, env: dict[str, str]) -> Timing:
    """How long `newsmon ARGS` takes; it must succeed."""
    cpu_before, started = children_cpu_s(), time.perf_counter()
    done = subprocess.run([NEWSMON, *args], cwd=work, env=env, capture_output=True, text=True)
    timing = Timing(time.perf_counter() - started, children_cpu_s() - cpu_before)
    if done.returncode != 0:
        sys.exit(f"newsmon {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return timing


def ingest_runs(work: Path, env: dict[str, str], label: str, runs: int) -> list[Timing]:
    catalog = f"data/{label}.sqlite"
    newsmon(["ingest", "--db", catalog], work, env)  # the warm-up: creates the lake
    return [newsmon(["ingest", "--db", catalog], work, env) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "seeds", work / "seeds")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(work),
            "PREFECT_HOME": str(work / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # Prefect's 20 s for a temporary server to start is too little on a busy 2-core machine
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
            "NEWSMON_PREFECT_PORT": str(free_port()),  # never the 4200 of a server the caller runs
        }
        load_before = os.getloadavg()[0]
        ephemeral = ingest_runs(work, {**env, "NEWSMON_PREFECT_SERVER": "ephemeral"}, "ephemeral", args.runs)
        background_env = {**env, "NEWSMON_PREFECT_SERVER": "background"}
        server_start = newsmon(["server", "start"], work, background_env)
        try:
            background = ingest_runs(work, background_env, "background", args.runs)
        finally:
            newsmon(["server", "stop"], work, background_env)
        load_after = os.getloadavg()[0]

    def line(label: str, timings: list[Timing]) -> str:
        walls = " ".join(f"{t.wall_s:5.1f}" for t in timings)
        cpu = statistics.median(t.cpu_s for t in timings)
        return f"{label:27} {walls} s   median {statistics.median(t.wall_s for t in timings):5.1f} s (CPU {cpu:4.1f} s)"

    ephemeral_s = statistics.median(t.wall_s for t in ephemeral)
    background_s = statistics.median(t.wall_s for t in background)
    print(f"`newsmon ingest` on the seeds, {args.runs} runs each; load average {load_before:.1f} → {load_after:.1f}")
    print(line("temporary server per run", ephemeral))
    print(line("background server running", background))
    print(f"(starting the background server once: {server_start.wall_s:.1f} s)")
    print(f"temporary / background      {ephemeral_s / background_s:5.2f} ×")
    verdict = "met" if background_s <= TARGET_S else "not met"
    print(f"target ≤ {TARGET_S} s with the background server: {verdict}")


if __name__ == "__main__":
    main()
