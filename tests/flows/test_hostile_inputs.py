"""Hostile servers and hostile files: nothing hangs, nothing poisons a run, nothing is lost.

Each scenario is one real `newsmon` process (the installed command, its own Prefect), run once
per module by a fixture; the tests below it each check one case in the warehouse it left. A
run that is still going at its bound is killed, so the tests report what it left behind.

Bounds come from the configured deadlines plus allowances for what every run pays: they are
minutes where a working run takes tens of seconds, and a broken one never ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from extractors.urls import canonical_url
from newsmon.app import Exit
from tests.support.commands import PREFECT_STARTUP_S, newsmon
from tests.support.dumps import write_dumps
from tests.support.hostile_server import (
    FIRST_MEMBER_SENTENCE,
    LONG_RETRY_AFTER_S,
    SECOND_MEMBER_SENTENCE,
    HostileServer,
    page_in_two_gzip_members,
    unreadable_to_children,
)
from tests.support.seeds import SEED_000
from tests.support.warehouse import rows

# What every run pays before its flow's clock starts and after its work: Prefect's temporary
# server, imports, loading and recording the run (about 25 s in all on an idle 2-core machine).
STARTUP_ALLOWANCE_S = PREFECT_STARTUP_S
WRAP_UP_ALLOWANCE_S = 30
REQUEST_DEADLINE_S = 2
FINISHED = {Exit.OK, Exit.SOME_REJECTED, Exit.ALL_REJECTED}  # not FAILED, not killed
# Exit code 1 is also what a traceback gives: a run finished when its one `runs` row says so.
RUN_ENDED = ([("completed",)], [("completed_with_rejects",)])

# --- one ingest over hostile and good URLs ---------------------------------------------------


@dataclass(frozen=True)
class HttpCase:
    site: str  # cases naming the same site share one origin, and its robots.txt
    path: str
    outcome: str  # "loaded", "reject" or "deferred"
    reason: str | None = None  # rejects.reason, or urls.last_error of a deferred URL


SITE_ROBOTS = {"robots-busy": "busy_for_an_hour", "robots-huge": "ten_megabytes"}  # the rest allow all
HTTP_CASES = {
    "drip-body": HttpCase("drip-body", "/drip-body", "reject", "timeout"),
    "drip-headers": HttpCase("drip-headers", "/drip-headers", "reject", "timeout"),
    "429-retry-after-3600": HttpCase("rate-limited", "/rate-limited", "deferred", "retry_after"),
    "503-retry-after-3600": HttpCase("unavailable", "/unavailable", "deferred", "retry_after"),
    "robots.txt-429-retry-after-3600": HttpCase("robots-busy", "/news/story-5", "deferred", "retry_after"),
    "10MB-robots.txt-disallowed": HttpCase("robots-huge", "/private/story-6", "reject", "robots_disallowed"),
    "10MB-robots.txt-allowed": HttpCase("robots-huge", "/news/story-7", "loaded"),
    "no-content-type": HttpCase("no-content-type", "/no-content-type", "loaded"),
    "two-gzip-members": HttpCase("two-gzip-members", "/two-gzip-members", "loaded"),
    "redirect-to-6to4-loopback": HttpCase("to-6to4", "/to-6to4", "reject", "private_address"),
    "redirect-to-trailing-dot": HttpCase("to-trailing-dot", "/to-trailing-dot", "reject", "private_address"),
    "good-page": HttpCase("good-1", "/news/story-1", "loaded"),
    "good-page-2": HttpCase("good-1", "/news/story-2", "loaded"),
    "good-page-elsewhere": HttpCase("good-2", "/news/story-3", "loaded"),
}
# Every hostile URL costs at most one request deadline, even were they fetched one by one.
HTTP_RUN_BOUND_S = STARTUP_ALLOWANCE_S + len(HTTP_CASES) * REQUEST_DEADLINE_S + WRAP_UP_ALLOWANCE_S
# The server's own cap on a drip, far past the bound: only the client's deadline ends a drip in time.
DRIP_CAP_S = 4 * HTTP_RUN_BOUND_S


@dataclass(frozen=True)
class Finished:
    exit_code: int | None  # None: still running at the bound, and killed
    seconds: float
    output: str
    started_at: datetime  # naive UTC, as the warehouse stores times
    ended_at: datetime

    def describe(self) -> str:
        return f"exit {self.exit_code} after {self.seconds:.0f} s; output ends:\n{self.output[-3000:]}"


def newsmon_within(
    args: list[str], home: Path, settings: dict[str, str], bound_s: float, prefix: list[str] | None = None
) -> Finished:
    """Run the installed `newsmon ARGS` (tests/support/commands.py, behind `prefix`);
    kill it with everything it started if it is still running after `bound_s`."""
    started_at, started = utc_now(), time.monotonic()
    process = newsmon(args, home, settings, prefix=prefix or (), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = process.communicate(timeout=bound_s)
        exit_code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        exit_code = None
    return Finished(exit_code, time.monotonic() - started, output, started_at, utc_now())


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class HttpRun:
    finished: Finished
    db_path: Path
    urls: dict[str, str]  # case → the URL given
    hits: dict[str, int]  # case → requests its path got


@pytest.fixture(scope="module")
def http_run(tmp_path_factory) -> HttpRun:
    work = tmp_path_factory.mktemp("hostile-http")
    with HostileServer(drip_cap_s=DRIP_CAP_S) as server:
        sites = {
            name: server.site(SITE_ROBOTS.get(name, "allow_all"))
            for name in dict.fromkeys(c.site for c in HTTP_CASES.values())
        }
        urls = {case: sites[c.site].url(c.path) for case, c in HTTP_CASES.items()}
        url_list = work / "urls.txt"
        url_list.write_text("# hostile and good pages\n" + "\n".join(urls.values()) + "\n")
        settings = {
            "NEWSMON_REQUEST_DEADLINE_S": str(REQUEST_DEADLINE_S),
            "NEWSMON_CONNECT_TIMEOUT_S": str(REQUEST_DEADLINE_S),
            # Longer than a drip's pause between bytes: only the request's deadline can end a drip.
            "NEWSMON_READ_TIMEOUT_S": "5",
            "NEWSMON_PER_HOST_MIN_DELAY_S": "0",
            # Private hosts are not allowed: only these servers are, so redirects elsewhere are refused.
            "NEWSMON_PRIVATE_HOST_EXCEPTIONS": server.private_host_exceptions(),
        }
        db_path = work / "warehouse.sqlite"
        finished = newsmon_within(
            ["ingest", str(url_list), "--db", str(db_path)], work / "home", settings, HTTP_RUN_BOUND_S
        )
        hits = {case: sites[c.site].hits[c.path] for case, c in HTTP_CASES.items()}
    return HttpRun(finished, db_path, urls, hits)


def test_an_ingest_of_hostile_urls_finishes_within_a_bound_set_by_the_request_deadline(http_run):
    assert http_run.finished.exit_code in FINISHED, http_run.finished.describe()
    assert http_run.finished.seconds < HTTP_RUN_BOUND_S
    assert rows(http_run.db_path, "SELECT status FROM runs") in RUN_ENDED, http_run.finished.describe()


@pytest.mark.parametrize("case", [c for c, spec in HTTP_CASES.items() if spec.outcome == "loaded"])
def test_good_pages_and_recoverable_oddities_are_loaded(http_run, case):
    url = canonical_url(http_run.urls[case])
    assert rows(http_run.db_path, "SELECT count(*) FROM articles WHERE url = ?", [url]) == [(1,)]
    assert rows(http_run.db_path, "SELECT count(*) FROM rejects WHERE source = ?", [url]) == [(0,)]


@pytest.mark.parametrize("case", [c for c, spec in HTTP_CASES.items() if spec.outcome == "reject"])
def test_each_hostile_url_is_a_reject_with_its_reason(http_run, case):
    url = canonical_url(http_run.urls[case])
    found = rows(http_run.db_path, "SELECT stage, reason FROM rejects WHERE source = ?", [url])
    assert found == [("fetch", HTTP_CASES[case].reason)]


@pytest.mark.parametrize("case", [c for c, spec in HTTP_CASES.items() if spec.outcome == "deferred"])
def test_a_long_retry_after_defers_the_url_an_hour_instead_of_rejecting_it(http_run, case):
    url = canonical_url(http_run.urls[case])
    assert rows(http_run.db_path, "SELECT reason FROM rejects WHERE source = ?", [url]) == []
    [(last_error, next_fetch_at)] = rows(
        http_run.db_path, "SELECT last_error, next_fetch_at FROM urls WHERE url = ?", [url]
    )
    assert last_error == HTTP_CASES[case].reason
    wait = timedelta(seconds=LONG_RETRY_AFTER_S)
    slack = timedelta(minutes=5)
    run = http_run.finished
    assert run.started_at + wait - slack <= next_fetch_at <= run.ended_at + wait + slack


def test_a_server_asking_to_wait_is_asked_once_and_a_busy_robots_txt_keeps_its_pages_unrequested(http_run):
    assert http_run.hits["429-retry-after-3600"] == 1
    assert http_run.hits["503-retry-after-3600"] == 1
    assert http_run.hits["robots.txt-429-retry-after-3600"] == 0


@pytest.mark.parametrize(("case", "phase"), [("drip-body", "body"), ("drip-headers", "headers")])
def test_a_drip_ends_at_the_request_deadline_in_its_phase_and_is_not_retried(http_run, case, phase):
    url = canonical_url(http_run.urls[case])
    messages = rows(http_run.db_path, "SELECT error_message FROM fetches WHERE url = ? AND final_url = ?", [url, url])
    assert len(messages) == 1 and phase in messages[0][0], messages
    assert http_run.hits[case] == 1


def test_a_10mb_robots_txt_is_obeyed_by_its_first_lines(http_run):
    assert http_run.hits["10MB-robots.txt-disallowed"] == 0  # Disallow: /private/, in its first lines
    assert http_run.hits["10MB-robots.txt-allowed"] == 1


def test_every_gzip_member_of_a_page_reaches_the_article(http_run):
    url = canonical_url(http_run.urls["two-gzip-members"])
    [(text,)] = rows(http_run.db_path, "SELECT text FROM articles WHERE url = ?", [url])
    assert FIRST_MEMBER_SENTENCE in text
    assert SECOND_MEMBER_SENTENCE in text


# --- the run's own deadline: a monitor run whose fetches never end ---------------------------

RUN_DEADLINE_MIN = 0.25
MONITOR_RUN_BOUND_S = STARTUP_ALLOWANCE_S + RUN_DEADLINE_MIN * 60 + WRAP_UP_ALLOWANCE_S
DRIPS = 3  # two in flight (per-host concurrency), one waiting its turn


@dataclass(frozen=True)
class MonitorRun:
    finished: Finished
    db_path: Path
    drip_urls: list[str]
    good_urls: list[str]


@pytest.fixture(scope="module")
def monitor_run(tmp_path_factory) -> MonitorRun:
    work = tmp_path_factory.mktemp("hostile-monitor")
    # Requests may take far longer than the run: only the run's own deadline can end it in time.
    slow_request_s = 4 * MONITOR_RUN_BOUND_S
    with HostileServer(drip_cap_s=slow_request_s) as server:
        feed, slow, news = server.site(), server.site(), server.site()
        drip_urls = [slow.url(f"/drip-body/{n}") for n in range(1, DRIPS + 1)]
        good_urls = [news.url(f"/news/story-{n}") for n in (11, 12)]
        feed.feed_urls = drip_urls + good_urls
        watchlist = work / "watchlist.toml"
        watchlist.write_text(f'[[source]]\nname = "hostile"\nkind = "feed"\nurl = "{feed.url("/feed.xml")}"\n')
        settings = {
            "NEWSMON_REQUEST_DEADLINE_S": str(slow_request_s),
            "NEWSMON_READ_TIMEOUT_S": "5",
            "NEWSMON_PER_HOST_MIN_DELAY_S": "0",
            "NEWSMON_PRIVATE_HOST_EXCEPTIONS": server.private_host_exceptions(),
        }
        db_path = work / "warehouse.sqlite"
        args = ["monitor", "--watchlist", str(watchlist), "--db", str(db_path), "--max-minutes", str(RUN_DEADLINE_MIN)]
        finished = newsmon_within(args, work / "home", settings, MONITOR_RUN_BOUND_S)
    return MonitorRun(finished, db_path, [canonical_url(u) for u in drip_urls], [canonical_url(u) for u in good_urls])


def test_a_monitor_run_ends_at_its_own_deadline_while_fetches_still_drip(monitor_run):
    assert monitor_run.finished.exit_code in FINISHED, monitor_run.finished.describe()
    assert monitor_run.finished.seconds < MONITOR_RUN_BOUND_S
    assert rows(monitor_run.db_path, "SELECT status FROM runs") in RUN_ENDED, monitor_run.finished.describe()


def test_urls_unfinished_at_the_run_deadline_are_deferred_to_the_frontier_not_lost(monitor_run):
    found = rows(
        monitor_run.db_path,
        "SELECT url, last_error, next_fetch_at IS NOT NULL FROM urls WHERE list_contains(?, url) ORDER BY url",
        [monitor_run.drip_urls],
    )
    assert found == [(url, "run_deadline", True) for url in sorted(monitor_run.drip_urls)]
    assert rows(
        monitor_run.db_path, "SELECT count(*) FROM rejects WHERE list_contains(?, source)", [monitor_run.drip_urls]
    ) == [(0,)]


def test_pages_that_finished_before_the_run_deadline_are_loaded(monitor_run):
    loaded = rows(
        monitor_run.db_path,
        "SELECT url FROM articles WHERE list_contains(?, url) ORDER BY url",
        [monitor_run.good_urls],
    )
    assert loaded == [(url,) for url in sorted(monitor_run.good_urls)]


# --- one ingest over hostile local files -------------------------------------------------------

MAX_INPUT_BYTES = 200_000
URL_LIST_TYPO_LINE = 4
# No request deadline is in play beyond the URL list's three good pages.
LOCAL_RUN_BOUND_S = STARTUP_ALLOWANCE_S + 3 * REQUEST_DEADLINE_S + WRAP_UP_ALLOWANCE_S


@dataclass(frozen=True)
class LocalRun:
    finished: Finished
    db_path: Path
    inputs: Path
    listed_urls: list[str]
    made_unreadable: bool  # False: this machine cannot make a directory unreadable to root


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> LocalRun:
    work = tmp_path_factory.mktemp("hostile-files")
    inputs = work / "inputs"
    write_dumps(inputs, 3)  # story_000.txt … story_002.txt: plain good files beside the hostile ones
    (inputs / os.fsdecode(b"caf\xe9.txt")).write_bytes(SEED_000.read_bytes())  # a name that is not UTF-8
    os.mkfifo(inputs / "pipe.txt")  # opened, it would block for ever: no writer will come
    named_pipe = work / "named-pipe.txt"
    os.mkfifo(named_pipe)
    (inputs / "dangling.txt").symlink_to(inputs / "missing.txt")
    (inputs / "sub").mkdir()
    (inputs / "sub" / "up").symlink_to("..")  # a loop: inputs/sub/up/sub/up/…
    write_dumps(inputs / "sub" / "deeper", 1)
    write_dumps(inputs / "x.html", 1)  # a directory with an input suffix
    paragraph = "The harbour council met again and talked about the barrier for a long time. " * 20
    (inputs / "big.txt").write_text(f"A very long dump\n\n{paragraph}\n\n" * (MAX_INPUT_BYTES // len(paragraph) + 2))
    (inputs / "two-members.html.gz").write_bytes(page_in_two_gzip_members())
    write_dumps(inputs / "locked", 1)
    prefix = unreadable_to_children(inputs / "locked")

    with HostileServer() as server:
        site = server.site()
        listed = [site.url(f"/news/story-{n}") for n in (21, 22, 23)]
        lines = ["# three stories and a typo", *listed[:2], "htps//news.example/story-24", listed[2]]
        assert lines[URL_LIST_TYPO_LINE - 1].startswith("htps//")
        (inputs / "reading-list.txt").write_text("\n".join(lines) + "\n")
        settings = {
            "NEWSMON_MAX_INPUT_BYTES": str(MAX_INPUT_BYTES),
            "NEWSMON_REQUEST_DEADLINE_S": str(REQUEST_DEADLINE_S),
            "NEWSMON_PER_HOST_MIN_DELAY_S": "0",
            "NEWSMON_PRIVATE_HOST_EXCEPTIONS": server.private_host_exceptions(),
        }
        db_path = work / "warehouse.sqlite"
        args = ["ingest", str(inputs), str(named_pipe), "--db", str(db_path)]
        finished = newsmon_within(args, work / "home", settings, LOCAL_RUN_BOUND_S, prefix)
    (inputs / "locked").chmod(0o755)
    return LocalRun(finished, db_path, inputs, [canonical_url(u) for u in listed], prefix is not None)


def rejects_ending(run: LocalRun, suffix: str) -> list[tuple[str, str]]:
    return rows(run.db_path, "SELECT stage, reason FROM rejects WHERE ends_with(source, ?)", [suffix])


def sightings_ending(run: LocalRun, suffix: str) -> int:
    return rows(run.db_path, "SELECT count(*) FROM sightings WHERE ends_with(source, ?)", [suffix])[0][0]


def test_an_ingest_of_hostile_files_finishes_within_its_bound(local_run):
    assert local_run.finished.exit_code in FINISHED, local_run.finished.describe()
    assert local_run.finished.seconds < LOCAL_RUN_BOUND_S
    assert rows(local_run.db_path, "SELECT status FROM runs") in RUN_ENDED, local_run.finished.describe()


def test_the_good_files_beside_the_hostile_ones_are_loaded(local_run):
    for n in range(3):
        assert sightings_ending(local_run, f"/inputs/story_{n:03d}.txt") == 1


def test_a_name_that_is_not_utf8_is_loaded_with_the_name_escaped(local_run):
    escaped = r"/inputs/caf\xe9.txt"  # a backslash, x, e, 9: os.fsencode's byte, written out
    assert sightings_ending(local_run, escaped) == 1
    assert rows(local_run.db_path, "SELECT count(*) FROM articles WHERE ends_with(source_file, ?)", [escaped]) == [(1,)]


def test_an_unreadable_directory_is_a_reject_and_the_rest_still_loads(local_run):
    if not local_run.made_unreadable:
        pytest.skip("cannot make a directory unreadable to root here (no setpriv, or it did not drop the capability)")
    assert rejects_ending(local_run, "/inputs/locked") == [("read", "unreadable")]
    assert sightings_ending(local_run, "/inputs/story_000.txt") == 1


@pytest.mark.parametrize(
    ("suffix", "stage", "reason"),
    [
        ("/inputs/pipe.txt", "discover", "not_a_regular_file"),  # a FIFO inside the folder
        ("/named-pipe.txt", "discover", "not_a_regular_file"),  # a FIFO named on the command line
        ("/inputs/dangling.txt", "discover", "broken_symlink"),
        ("/inputs/sub/up", "discover", "symlink_loop"),
        ("/inputs/x.html", "discover", "not_a_regular_file"),  # a directory with an input suffix
        ("/inputs/big.txt", "read", "too_large"),
    ],
)
def test_each_file_that_is_not_a_plain_readable_input_is_a_reject_with_its_reason(local_run, suffix, stage, reason):
    assert rejects_ending(local_run, suffix) == [(stage, reason)]


def test_files_under_a_symlink_loop_and_in_a_directory_named_x_html_are_loaded_once(local_run):
    assert sightings_ending(local_run, "/inputs/sub/deeper/story_000.txt") == 1
    assert rows(local_run.db_path, "SELECT count(*) FROM sightings WHERE contains(source, '/up/')") == [(0,)]
    assert sightings_ending(local_run, "/inputs/x.html/story_000.txt") == 1


def test_a_url_list_with_a_typo_fetches_its_urls_and_rejects_the_typo_line(local_run):
    assert rejects_ending(local_run, f"/inputs/reading-list.txt:{URL_LIST_TYPO_LINE}") == [("discover", "not_a_url")]
    assert rows(local_run.db_path, "SELECT count(*) FROM rejects WHERE reason = 'not_a_url'") == [(1,)]
    loaded = rows(
        local_run.db_path, "SELECT url FROM articles WHERE list_contains(?, url) ORDER BY url", [local_run.listed_urls]
    )
    assert loaded == [(url,) for url in sorted(local_run.listed_urls)]


def test_every_gzip_member_of_a_local_html_gz_is_read(local_run):
    [(text,)] = rows(
        local_run.db_path, "SELECT text FROM articles WHERE ends_with(source_file, '/inputs/two-members.html.gz')"
    )
    assert FIRST_MEMBER_SENTENCE in text
    assert SECOND_MEMBER_SENTENCE in text
