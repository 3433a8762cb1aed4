"""`newsmon serve`: the deployments of deploy/prefect.yaml, served from this process.

For people who do not want to manage a work pool and worker. deploy/prefect.yaml is the one
source of truth: serve reads each deployment's entrypoint, parameters, schedules and description
there, and registers it under a name of its own, NAME-serve (`monitor/monitor-serve`,
`ingest/ingest-seeds-serve`, `maintain/maintain-serve`). The work pool's deployments that
`prefect deploy` made from the same file (`monitor/monitor`, …, with the working directory their
worker's runs need) are never replaced nor paused: on exit serve pauses its own deployments
only, so no runs pile up for a process that is gone, and the next serve resumes them.

Schedules need a real Prefect server (a temporary one cannot schedule): serve uses
PREFECT_API_URL when it is set, else the background server (newsmon/server.py) when it runs,
else it starts `prefect server start` on 127.0.0.1:--port itself and stops it on exit. That port
must be free: a server already there is not serve's to use (nor its deployments to touch).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml

from extractors.errors import ConfigError, ServiceError
from newsmon.app import app, console, errors, quiet_prefect_defaults
from newsmon.prefect_server import local_prefect_server, port_is_free
from newsmon.server import background_mode, running_server_url

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DEPLOYMENTS_FILE = Path("deploy/prefect.yaml")
SERVER_LOG = Path("data/prefect-server.log")
SERVE_SUFFIX = "-serve"  # monitor → monitor/monitor-serve: never the name of a work pool's deployment


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of deploy/prefect.yaml, as serve registers it."""

    name: str  # as in the file: "monitor"
    entrypoint: str  # "flows/monitor.py:monitor"
    parameters: dict
    schedules: list[Schedule]
    description: str | None = None
    tags: tuple[str, ...] = ()
    concurrency_limit: int | None = None
    enforce_parameter_schema: bool = True

    @property
    def serve_name(self) -> str:
        return self.name + SERVE_SUFFIX

    def flow(self):
        path, function = self.entrypoint.split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        return getattr(module, function)

    def to_deployment(self) -> RunnerDeployment:
        from prefect.schedules import Cron

        return self.flow().to_deployment(
            name=self.serve_name,
            description=f"{self.description or ''} Served by `newsmon serve` (no work pool).".lstrip(),
            parameters=self.parameters,
            schedules=[Cron(s.cron, timezone=s.timezone) for s in self.schedules],
            tags=list(self.tags),
            concurrency_limit=self.concurrency_limit,
            enforce_parameter_schema=self.enforce_parameter_schema,
            paused=False,  # resumes what the last serve paused on its way out
        )


def _schedules(entry: dict) -> list[Schedule]:
    schedules = entry.get("schedules") or []
    if any("cron" not in schedule for schedule in schedules):
        raise ConfigError(f"{DEPLOYMENTS_FILE}: deployment {entry['name']!r}: serve takes cron schedules only")
    return [Schedule(s["cron"], s.get("timezone", "UTC")) for s in schedules]


def read_deployments(path: Path = DEPLOYMENTS_FILE) -> list[DeploymentSpec]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        DeploymentSpec(
            name=entry["name"],
            entrypoint=entry["entrypoint"],
            parameters=entry.get("parameters") or {},
            schedules=_schedules(entry),
            description=entry.get("description"),
            tags=tuple(entry.get("tags") or ()),
            concurrency_limit=entry.get("concurrency_limit"),
            enforce_parameter_schema=entry.get("enforce_parameter_schema", True),
        )
        for entry in document["deployments"]
    ]


@contextmanager
def prefect_api(port: int, log_path: Path) -> Iterator[str]:
    """The API to serve against: PREFECT_API_URL if set, else a local server started here on
    `port`, which must be free (a server already there is someone else's)."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    if not port_is_free(port):
        raise ServiceError(
            f"port {port} on 127.0.0.1 is in use, and serve starts its own Prefect server there: "
            "pick a free port with --port (or set PREFECT_API_URL to serve against a server you run)"
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with local_prefect_server(port, dict(os.environ), log_path) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        try:
            yield api_url
        finally:
            del os.environ["PREFECT_API_URL"]


def serve_deployments(deployments: list[RunnerDeployment]) -> None:
    """Blocks, running each deployment's schedule in this process, until interrupted; then
    pauses these deployments, and only these. (Prefect's own pause on shutdown would do the
    same, logging "All deployments have been paused!", which reads as if it were all of them.)"""
    from prefect import serve

    try:
        serve(*deployments, pause_on_shutdown=False)
    finally:  # also after SIGTERM: Prefect's runner turns it into SystemExit
        pause(deployments)


def pause(deployments: list[RunnerDeployment]) -> None:
    from prefect.client.orchestration import get_client

    names = [f"{d.flow_name}/{d.name}" for d in deployments]
    try:
        with get_client(sync_client=True) as client:
            for name in names:
                client.pause_deployment(client.read_deployment_by_name(name).id)
    except Exception as exc:  # on the way out (the server may be gone): say what was left, hide nothing else
        errors.print(f"could not pause serve's deployments {', '.join(names)}: {exc}", markup=False)
        return
    paused = f"paused serve's own deployments {', '.join(names)} until the next `newsmon serve`"
    console.print(paused, markup=False, soft_wrap=True)


@app.command()
def serve(
    port: Annotated[
        int,
        typer.Option(
            help="where to start a Prefect server when PREFECT_API_URL is unset and no background server runs; "
            "it must be free"
        ),
    ] = 4200,
) -> None:
    """Run the deployments of deploy/prefect.yaml on their schedules from this process, as NAME-serve (Ctrl-C stops)."""
    quiet_prefect_defaults()
    specs = read_deployments()
    if background_mode() and (background_url := running_server_url()):
        os.environ["PREFECT_API_URL"] = background_url  # not a second server, wanting the same port
    with prefect_api(port, SERVER_LOG) as api_url:  # its errors: one line and exit 4 (newsmon/app.py)
        deployments = [spec.to_deployment() for spec in specs]
        console.print(
            f"serving {', '.join(f'{d.flow_name}/{d.name}' for d in deployments)} ({DEPLOYMENTS_FILE}) "
            f"against {api_url} (UI: {api_url.removesuffix('/api')}); Ctrl-C stops",
            markup=False,
            soft_wrap=True,
        )
        serve_deployments(deployments)
