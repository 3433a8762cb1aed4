"""`newsmon serve`: the deployments of deploy/prefect.yaml, served from this process.

For people who do not want to manage a work pool and worker. Schedules need a real Prefect
server (a temporary one cannot schedule), so serve uses PREFECT_API_URL when it is set and
otherwise starts `prefect server start` on 127.0.0.1 itself, stopping it on exit.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
import yaml

from extractors.errors import ServiceError
from newsmon.app import app, console, fail, quiet_prefect_defaults
from newsmon.server import background_mode, running_server_url

DEPLOYMENTS_FILE = Path("deploy/prefect.yaml")


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    entrypoint: str  # "flows/monitor.py:monitor"
    parameters: dict
    crons: list[str]
    concurrency_limit: int | None = None

    def flow(self):
        path, function = self.entrypoint.split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        return getattr(module, function)


def read_deployments(path: Path = DEPLOYMENTS_FILE) -> list[DeploymentSpec]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        DeploymentSpec(
            name=entry["name"],
            entrypoint=entry["entrypoint"],
            parameters=entry.get("parameters") or {},
            crons=[schedule["cron"] for schedule in entry.get("schedules") or []],
            concurrency_limit=entry.get("concurrency_limit"),
        )
        for entry in document["deployments"]
    ]


@contextmanager
def prefect_api(port: int, log_path: Path) -> Iterator[str]:
    """The API to serve against: PREFECT_API_URL if set, else a local server started here."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from newsmon.prefect_server import local_prefect_server

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with local_prefect_server(port, dict(os.environ), log_path) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        try:
            yield api_url
        finally:
            del os.environ["PREFECT_API_URL"]


def serve_deployments(specs: list[DeploymentSpec]) -> None:
    """Blocks, running each deployment's schedule in this process, until interrupted."""
    from prefect import serve
    from prefect.schedules import Cron

    serve(
        *(
            spec.flow().to_deployment(
                name=spec.name,
                parameters=spec.parameters,
                schedules=[Cron(c, timezone="UTC") for c in spec.crons],
                concurrency_limit=spec.concurrency_limit,
            )
            for spec in specs
        )
    )


@app.command()
def serve(
    port: Annotated[
        int,
        typer.Option(
            help="port of the local Prefect server started when PREFECT_API_URL is unset and no background server runs"
        ),
    ] = 4200,
) -> None:
    """Run the deployments of deploy/prefect.yaml on their schedules from this process (Ctrl-C stops)."""
    quiet_prefect_defaults()
    specs = read_deployments()
    if background_mode() and (background_url := running_server_url()):
        os.environ["PREFECT_API_URL"] = background_url  # not a second server, wanting the same port
    try:
        with prefect_api(port, Path("data/prefect-server.log")) as api_url:
            console.print(
                f"serving {', '.join(s.name for s in specs)} against {api_url} "
                f"(UI: {api_url.removesuffix('/api')}); Ctrl-C stops"
            )
            serve_deployments(specs)
    except ServiceError as exc:
        fail(f"{exc}; see data/prefect-server.log")
