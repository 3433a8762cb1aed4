"""A real local Prefect server and process worker for deployment tests, and their clean-up."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

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
