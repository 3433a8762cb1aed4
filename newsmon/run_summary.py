"""A run's summary in the terminal, and the exit code it ends the command with."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from newsmon.app import Exit, console, usage_error

if TYPE_CHECKING:
    from prefect.states import State

    from flows.summary import RunSummary

EXIT_BY_STATUS = {"completed": Exit.OK, "completed_with_rejects": Exit.SOME_REJECTED, "failed": Exit.ALL_REJECTED}
_IMPORTED = time.monotonic()


def command_seconds() -> float:
    """How long this command has run: since its process started (/proc/self/stat: `scripts/newsmon`
    execs the CLI, so its set-up check counts too), else since the CLI was imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as uptime:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
            return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def finished_summary(state: State) -> RunSummary:
    """The summary of a flow run called with `return_state=True`, failed or not. Parameters the
    flow refused are the user's mistake: one line, exit 2; any other error is raised again."""
    from prefect.exceptions import ParameterTypeError

    from flows.states import summary_of

    try:
        return summary_of(state)
    except ParameterTypeError as exc:
        usage_error(" ".join(str(exc).split()))


def print_summary(summary: RunSummary, title: str) -> None:
    """The summary table, deferred URLs and rejects; then exit 1 when some inputs were rejected,
    3 when the run failed (every input rejected, or every URL fetched failed)."""
    caption = f"run {summary.run_id}: {command_seconds():.1f} s (flow {summary.seconds:.1f} s)"
    table = Table(title=f"{title} → {summary.db_path}", caption=caption, min_width=len(caption))  # one line
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in summary.rows():
        table.add_row(name, str(value))
    console.print(table)
    for note in summary.notes:
        console.print(note, markup=False)
    if summary.urls_deferred:
        reasons = ", ".join(f"{reason} {count}" for reason, count in summary.urls_deferred.most_common())
        console.print(
            f"{summary.urls_deferred.total()} URLs deferred to the frontier ({reasons}): not lost, "
            "`newsmon monitor` fetches them when due (urls.next_fetch_at)"
        )
    if summary.rejects:
        rejects = Table(title="rejected inputs")
        for column in ("input", "stage", "reason", "detail"):
            rejects.add_column(column, overflow="fold")
        for r in summary.rejects:
            rejects.add_row(r.source, r.stage, r.reason, r.detail)
        console.print(rejects)
    if summary.status != "completed":
        raise typer.Exit(EXIT_BY_STATUS[summary.status])
