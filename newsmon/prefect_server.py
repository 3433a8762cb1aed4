"""Starting and stopping a local Prefect server (for `newsmon serve` and the deployment tests)."""

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


def wait_until_healthy(api_url: str, process: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise ServiceError(f"prefect server exited with code {process.returncode}")
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


@contextmanager
def local_prefect_server(port: int, env: dict[str, str], log_path: Path, cwd: Path | None = None) -> Iterator[str]:
    """`prefect server start` on 127.0.0.1:port until the block ends; yields the API URL."""
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**env, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_stop_with_parent,
        )
        try:
            wait_until_healthy(api_url, server)
            yield api_url
        finally:
            stop_process_group(server)
