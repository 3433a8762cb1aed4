"""The installed `newsmon` command in its own process, as ops run it, isolated from the
developer's environment: its own HOME and PREFECT_HOME, and only the settings given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def newsmon(args: list[str], home: Path, settings: dict[str, str] | None = None, **popen: object) -> subprocess.Popen:
    """Start `newsmon ARGS` in `home` (created if need be), in a session of its own so a test can
    kill it with everything it started; `settings` are extra environment variables."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        **(settings or {}),
    }
    command = [str(Path(sys.executable).with_name("newsmon")), *args]
    return subprocess.Popen(command, env=env, cwd=home, start_new_session=True, text=True, **popen)
