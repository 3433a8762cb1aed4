"""`newsmon server start|stop|status`: one local Prefect server in the background for every run.

Without PREFECT_API_URL, Prefect starts a temporary API server inside each process that runs a
flow: 8–10 s of the ~12 s `newsmon ingest` takes on the seeds. Instead, `ingest` and `monitor`
(`use_background_server`) start `prefect server start` on 127.0.0.1 detached the first time,
leave it running, and point this and every later run at it: each run is still recorded in
Prefect (and shown in its UI), and a run costs only its flow.

- PREFECT_API_URL set: it wins, unchanged; nothing here runs.
- NEWSMON_PREFECT_SERVER=ephemeral: each run starts its own temporary server, as before.
- The state (pid, its start time, port, API URL, log, PREFECT_HOME) is data/prefect-server.json,
  relative to the working directory like the default catalog: one server per working directory.
- Port: NEWSMON_PREFECT_PORT, default 4200 (Prefect's own, where its UI usually is), when free,
  else any free port, recorded in the state; `server start --port P` insists on P and fails if
  it is taken.
- Two commands at once: data/prefect-server.lock (flock) lets one start the server; the other
  waits for it, then uses the same server.
- A stale state (its pid has exited, or now belongs to another program: the start time or the
  command line differ) is removed, never acted on.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from extractors.errors import ConfigError, ServiceError
from newsmon.app import Exit, app, console, errors, fail
from newsmon.prefect_server import (
    api_url_of,
    free_port,
    is_healthy,
    is_server_process,
    port_is_free,
    process_start_ticks,
    start_detached_server,
    stop_detached_group,
    wait_until_healthy,
)

STATE_PATH = Path("data/prefect-server.json")
LOCK_PATH = Path("data/prefect-server.lock")
LOG_PATH = Path("data/prefect-background.log")  # not serve's data/prefect-server.log: both may run
MODE_VARIABLE = "NEWSMON_PREFECT_SERVER"
PORT_VARIABLE = "NEWSMON_PREFECT_PORT"
STARTUP_S = 90  # the first start on a fresh PREFECT_HOME migrates its database: slow on 2 busy cores
ANSWER_S = 30  # how long a running server may be too busy to answer before a run gives up on it

server = typer.Typer(help="The background Prefect server that ingest and monitor runs use.", no_args_is_help=True)
app.add_typer(server, name="server")


@dataclass(frozen=True)
class ServerState:
    pid: int
    start_ticks: int  # with the pid, names this process and no later one given the same pid
    port: int
    api_url: str
    log_path: str
    prefect_home: str  # where the server keeps its database (PREFECT_HOME/prefect.db by default)
    started_at: str  # ISO 8601, UTC

    def is_alive(self) -> bool:
        return is_server_process(self.pid, self.start_ticks, self.port)

    def describe(self) -> str:
        uptime = timedelta(seconds=round((datetime.now(UTC) - datetime.fromisoformat(self.started_at)).total_seconds()))
        return (
            f"{self.api_url} (UI {self.api_url.removesuffix('/api')}), pid {self.pid}, up {uptime}, "
            f"log {self.log_path}, PREFECT_HOME {self.prefect_home}"
        )


def _read_state() -> ServerState | None:
    try:
        text = STATE_PATH.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return ServerState(**json.loads(text))
    except (ValueError, TypeError) as exc:
        raise ServiceError(
            f"{STATE_PATH} is unreadable ({exc}): stop the server it names by hand, then remove it"
        ) from exc


def _write_state(state: ServerState) -> None:
    partial = STATE_PATH.with_suffix(".json.partial")
    partial.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    partial.replace(STATE_PATH)  # a reader sees the old state or the new one, never half of one


@contextmanager
def _state_lock() -> Iterator[None]:
    """Held while the state may change (start, stop, removing a stale state). The kernel
    releases it when the holder exits, however it exits: a lock is never left behind."""
    LOCK_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_PATH, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _running_state() -> ServerState | None:
    """Under the lock: the state of a server that still runs; a stale state is removed."""
    state = _read_state()
    if state is not None and not state.is_alive():
        STATE_PATH.unlink()
        errors.print(f"removed a stale {STATE_PATH}: pid {state.pid} is no longer its Prefect server", markup=False)
        return None
    return state


def _start(port: int | None) -> ServerState:
    if port is None:
        preferred = _preferred_port()
        port = preferred if port_is_free(preferred) else free_port()
    elif not port_is_free(port):
        raise ServiceError(f"port {port} on 127.0.0.1 is in use: pick another with --port")
    LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
    process = start_detached_server(port, dict(os.environ), LOG_PATH)
    start_ticks = process_start_ticks(process.pid)
    if start_ticks is None:
        raise ServiceError(f"prefect server exited at once with code {process.wait()}; see {LOG_PATH}")
    state = ServerState(
        pid=process.pid,
        start_ticks=start_ticks,
        port=port,
        api_url=api_url_of(port),
        log_path=str(LOG_PATH.resolve()),
        prefect_home=str(Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser().resolve()),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write_state(state)  # before the wait: a command interrupted now leaves a server `stop` finds
    try:
        wait_until_healthy(state.api_url, process, timeout_s=STARTUP_S)
    except ServiceError as exc:
        stop_detached_group(process.pid)
        STATE_PATH.unlink()
        raise ServiceError(f"the background Prefect server did not start: {exc}; see {LOG_PATH}") from exc
    return state


def _preferred_port() -> int:
    value = os.environ.get(PORT_VARIABLE, "4200")
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"{PORT_VARIABLE} must be a TCP port number, not {value!r}")
    return int(value)


def _wait_until_answering(state: ServerState) -> None:
    deadline = time.monotonic() + ANSWER_S
    while not is_healthy(state.api_url):
        if time.monotonic() > deadline or not state.is_alive():
            raise ServiceError(
                f"the background Prefect server (pid {state.pid}) does not answer at {state.api_url}: "
                f"see {state.log_path}, or `newsmon server stop` and run again"
            )
        time.sleep(0.5)


def ensure_server(port: int | None = None) -> tuple[ServerState, bool]:
    """The running background server, started first if need be; and whether this call started it."""
    with _state_lock():
        state = _running_state()
        if state is None:
            return _start(port), True
        _wait_until_answering(state)
        return state, False


def background_mode() -> bool:
    """Whether runs use the background server: not when PREFECT_API_URL is set (it wins), nor
    with NEWSMON_PREFECT_SERVER=ephemeral (each run's own temporary server, as before)."""
    mode = os.environ.get(MODE_VARIABLE, "background")
    if mode not in ("background", "ephemeral"):
        raise ConfigError(f"{MODE_VARIABLE} must be background or ephemeral, not {mode!r}")
    return mode == "background" and not os.environ.get("PREFECT_API_URL")


def running_server_url() -> str | None:
    """The API URL of a background server that runs and answers now, else None; starts nothing."""
    state = _read_state()
    return state.api_url if state is not None and state.is_alive() and is_healthy(state.api_url) else None


def use_background_server() -> None:
    """Before a flow runs in this process: point Prefect at the background server, starting it
    if need be (see `background_mode`). Prefect fixes its settings when it is first imported:
    in a process that has imported it already (a test harness, a program hosting the app) the
    variable would change nothing, so its own API, whatever it is, stands."""
    if not background_mode() or "prefect" in sys.modules:
        return
    api_url = running_server_url()  # the usual case, without waiting on the lock
    if api_url is None:
        state, started = ensure_server()
        if started:
            errors.print(
                f"started a background Prefect server for this and later runs: {state.api_url} "
                f"(pid {state.pid}); `newsmon server stop` stops it",
                markup=False,
            )
        api_url = state.api_url
    os.environ["PREFECT_API_URL"] = api_url


@server.command()
def start(
    port: Annotated[
        int | None,
        typer.Option(help=f"listen here; default ${PORT_VARIABLE} or 4200, or any free port if that one is taken"),
    ] = None,
) -> None:
    """Start the background Prefect server (ingest and monitor start it themselves if need be)."""
    state, started = ensure_server(port)
    if port is not None and state.port != port:
        fail(f"already running on port {state.port}, not {port}: `newsmon server stop` first")
    console.print(f"{'started' if started else 'already running'}: {state.describe()}", markup=False, soft_wrap=True)


@server.command()
def stop() -> None:
    """Stop the background Prefect server and every process it started."""
    with _state_lock():
        state = _running_state()
        if state is None:
            console.print("not running")
            return
        stop_detached_group(state.pid)
        STATE_PATH.unlink()
    console.print(f"stopped the background Prefect server (pid {state.pid}, {state.api_url})")


@server.command()
def status() -> None:
    """Whether the background Prefect server runs: exit 0 running, 3 stopped, 4 running but not answering."""
    with _state_lock():
        state = _running_state()
    if state is None:
        console.print("stopped")
        raise typer.Exit(Exit.NOT_RUNNING)
    if not is_healthy(state.api_url):
        fail(f"running but not answering at {state.api_url} (pid {state.pid}): see {state.log_path}")
    console.print(f"running: {state.describe()}", markup=False, soft_wrap=True)
