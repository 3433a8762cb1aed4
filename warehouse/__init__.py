"""Storage: DuckDB tables, their migrations, loading, deduplication and the URL frontier.

Takes the records of `extractors.records` and raises the errors of `extractors.errors`; knows
nothing else of the layers around it. Every batch is one transaction.
"""

__all__ = [
    "arrow_io",  # transactions and Arrow bulk inserts
    "checks",  # the data checks declared in checks.toml
    "db",  # opening the warehouse: writers migrate, readers never lock
    "frontier",  # the URL frontier, the fetch log, the re-crawl policy
    "load",  # one batch into the warehouse, in one transaction
    "migrate",  # numbered .sql migrations, recorded and checksummed
    "revisions",  # readable diffs of article text
    "run_lock",  # one run at a time per warehouse
    "runs",  # the `runs` table
    "site_quality",  # extraction quality per run and site, and the sites that drifted
    "sites",  # a URL's host and site (registered domain)
    "sources",  # the watchlist's sources table
]
