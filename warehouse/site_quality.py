"""Extraction quality per site: what each run's extraction gave, site by site, and the sites
whose latest day falls away from their own recent past (`quality_drift`, migration 016).

A run's pages are the articles it wrote text for (new ones and revised ones): an article seen
again unchanged carries an earlier extraction's values, not this run's. Its rejects are the
parse and extract rejects it recorded for URLs (a fetch failure says nothing about extraction;
a file's path has no site). The bounds that flag a drift are stated in the view's SQL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import duckdb

from warehouse.arrow_io import insert_rows, retrying, transaction
from warehouse.sites import url_site
from warehouse.timeutil import utc_now

__all__ = ["EXTRACTION_STAGES", "SiteDrift", "flagged_sites", "record_site_quality"]

EXTRACTION_STAGES = ("parse", "extract")  # reject stages that count against a site's extraction


def record_site_quality(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Write the run's `site_quality` rows, one per site it loaded pages or recorded rejects
    for, replacing any it wrote before (one transaction; safe to call again). Returns the sites."""
    return retrying(lambda: _record_once(con, run_id))


def _record_once(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    with transaction(con):
        day = _run_day(con, run_id)
        now = utc_now()
        rejects = _rejects_by_site(con, run_id)
        pages = {row["site"]: row for row in _pages_by_site(con, run_id)}
        rows = []
        for site in sorted(pages.keys() | rejects.keys()):
            stats = pages.get(site, {"pages": 0})
            rejected = rejects.get(site, 0)
            rows.append(
                {
                    "run_id": run_id,
                    "day": day,
                    "site": site,
                    "pages": stats["pages"],
                    "rejects": rejected,
                    "median_words": stats.get("median_words"),
                    "title_share": stats.get("title_share"),
                    "author_share": stats.get("author_share"),
                    "date_share": stats.get("date_share"),
                    "comments_share": stats.get("comments_share"),
                    "reject_share": rejected / (stats["pages"] + rejected),
                    "recorded_at": now,
                }
            )
        con.execute("DELETE FROM site_quality WHERE run_id = ?", [run_id])
        insert_rows(con, "site_quality", rows)
    return len(rows)


def _run_day(con: duckdb.DuckDBPyConnection, run_id: str) -> date:
    """The UTC day the run started (today for a run with no `runs` row)."""
    found = con.execute("SELECT CAST(started_at AS DATE) FROM runs WHERE run_id = ?", [run_id]).fetchall()
    return found[0][0] if found else utc_now().date()


def _pages_by_site(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    cursor = con.execute(
        """SELECT
               a.site,
               count(*)                                                               AS pages,
               median(a.word_count)                                                   AS median_words,
               avg(CASE WHEN nullif(trim(a.title), '') IS NOT NULL THEN 1 ELSE 0 END) AS title_share,
               avg(CASE WHEN nullif(trim(a.author), '') IS NOT NULL THEN 1 ELSE 0 END) AS author_share,
               avg(CASE WHEN a.published_at IS NOT NULL THEN 1 ELSE 0 END)            AS date_share,
               avg(CASE WHEN EXISTS (SELECT 1 FROM comments c WHERE c.article_id = a.article_id)
                        THEN 1 ELSE 0 END)                                            AS comments_share
           FROM articles a
           WHERE a.site IS NOT NULL
             AND (a.first_run_id = $run_id
                  OR a.article_id IN (SELECT article_id FROM article_revisions WHERE run_id = $run_id AND revision > 1))
           GROUP BY a.site""",
        {"run_id": run_id},
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _rejects_by_site(con: duckdb.DuckDBPyConnection, run_id: str) -> Counter[str]:
    sources = con.execute(
        "SELECT source FROM rejects WHERE last_run_id = ? AND stage IN (SELECT unnest(?))",
        [run_id, list(EXTRACTION_STAGES)],
    ).fetchall()
    return Counter(site for (source,) in sources if (site := url_site(source)) is not None)


@dataclass(frozen=True)
class SiteDrift:
    """A row of `quality_drift`: a site whose latest day departs from its 14-day baseline."""

    site: str
    day: date
    pages: int
    rejects: int
    bounds_fired: tuple[str, ...]
    baseline: dict[str, float | None]  # bound name → the baseline's value
    latest: dict[str, float | None]  # bound name → the latest day's value

    def sentence(self) -> str:
        """One line for a run summary: which bounds fired, from what to what."""
        changes = "; ".join(
            f"{_LABELS[bound]} {_shown(bound, self.baseline[bound])} → {_shown(bound, self.latest[bound])}"
            for bound in self.bounds_fired
        )
        return f"extraction drift on {self.site} ({self.day}, vs its 14-day baseline): {changes}"


_LABELS = {
    "median_words": "median words",
    "title_share": "title share",
    "author_share": "author share",
    "date_share": "date share",
    "reject_share": "reject share",
}


def _shown(bound: str, value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.0f}" if bound == "median_words" else f"{value:.0%}"


def flagged_sites(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[SiteDrift]:
    """The sites `quality_drift` flags, by name; with `run_id`, only those that run recorded
    (what a run's summary should say: the sites it saw)."""
    cursor = con.execute(
        """SELECT * FROM quality_drift
           WHERE $run_id IS NULL OR site IN (SELECT site FROM site_quality WHERE run_id = $run_id)
           ORDER BY site""",
        {"run_id": run_id},
    )
    names = [d[0] for d in cursor.description]
    drifts = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        drifts.append(
            SiteDrift(
                site=row["site"],
                day=row["day"],
                pages=row["pages"],
                rejects=row["rejects"],
                bounds_fired=tuple(row["bounds_fired"]),
                baseline={bound: row[f"baseline_{bound}"] for bound in _LABELS},
                latest={bound: row[f"latest_{bound}"] for bound in _LABELS},
            )
        )
    return drifts
