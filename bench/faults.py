"""Hostile inputs and failures, one `newsmon ingest` process per case: what it did, how long it
took and its peak memory.

    .venv/bin/python -m bench.faults [--quick] [--request-deadline-s 10] [--bound-s 300] [--only NAME ...]

Each case prepares its inputs (files in a temp dir, or URLs on tests/support/hostile_server.py's
loopback sites, each case on an address of its own), runs the installed `newsmon ingest` on a
warehouse of its own and prints one row: exit code (or "killed" when it was still running at
`--bound-s`), the outcome read back from the warehouse (articles loaded, rejects by reason,
URLs deferred by reason), seconds, and the process's peak RSS (os.wait4: the newsmon process
and the processes it waited for, e.g. its extraction pool). All runs share one local Prefect
server, started first, so neither the seconds nor the RSS include a temporary Prefect server.

`--quick` skips the two large files (a 40 MB text dump of 1M lines with the size cap raised to
60 MB, and a 200 MB .html under the default cap). Disk full runs only as root where a small
tmpfs can be mounted; otherwise its row says why not.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.commands import environment
from tests.support.dumps import write_dumps
from tests.support.hostile_server import HostileServer, Site, page_in_two_gzip_members, unreadable_to_children
from tests.support.seeds import SEED_000, SEED_003
from warehouse import db

VENV_BIN = Path(sys.executable).parent
DEFERRED_REASONS = ("retry_after", "run_deadline")


@dataclass
class Prepared:
    """What one case runs: `newsmon ingest INPUTS` with these settings, behind `prefix`."""

    inputs: list[str]
    settings: dict[str, str] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)
    note: str = ""  # why the case is not what it says (printed in the outcome column)


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[Path, HostileServer], Prepared | str]  # (empty dir, server) → the run, or why it is skipped
    large: bool = False  # skipped by --quick


# --- HTTP cases: one loopback site each, and only that site exempt from the private-address refusal


def on_site(path: str, robots: str = "allow_all") -> Callable[[Path, HostileServer], Prepared]:
    def prepare(_work: Path, server: HostileServer) -> Prepared:
        site = server.site(robots)
        return Prepared([site.url(path)], exempt(site))

    return prepare


def exempt(site: Site) -> dict[str, str]:
    return {"NEWSMON_PRIVATE_HOST_EXCEPTIONS": f'["{site.host_port}"]'}


def huge_robots_txt(_work: Path, server: HostileServer) -> Prepared:
    site = server.site("ten_megabytes")
    return Prepared([site.url("/private/story-6"), site.url("/news/story-7")], exempt(site))


# --- local cases: a folder of hostile files beside one good story


def folder_with(make: Callable[[Path], None]) -> Callable[[Path, HostileServer], Prepared]:
    def prepare(work: Path, _server: HostileServer) -> Prepared:
        inputs = work / "inputs"
        write_dumps(inputs, 1)
        make(inputs)
        return Prepared([str(inputs)])

    return prepare


def non_utf8_name(inputs: Path) -> None:
    (inputs / os.fsdecode(b"caf\xe9.txt")).write_bytes(SEED_000.read_bytes())


def fifo_inside(inputs: Path) -> None:
    os.mkfifo(inputs / "pipe.txt")


def broken_symlink(inputs: Path) -> None:
    (inputs / "dangling.txt").symlink_to(inputs / "missing.txt")


def symlink_loop(inputs: Path) -> None:
    write_dumps(inputs / "sub", 1)
    (inputs / "sub" / "up").symlink_to("..")


def directory_named_html(inputs: Path) -> None:
    write_dumps(inputs / "x.html", 1)


def two_member_html_gz(inputs: Path) -> None:
    (inputs / "two-members.html.gz").write_bytes(page_in_two_gzip_members())


def unreadable_directory(work: Path, _server: HostileServer) -> Prepared | str:
    inputs = work / "inputs"
    write_dumps(inputs, 1)
    write_dumps(inputs / "locked", 1)
    prefix = unreadable_to_children(inputs / "locked")
    if prefix is None:
        return "cannot make a directory unreadable to root here"
    return Prepared([str(inputs)], prefix=prefix)


def fifo_argument(work: Path, _server: HostileServer) -> Prepared:
    os.mkfifo(work / "named-pipe.txt")
    return Prepared([str(work / "named-pipe.txt")])


def over_the_cap(work: Path, _server: HostileServer) -> Prepared:
    paragraph = "The harbour council met again and talked about the barrier for a long time. " * 20
    (work / "big.txt").write_text(f"A very long dump\n\n{paragraph}\n\n" * 200)  # about 300 KB
    return Prepared([str(work / "big.txt")], {"NEWSMON_MAX_INPUT_BYTES": "200000"})


def url_list_with_typo(work: Path, server: HostileServer) -> Prepared:
    site = server.site()
    urls = [site.url(f"/news/story-{n}") for n in (21, 22, 23)]
    (work / "reading-list.txt").write_text("\n".join([*urls[:2], "htps//news.example/story-24", urls[2]]) + "\n")
    return Prepared([str(work / "reading-list.txt")], exempt(site))


def text_dump_of_a_million_lines(work: Path, _server: HostileServer) -> Prepared:
    with open(work / "minutes.txt", "w") as out:
        out.write("The harbour minutes\n\n")
        for start in range(0, 1_000_000, 10_000):
            out.write("".join(f"{i:07d} the harbour council minutes go on\n" for i in range(start, start + 10_000)))
    return Prepared([str(work / "minutes.txt")], {"NEWSMON_MAX_INPUT_BYTES": str(60 * 2**20)})


def html_of_200_megabytes(work: Path, _server: HostileServer) -> Prepared:
    paragraph = b"<p>" + b"The harbour council met again and talked about the barrier. " * 16 + b"</p>\n"
    with open(work / "huge.html", "wb") as out:
        out.write(b"<html><head><title>A very long page</title></head><body>\n")
        for _ in range(200 * 2**20 // (len(paragraph) * 1000) + 1):
            out.write(paragraph * 1000)
        out.write(b"</body></html>\n")
    return Prepared([str(work / "huge.html")])


# --- storage faults (cheap ones): a damaged data file, a full disk


def damaged_data_file(work: Path, _server: HostileServer) -> Prepared | str:
    catalog = work / "warehouse.sqlite"
    setup = run_newsmon([str(SEED_000)], catalog, {}, [], work / "setup-home", bound_s=600)
    data_files = sorted((work / "lake").rglob("*.parquet"))
    if setup.exit_code != 0 or not data_files:
        return f"setup ingest failed (exit {setup.exit_code}) or wrote no Parquet file"
    damaged = data_files[len(data_files) // 2]
    data = bytearray(damaged.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 16):  # a few flipped bytes mid-file
        data[offset] ^= 0xFF
    damaged.write_bytes(bytes(data))
    return Prepared([str(SEED_003)], note=f"flipped 16 bytes of {damaged.relative_to(work)}")


DISK_BYTES = 2 * 2**20  # the migrations and a batch or two fit; 1000 dumps need about 3 MB


def disk_full(work: Path, _server: HostileServer) -> Prepared | str:
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    disk = work / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        return f"cannot mount a tmpfs: {mounted.stderr.strip()}"
    write_dumps(work / "inputs", 1000)
    return Prepared(
        [str(work / "inputs")],
        {"NEWSMON_CATALOG": str(disk / "warehouse.sqlite"), "NEWSMON_BATCH_SIZE": "200"},
        note=f"the lake on a {DISK_BYTES // 2**20} MB tmpfs",
    )


CASES = [
    Case("good page (baseline)", on_site("/news/story-1")),
    Case("body at 1 byte/s", on_site("/drip-body")),
    Case("headers at 1 byte/s", on_site("/drip-headers")),
    Case("429 Retry-After 3600", on_site("/rate-limited")),
    Case("503 Retry-After 3600", on_site("/unavailable")),
    Case("robots.txt 429 Retry-After 3600", on_site("/news/story-5", "busy_for_an_hour")),
    Case("10 MB robots.txt", huge_robots_txt),
    Case("no Content-Type", on_site("/no-content-type")),
    Case("gzip page, two members", on_site("/two-gzip-members")),
    Case("redirect to 6to4 loopback", on_site("/to-6to4")),
    Case("redirect to 127.0.0.1.", on_site("/to-trailing-dot")),
    Case("good dump (baseline)", folder_with(lambda _inputs: None)),
    Case("non-UTF-8 file name", folder_with(non_utf8_name)),
    Case("unreadable directory", unreadable_directory),
    Case("FIFO in the folder", folder_with(fifo_inside)),
    Case("FIFO on the command line", fifo_argument),
    Case("broken symlink", folder_with(broken_symlink)),
    Case("symlink loop sub/up -> ..", folder_with(symlink_loop)),
    Case("directory named x.html", folder_with(directory_named_html)),
    Case("file over the cap (200 kB)", over_the_cap),
    Case("URL list, 3 URLs + 1 typo", url_list_with_typo),
    Case(".html.gz, two members", folder_with(two_member_html_gz)),
    Case("40 MB dump, 1M lines, cap 60 MB", text_dump_of_a_million_lines, large=True),
    Case("200 MB .html, default cap", html_of_200_megabytes, large=True),
    Case("damaged Parquet file", damaged_data_file),
    Case("disk full during loads", disk_full),
]


# --- running one case -------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    exit_code: int | None  # None: still running at the bound, and killed
    seconds: float
    peak_rss_bytes: int
    log: Path


def run_newsmon(
    inputs: list[str], catalog: Path, settings: dict[str, str], prefix: list[str], home: Path, bound_s: float
) -> Run:
    """`newsmon ingest INPUTS --db CATALOG` in a session of its own, reaped with os.wait4 for its
    peak RSS; killed with everything it started at `bound_s`."""
    home.mkdir(parents=True, exist_ok=True)
    api = {"PREFECT_API_URL": os.environ["PREFECT_API_URL"]} if "PREFECT_API_URL" in os.environ else {}
    env = environment(home, {**api, **settings})
    db_args = [] if "NEWSMON_CATALOG" in settings else ["--db", str(catalog)]
    command = [*prefix, str(VENV_BIN / "newsmon"), "ingest", *inputs, *db_args]
    log = home / "newsmon.log"
    started = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    killed = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - started > bound_s and not killed:
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.1)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    with contextlib.suppress(ProcessLookupError):  # anything it started that outlived it
        os.killpg(process.pid, signal.SIGKILL)
    return Run(None if killed else process.returncode, seconds, usage.ru_maxrss * 1024, log)


def outcome(catalog: Path, log: Path) -> str:
    """Loaded, rejected and deferred, as the warehouse tells it; for a run that did not end as
    completed (or left no warehouse), also the last error line of its output."""
    try:
        with db.reader(catalog) as con:
            loaded = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            rejected = con.execute("SELECT reason, count(*) FROM rejects GROUP BY ALL ORDER BY ALL").fetchall()
            deferred = con.execute(
                "SELECT last_error, count(*) FROM urls WHERE list_contains(?, last_error) GROUP BY ALL ORDER BY ALL",
                [list(DEFERRED_REASONS)],
            ).fetchall()
            last_run = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchall()
    except Exception as error:  # the outcome of a storage fault may be exactly this
        return f"no warehouse to read ({type(error).__name__}); {last_error_line(log)}"
    parts = [f"loaded {loaded}"]
    parts += [f"rejected {', '.join(f'{reason}×{n}' for reason, n in rejected)}"] if rejected else []
    parts += [f"deferred {', '.join(f'{reason}×{n}' for reason, n in deferred)}"] if deferred else []
    status = last_run[0][0] if last_run else "never recorded"
    if status not in ("completed", "completed_with_rejects"):
        parts.append(f"run {status}: {last_error_line(log)}")
    return "; ".join(parts)


def last_error_line(log: Path) -> str:
    """The last line that names an error (a traceback's last line, or the CLI's `error:` line)."""
    lines = [line.strip(" │") for line in log.read_text(errors="replace").splitlines() if "error" in line.lower()]
    return lines[-1][:110] if lines else "(no error line in its output)"


def run_case(case: Case, work: Path, server: HostileServer, bound_s: float, request_deadline_s: float) -> str:
    prepared = case.prepare(work, server)
    if isinstance(prepared, str):
        return f"{case.name:34} {'-':>7}  skipped: {prepared}"
    settings = {
        "NEWSMON_REQUEST_DEADLINE_S": str(request_deadline_s),
        "NEWSMON_PER_HOST_MIN_DELAY_S": "0",
        **prepared.settings,
    }
    catalog = Path(settings.get("NEWSMON_CATALOG", work / "warehouse.sqlite"))
    try:
        run = run_newsmon(prepared.inputs, catalog, settings, prepared.prefix, work / "home", bound_s)
        # Read in a process of its own: a child's ru_maxrss starts at its parent's RSS when it
        # was started, so this process must not grow by reading a large article.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as reader:
            told = reader.submit(outcome, catalog, run.log).result()
    finally:
        if (work / "disk").is_mount():
            subprocess.run(["umount", "--lazy", str(work / "disk")], check=False)
    exit_text = "killed" if run.exit_code is None else str(run.exit_code)
    note = f" ({prepared.note})" if prepared.note else ""
    return f"{case.name:34} {exit_text:>7}  {run.seconds:7.1f} {run.peak_rss_bytes / 2**20:8.0f}  {told}{note}"


@contextlib.contextmanager
def shared_prefect_server(home: Path) -> Iterator[str]:
    """One local Prefect server for every case, so no run pays for (or measures) a temporary one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PREFECT_HOME": str(home / "prefect")}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    api_url = f"http://127.0.0.1:{port}/api"
    with open(home / "prefect-server.log", "w") as log:
        server = subprocess.Popen(
            [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        give_up = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{api_url}/health", timeout=2).status == 200:
                    break
            if server.poll() is not None or time.monotonic() > give_up:
                sys.exit(f"the Prefect server did not start; see {home / 'prefect-server.log'}")
            time.sleep(0.5)
        yield api_url
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 40 MB and 200 MB files")
    parser.add_argument("--request-deadline-s", type=float, default=10, help="NEWSMON_REQUEST_DEADLINE_S of every run")
    parser.add_argument("--bound-s", type=float, default=300, help="a run still going after this long is killed")
    parser.add_argument("--only", nargs="*", help="run only the cases whose name contains one of these")
    args = parser.parse_args()
    cases = [c for c in CASES if not (args.quick and c.large)]
    if args.only:
        cases = [c for c in cases if any(part.lower() in c.name.lower() for part in args.only)]

    work = Path(tempfile.mkdtemp(prefix="newsmon-bench-faults-"))
    print(f"{len(cases)} cases, one `newsmon ingest` each; request deadline {args.request_deadline_s:g} s,")
    print(f"a run still going after {args.bound_s:g} s is killed; work files in {work}")
    with shared_prefect_server(work) as api_url, HostileServer(drip_cap_s=args.bound_s) as server:
        os.environ["PREFECT_API_URL"] = api_url
        print(f"{'case':34} {'exit':>7}  {'seconds':>7} {'RSS MiB':>8}  outcome")
        for number, case in enumerate(cases):
            case_dir = work / f"case-{number:02d}"
            case_dir.mkdir()
            print(run_case(case, case_dir, server, args.bound_s, args.request_deadline_s), flush=True)


if __name__ == "__main__":
    main()
