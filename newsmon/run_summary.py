"""A run's summary in the terminal, and the exit code it ends the command with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from newsmon.app import Exit, console

if TYPE_CHECKING:
    from flows.summary import RunSummary


def print_summary(summary: RunSummary, title: str) -> None:
    table = Table(title=f"{title} → {summary.db_path}", caption=f"run {summary.run_id}, {summary.seconds:.1f} s")
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
        all_rejected = summary.inputs_seen > 0 and summary.inputs_loaded == 0
        raise typer.Exit(Exit.ALL_REJECTED if all_rejected else Exit.SOME_REJECTED)
