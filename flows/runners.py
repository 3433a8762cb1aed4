"""Where a flow's submitted tasks run: threads in the flow's process (the default), or a Dask
cluster (`NEWSMON_TASK_RUNNER=dask`). Extraction batches are the only work submitted to it;
loading always stays in the flow's process, one writer.

Two open Prefect issues shape the Dask side (docs/operations.md, "Scale-out on Dask"): a
finished task runs again when the Dask worker holding its result dies (PrefectHQ/prefect#15442),
so a submitted task must be pure up to the load; and an external scheduler's memory grows with
every run (PrefectHQ/prefect#21697), so it is restarted now and then.
"""

from __future__ import annotations

from prefect.context import FlowRunContext
from prefect.settings import get_current_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from extractors.errors import ConfigError
from flows.settings import Settings

# Threads only wait here (on a process pool, on the fetcher): a few are enough.
LOCAL_THREADS = 4


def flow_task_runner(settings: Settings) -> TaskRunner:
    """The task runner the settings choose."""
    if settings.task_runner == "local":
        return ThreadPoolTaskRunner(max_workers=LOCAL_THREADS)
    return dask_task_runner(settings)


def dask_task_runner(settings: Settings) -> TaskRunner:
    """The cluster at `dask_address`, or, unset, a cluster on this machine for the run's length:
    one single-threaded worker process per extraction process (trafilatura holds the GIL, so
    threads would not add speed; the default is one per core)."""
    if not get_current_settings().api.url:
        # Each Dask worker would start a temporary Prefect server of its own (~10 s each, and
        # the task runs recorded nowhere the flow's server sees).
        raise ConfigError("NEWSMON_TASK_RUNNER=dask needs a Prefect server: set PREFECT_API_URL")
    from prefect_dask import DaskTaskRunner  # only when chosen: importing distributed takes a second

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.extract_processes,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,  # no port to collide with; `dask scheduler` has one when wanted
        }
    )


def batches_in_flight(settings: Settings, local: int) -> int:
    """How many extraction batches to keep submitted at once: `local` on this machine (the
    process pool is shared, so more would only hold pages in memory), two per worker thread
    on a cluster, so no worker waits for the flow to hand out the next batch."""
    if uses_local_processes(settings):
        return local
    client = FlowRunContext.get().task_runner.client
    return max(local, 2 * sum(client.nthreads().values()))


def uses_local_processes(settings: Settings) -> bool:
    """Whether extraction should use this machine's process pool (not when a cluster does it)."""
    return settings.task_runner == "local"
