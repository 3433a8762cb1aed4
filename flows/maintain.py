"""The `maintain` flow: keep the lake small and fast. Orchestration only.

Merges small Parquet files, expires snapshots older than the history kept for time travel
(`NEWSMON_HISTORY_DAYS`, default 30) and deletes files no snapshot needs once they have been
unused for `NEWSMON_CLEANUP_GRACE_MIN`. Holds the run lock like every flow, so it never runs
beside a load. Its artifact gives the files and bytes before and after.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from pydantic import Field

from flows.run_record import recorded_run
from flows.settings import Settings
from flows.summary import RunSummary
from flows.tasks import maintain_lake
from warehouse.maintenance import MaintenanceReport

FLOW_NAME = "maintain"


@flow(name=FLOW_NAME, log_prints=False)
def maintain(
    db_path: Annotated[str | None, Field(min_length=1)] = None,
    history_days: Annotated[float | None, Field(ge=0)] = None,
    grace_minutes: Annotated[float | None, Field(ge=0)] = None,
) -> MaintenanceReport:
    """Merge small files, expire old snapshots and delete unused files of the lake.

    It has no inputs to reject: it completes, or fails with the error that stopped it.

    Args:
        db_path: the lake's catalog: a SQLite file or postgres:<libpq string>; default: NEWSMON_CATALOG
        history_days: snapshots younger than this many days are kept for time travel, older ones
            expired; default: NEWSMON_HISTORY_DAYS
        grace_minutes: files no snapshot needs are deleted once unused this long; default:
            NEWSMON_CLEANUP_GRACE_MIN
    """
    settings = Settings()
    db_file = str(db_path or settings.catalog)
    history = settings.history_days if history_days is None else history_days
    grace = settings.cleanup_grace_min if grace_minutes is None else grace_minutes
    summary = RunSummary(run_id=str(flow_run.id or uuid.uuid4()), db_path=db_file)
    parameters = {"db_path": db_file, "history_days": history, "grace_minutes": grace}
    with recorded_run(FLOW_NAME, summary, parameters, settings.data_path):
        report = maintain_lake(db_file, history, grace)
    create_markdown_artifact(
        key="maintain-run-summary", markdown=report_markdown(report, db_file), description="newsmon maintain run"
    )
    return report


def report_markdown(report: MaintenanceReport, db_file: str) -> str:
    rows = [
        ("data files", report.before.files, report.after.files),
        ("bytes", report.before.bytes, report.after.bytes),
        ("snapshots", report.before.snapshots, report.after.snapshots),
    ]
    return (
        "\n".join(
            [
                f"# newsmon maintain: `{db_file}`",
                "",
                "| what | before | after |",
                "|---|---:|---:|",
                *(f"| {name} | {before:,} | {after:,} |" for name, before, after in rows),
                "",
                f"{report.files_merged} tables compacted, {report.snapshots_expired} snapshots expired, "
                f"{report.files_deleted} files deleted.",
            ]
        )
        + "\n"
    )
