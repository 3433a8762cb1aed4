"""Prefect: what runs, when, and with what retries.

Thin flows (`ingest`, `monitor`) over batched tasks; the crawl loop, the run record and its
summary, the one `Settings` object and the watchlist. Imports warehouse/ and extractors/,
never the command line.
"""

__all__ = [
    "crawl",  # the fetch → extract → load loop shared by both flows
    "fetch_bridge",  # one async fetcher per run, for synchronous tasks
    "ingest",  # the ingest flow
    "monitor",  # the monitor flow
    "parallel",  # the extraction process pool
    "progress",  # progress reports of long loops, for a listener (the command's bar)
    "run_record",  # a run's lock, `runs` row, artifact and snapshot
    "settings",  # the one typed settings object (NEWSMON_*)
    "states",  # how a run ends in Prefect: Completed, CompletedWithRejects, Failed
    "summary",  # the run summary a person reads
    "tasks",  # the Prefect tasks
    "watchlist",  # deploy/watchlist.toml
]
