"""Starting and stopping a local Prefect server: one tied to the process that starts it (for
`newsmon serve` and the deployment tests), or a detached one that outlives it (the background
server of `newsmon server`, newsmon/server.py), and telling a live server's process from a pid
that has since been reused."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from extractors.errors import ServiceError

PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now. SO_REUSEADDR as `prefect server start`
    binds: a port some closed connection still lingers on (TIME_WAIT) counts as free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def is_healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until_healthy(api_url: str, process: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # Whether it still runs first: if it died (its port taken, say), whatever answers there is not it.
        if process.poll() is not None:
            raise ServiceError(f"prefect server exited with code {process.returncode}")
        if is_healthy(api_url):
            return
        time.sleep(0.5)
    raise ServiceError(f"prefect server at {api_url} not healthy after {timeout_s:.0f} s")


def stop_process_group(process: subprocess.Popen, signals: int = 1, timeout_s: float = 20) -> None:
    """Stop a process group we started. A Prefect worker ignores its first signal: pass signals=2."""
    for _ in range(signals):
        if process.poll() is not None:
            break
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=timeout_s / signals)
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # children (uvicorn, flow runs) that outlived their parent
        os.killpg(process.pid, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent() -> None:
    """In the server's process, before it runs: SIGTERM when the process that started it dies,
    however it dies. A second Ctrl-C ends `newsmon serve` at once, skipping every `finally`:
    without this its server would run on, orphaned, holding its port."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def api_url_of(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def _server_command(port: int) -> list[str]:
    return [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]


def _server_env(env: dict[str, str]) -> dict[str, str]:
    """A server is the API, never a client of another one; telemetry errors would fill its log."""
    env = {**env, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    return env


@contextmanager
def local_prefect_server(port: int, env: dict[str, str], log_path: Path, cwd: Path | None = None) -> Iterator[str]:
    """`prefect server start` on 127.0.0.1:port until the block ends; yields the API URL."""
    api_url = api_url_of(port)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            _server_command(port),
            env=_server_env(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_stop_with_parent,
        )
        try:
            try:
                wait_until_healthy(api_url, server)
            except ServiceError as exc:
                raise ServiceError(f"{exc}; see {log_path}") from exc
            yield api_url
        finally:
            stop_process_group(server)


def start_detached_server(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:port in a session of its own, with no tie to this
    process: it runs on after the command that starts it ends, and a Ctrl-C or a kill of that
    command's process group does not reach it. Its output is appended to `log_path`."""
    with open(log_path, "a") as log:
        return subprocess.Popen(
            _server_command(port),
            env=_server_env(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _live_stat(stat_path: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after "PID (comm)" (state, ppid, pgrp, …, start time at
    [19]); None if that process is gone or has exited (a zombie waiting to be reaped)."""
    try:
        stat = stat_path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # comm may hold spaces and parentheses
    return None if fields[0] in ("Z", "X") else fields


def process_start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot); None if it is gone or has exited.
    The pid and this number together name one process: a later one given the pid starts later."""
    fields = _live_stat(Path(f"/proc/{pid}/stat"))
    return None if fields is None else int(fields[19])


def is_server_process(pid: int, start_ticks: int, port: int) -> bool:
    """Whether `pid` is still the `prefect server start` on `port` that started at `start_ticks`."""
    if process_start_ticks(pid) != start_ticks:
        return False
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "server" in arguments and "start" in arguments and str(port) in arguments


def _live_group_members(pgid: int) -> list[int]:
    """The processes of group `pgid` that have not exited (zombies excluded)."""
    return [
        int(stat_path.parent.name)
        for stat_path in Path("/proc").glob("[0-9]*/stat")
        if (fields := _live_stat(stat_path)) is not None and int(fields[2]) == pgid
    ]


def stop_detached_group(pgid: int, timeout_s: float = 30) -> None:
    """Stop a detached server and everything in its process group (it leads the group: started
    in a session of its own). It is not our child, so we cannot wait() for it: we watch /proc.
    SIGTERM first so it shuts down cleanly, SIGKILL what is left after `timeout_s`."""
    for stop_signal, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(pgid, stop_signal)
        deadline = time.monotonic() + wait_s
        while _live_group_members(pgid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        else:
            return
    raise ServiceError(f"processes {_live_group_members(pgid)} of the server's group outlived SIGKILL")
