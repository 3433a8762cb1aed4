"""Where a flow's submitted tasks run: threads in the flow's process (the default), or a Dask
cluster (`NEWSMON_TASK_RUNNER=dask`). Extraction batches are the only work submitted to it;
loading always stays in the flow's process, one writer."""

from __future__ import annotations

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.settings import Settings

# Threads only wait here (on a process pool, on the fetcher): a few are enough.
LOCAL_THREADS = 4


def flow_task_runner(settings: Settings) -> TaskRunner:
    """The task runner the settings choose."""
    return ThreadPoolTaskRunner(max_workers=LOCAL_THREADS)


def uses_local_processes(settings: Settings) -> bool:
    """Whether extraction should use this machine's process pool (not when a cluster does it)."""
    return settings.task_runner == "local"
