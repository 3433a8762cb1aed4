"""A real local Prefect server, process worker and `newsmon serve` for deployment tests, and
their clean-up."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from newsmon.prefect_server import (
    PREFECT,
    free_port,
    local_prefect_server,
    stop_process_group,
)


def prefect_env(home: Path) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
    }


def run_prefect(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([PREFECT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@contextmanager
def prefect_server(home: Path):
    env = prefect_env(home)
    with local_prefect_server(free_port(), env, home / "server.log", cwd=home) as api_url:
        yield {**env, "PREFECT_API_URL": api_url}


@contextmanager
def prefect_worker(env: dict[str, str], pool: str, cwd: Path, marker: str = ""):
    """A process worker; `marker` goes into its environment (NEWSMON_TEST_WORKER), which the flow
    runs it starts inherit, so a test can find and kill exactly those processes."""
    with open(cwd / "worker.log", "a") as log:
        worker = subprocess.Popen(
            [PREFECT, "worker", "start", "--pool", pool],
            env={**env, "NEWSMON_TEST_WORKER": marker},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield worker
        finally:
            stop_process_group(worker, signals=2)


@contextmanager
def newsmon_serve(env: dict[str, str], cwd: Path, *args: str):
    """`newsmon serve ARGS` in `cwd`, its output in cwd/serve.log; stopped as Ctrl-C stops it.
    Serve pauses its deployments and stops the server it started on the way out: it gets time
    for that on a busy machine before a second signal (and at last SIGKILL, which would leave
    that server running) cut it short."""
    with open(cwd / "serve.log", "w") as log:
        serve = subprocess.Popen(
            [str(Path(sys.executable).with_name("newsmon")), "serve", *args],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield serve
        finally:
            stop_process_group(serve, signals=2, timeout_s=120)


def deployments_named(api_url: str, names: list[str], serve: subprocess.Popen, timeout: float = 150) -> dict[str, dict]:
    """The deployments `names` ("flow/deployment") as the API has them, once all exist; fails if
    `serve` exits first or they are not all there after `timeout` s."""
    deadline, found = time.monotonic() + timeout, {}
    while len(found) < len(names):
        assert serve.poll() is None, f"serve exited with {serve.returncode}"
        assert time.monotonic() < deadline, f"only {sorted(found)} of {names} after {timeout} s"
        for name in names:
            try:
                response = httpx.get(f"{api_url}/deployments/name/{name}", timeout=5)
            except httpx.TransportError:  # its server is still starting
                break
            if response.status_code == 200:
                found[name] = response.json()
        time.sleep(1)
    return found
