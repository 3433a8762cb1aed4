"""The installed `newsmon` command in its own process, as ops run it, isolated from the
developer's environment: its own HOME and PREFECT_HOME, and only the settings given."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# Prefect gives the temporary server a command starts 20 s by default: too little on a busy
# 2-core machine, where the command then dies before its flow starts.
PREFECT_STARTUP_S = 90


def environment(home: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a command run in `home`: nothing of the caller's but PATH.
    Each run starts its own temporary Prefect server (NEWSMON_PREFECT_SERVER=ephemeral), so no
    test leaves a background server running; tests of that server opt in through `settings`."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(PREFECT_STARTUP_S),
        "PYTHONUNBUFFERED": "1",
        "NEWSMON_PREFECT_SERVER": "ephemeral",
        **(settings or {}),
    }


def newsmon(
    args: list[str],
    home: Path,
    settings: dict[str, str] | None = None,
    *,
    prefix: Sequence[str] = (),
    **popen: object,
) -> subprocess.Popen:
    """Start `newsmon ARGS` in `home` (created if need be), in a session of its own so a test can
    kill it with everything it started; `settings` are extra environment variables; `prefix`
    goes before the command (e.g. `setpriv …` to drop capabilities)."""
    home.mkdir(parents=True, exist_ok=True)
    command = [*prefix, str(Path(sys.executable).with_name("newsmon")), *args]
    return subprocess.Popen(
        command, env=environment(home, settings), cwd=home, start_new_session=True, text=True, **popen
    )
