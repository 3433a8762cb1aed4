"""The `runs` table: one row per flow run, written at start and completed at the end."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass

import duckdb

from extractors.records import LoadCounts
from warehouse.arrow_io import retrying, transaction
from warehouse.db import current_snapshot
from warehouse.timeutil import utc_now


@dataclass(frozen=True)
class CrawlCounts:
    sources_polled: int = 0
    urls_fetched: int = 0
    urls_not_modified: int = 0
    urls_discovered: int = 0
    urls_deferred: int = 0


def record_run_start(con: duckdb.DuckDBPyConnection, run_id: str, flow_name: str, parameters: dict) -> None:
    """The run's row, `running`, with this machine and process (a run id seen again, a Prefect
    retry of the same flow run, restarts its row)."""
    row = {
        "run_id": run_id,
        "flow_name": flow_name,
        "parameters": json.dumps(parameters, default=str),
        "started_at": utc_now(),
        "host": platform.node(),
        "pid": os.getpid(),
    }

    def write() -> None:
        with transaction(con):
            con.execute(
                """MERGE INTO runs USING (SELECT $run_id AS run_id, $flow_name AS flow_name,
                                                 $parameters::JSON AS parameters, $started_at AS started_at,
                                                 $host AS host, $pid AS pid) new
                   ON runs.run_id = new.run_id
                   WHEN MATCHED THEN UPDATE SET status = 'running', finished_at = NULL, error = NULL,
                       host = new.host, pid = new.pid
                   WHEN NOT MATCHED THEN INSERT (run_id, flow_name, parameters, started_at, status, host, pid)
                       VALUES (new.run_id, new.flow_name, new.parameters, new.started_at, 'running', new.host,
                               new.pid)""",
                row,
            )

    retrying(write)


def record_run_end(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    inputs_seen: int,
    counts: LoadCounts,
    crawl: CrawlCounts | None = None,
    error: str | None = None,
) -> None:
    crawl = crawl or CrawlCounts()
    retrying(lambda: _record_end_once(con, run_id, status, inputs_seen, counts, crawl, error))


def _record_end_once(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    inputs_seen: int,
    counts: LoadCounts,
    crawl: CrawlCounts,
    error: str | None,
) -> None:
    # The lake as the run's last batch left it: `newsmon sql --as-of RUN_ID` reads this snapshot.
    snapshot_id = current_snapshot(con)
    with transaction(con):
        con.execute(
            """UPDATE runs SET snapshot_id = ?, finished_at = ?, status = ?, inputs_seen = ?, articles_new = ?,
                      articles_duplicate = ?, articles_near_duplicate = ?, comments_new = ?,
                      comments_spam = ?, rejects = ?, error = ?, sources_polled = ?, urls_fetched = ?,
                      urls_not_modified = ?, urls_discovered = ?, articles_revised = ?,
                      urls_deferred = ?
               WHERE run_id = ?""",
            [
                snapshot_id,
                utc_now(),
                status,
                inputs_seen,
                counts.articles_new,
                counts.articles_duplicate,
                counts.articles_near_duplicate,
                counts.comments_new,
                counts.comments_spam,
                counts.rejects,
                error,
                crawl.sources_polled,
                crawl.urls_fetched,
                crawl.urls_not_modified,
                crawl.urls_discovered,
                counts.articles_updated,
                crawl.urls_deferred,
                run_id,
            ],
        )


def mark_abandoned_runs(con: duckdb.DuckDBPyConnection, current_run_id: str) -> int:
    """Runs of this machine still `running` whose process is gone died: mark them `abandoned`.

    Runs of other machines are theirs to judge (a shared PostgreSQL catalog). On this machine a
    process id that no longer exists cannot be a live run."""
    candidates = con.execute(
        "SELECT run_id, pid FROM runs WHERE status = 'running' AND run_id <> ? AND host IS NOT DISTINCT FROM ?",
        [current_run_id, platform.node()],
    ).fetchall()
    dead = [run_id for run_id, pid in candidates if not _alive(pid)]
    if dead:

        def write() -> None:
            with transaction(con):
                con.execute(
                    """UPDATE runs SET status = 'abandoned', error = 'process ended before the run finished'
                       WHERE run_id IN (SELECT unnest(?))""",
                    [dead],
                )

        retrying(write)
    return len(dead)


def _alive(pid: int | None) -> bool:
    if pid is None or pid == os.getpid():
        return pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
