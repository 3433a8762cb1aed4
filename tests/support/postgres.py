"""A real PostgreSQL 15 server for tests: a fresh cluster in a temp directory, on a free loopback
port, trust authentication, removed afterwards.

`scripts/setup` installs the Debian package postgresql-15 where it is missing. PostgreSQL refuses
to run as root, so as root the server commands run as the `postgres` user (`runuser`), in a
directory that user owns; as any other user they run as that user.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
USER = "news"
DATABASE = "news"
HOST = "127.0.0.1"
# A throwaway cluster: durability off, so starting it and writing to it take no fsyncs.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL 15 is not installed, or its server would not start."""


def dsn(port: int, dbname: str = DATABASE) -> str:
    """The libpq connection string of a database on the test server."""
    return f"dbname={dbname} host={HOST} port={port} user={USER}"


def create_database(server_dsn: str, name: str) -> str:
    """A new empty database on the server of `server_dsn` (say one per test); returns its DSN."""
    fields = dict(part.split("=", 1) for part in server_dsn.split())
    _run([str(PG_BIN / "createdb"), "-h", fields["host"], "-p", fields["port"], "-U", fields["user"], name])
    return dsn(int(fields["port"]), name)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start PostgreSQL 15 in a temp directory; yields the DSN of its database `news` (user
    `news`, no password); stops the server and removes the directory afterwards."""
    if not (PG_BIN / "initdb").exists():
        raise PostgresUnavailable(
            f"PostgreSQL 15 is not installed ({PG_BIN / 'initdb'} is missing): run scripts/setup as root, "
            "or `apt-get install postgresql-15`"
        )
    base = Path(tempfile.mkdtemp(prefix="newsmon-test-postgres-"))
    data = base / "data"
    try:
        if _as_root():
            shutil.chown(base, "postgres", "postgres")
        _run_server_command(["initdb", "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C", "-N"])
        port = _start(base, data)
        try:
            _run([str(PG_BIN / "createdb"), "-h", HOST, "-p", str(port), "-U", USER, DATABASE])
            yield dsn(port)
        finally:
            _stop(data)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(base: Path, data: Path, attempts: int = 3) -> int:
    """Start the server on a free port (another process may take the port between picking it
    and the server binding it: then try another)."""
    log = base / "server.log"
    for attempt in range(attempts):
        port = _free_port()
        options = f"-k {base} -p {port} -c listen_addresses={HOST} {SERVER_OPTIONS}"
        try:
            _run_server_command(["pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"])
            return port
        except PostgresUnavailable:
            _stop(data)
            if attempt == attempts - 1:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no server log)"
                raise PostgresUnavailable(f"PostgreSQL would not start; its log ends:\n{tail}") from None
    raise AssertionError("unreachable")


def _stop(data: Path) -> None:
    """Fast shutdown (ends the sessions, no waiting for clients); if that fails, SIGKILL the
    postmaster this cluster started, by the pid in its postmaster.pid."""
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        _run_server_command(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "30", "stop"])
    except PostgresUnavailable:
        with suppress(OSError, ValueError, IndexError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


def _as_root() -> bool:
    return os.geteuid() == 0


def _run_server_command(args: list[str]) -> None:
    command = [str(PG_BIN / args[0]), *args[1:]]
    _run(["runuser", "-u", "postgres", "--", *command] if _as_root() else command)


def _run(command: list[str]) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "LANG": "C", "PGCONNECT_TIMEOUT": "10"}
    result = subprocess.run(command, env=env, cwd="/", capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]
