"""The run summary a person reads: in the terminal, as a Prefect artifact, in `runs`."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from extractors.records import LoadCounts, RejectRecord


@dataclass
class RunSummary:
    run_id: str
    db_path: str
    inputs_seen: int = 0
    inputs_unchanged: int = 0  # files as last read by the same extractors: skipped, already loaded
    counts: LoadCounts = field(default_factory=LoadCounts)
    rejects: list[RejectRecord] = field(default_factory=list)
    seconds: float = 0.0
    urls_fetched: int = 0
    urls_not_modified: int = 0
    urls_discovered: int = 0
    sources_polled: int = 0
    input_rejects: int = 0  # rejects of inputs named by the user (not of URLs found on the way)
    urls_deferred: Counter[str] = field(default_factory=Counter)  # why -> URLs sent back to the frontier
    inputs_deferred: int = 0  # of those, URLs named by the user
    notes: list[str] = field(default_factory=list)  # sentences a person should read under the counts
    flow_name: str = "ingest"  # the flow whose run this is: names the artifact (set by flows/run_record.py)

    @property
    def inputs_loaded(self) -> int:
        """Inputs (files, URLs given) that are loaded: neither rejected nor deferred to a later
        run (an unchanged file is loaded already). URLs found on the way do not count."""
        return self.inputs_seen - self.input_rejects - self.inputs_deferred

    @property
    def all_failed(self) -> bool:
        """Nothing the run was asked for got done: inputs were named, some rejected and none loaded
        (the rest deferred); or, with no inputs named (the monitor), every URL fetched failed.
        A run that only deferred (a deadline, a long Retry-After) did not fail: nothing is lost."""
        if self.inputs_seen:
            return self.inputs_loaded == 0 and self.input_rejects > 0
        return self.urls_fetched > 0 and len(self.rejects) >= self.urls_fetched

    @property
    def status(self) -> str:
        """How the run ended, the one rule for the `runs` row, the Prefect state (flows/states.py)
        and the command's exit code: completed, completed_with_rejects or failed."""
        if self.all_failed:
            return "failed"
        return "completed_with_rejects" if self.rejects else "completed"

    def outcome(self) -> str:
        """The run's end in one sentence: the Prefect state's message."""
        parts = []
        if self.inputs_seen:
            parts.append(f"{self.inputs_loaded} of {self.inputs_seen} inputs loaded")
        if self.urls_fetched or not self.inputs_seen:
            parts.append(f"{self.urls_fetched} URLs fetched")
        parts.append(new_articles(self.counts))
        parts.append(f"{len(self.rejects)} rejects" if self.rejects else "no rejects")
        return ", ".join(parts)

    def errors_by_reason(self) -> dict[str, int]:
        return dict(Counter(r.reason for r in self.rejects).most_common())

    def rows(self) -> list[tuple[str, int]]:
        c = self.counts
        return [
            ("inputs seen", self.inputs_seen),
            ("inputs loaded", self.inputs_loaded),
            ("inputs unchanged (skipped, loaded before)", self.inputs_unchanged),
            ("sources polled", self.sources_polled),
            ("URLs fetched", self.urls_fetched),
            ("URLs not modified (304)", self.urls_not_modified),
            ("URLs discovered (feeds, sitemaps, pages)", self.urls_discovered),
            ("URLs deferred to the frontier (not lost)", self.urls_deferred.total()),
            ("articles new", c.articles_new),  # new rows in `articles`, as in `runs` and the log lines
            ("articles new that are near-duplicates (linked)", c.articles_near_duplicate),
            ("articles already known (exact duplicate)", c.articles_duplicate),
            ("articles revised (new text at a known URL)", c.articles_updated),
            ("comments new", c.comments_new),
            ("comments new flagged spam", c.comments_spam),
            ("comments already known", c.comments_seen_again),
            ("rejects", len(self.rejects)),
        ]

    def to_markdown(self) -> str:
        lines = [
            f"# newsmon {self.flow_name} run `{self.run_id}`",
            "",
            f"Database: `{self.db_path}` · {self.seconds:.1f} s · status **{self.status}**",
            "",
            "| what | count |",
            "|---|---:|",
            *(f"| {name} | {value} |" for name, value in self.rows()),
        ]
        if self.notes:
            lines += ["", *(f"- {note}" for note in self.notes)]
        if self.urls_deferred:
            lines += ["", "## Deferred to a later run, by reason", "", "| reason | URLs |", "|---|---:|"]
            lines += [f"| {reason} | {count} |" for reason, count in self.urls_deferred.most_common()]
        if self.rejects:
            lines += ["", "## Errors by reason", "", "| reason | count |", "|---|---:|"]
            lines += [f"| {reason} | {count} |" for reason, count in self.errors_by_reason().items()]
            lines += ["", "## Rejected inputs", "", "| input | stage | reason | detail |", "|---|---|---|---|"]
            lines += [f"| `{r.source}` | {r.stage} | {r.reason} | {r.detail} |" for r in self.rejects]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "inputs_seen": self.inputs_seen,
            **asdict(self.counts),
            "rejects": len(self.rejects),
            "status": self.status,
        }


def new_articles(counts: LoadCounts) -> str:
    """The one wording of the new-article count in log lines: "N new articles (M near-duplicates)".

    N counts every new `articles` row, near-duplicates included, as the summary table's "articles
    new" and `runs.articles_new` do; M says how many of them are near-duplicates."""
    return f"{counts.articles_new} new articles ({counts.articles_near_duplicate} near-duplicates)"


def batch_line(number: int, batches: int, files: int, counts: LoadCounts, rejects: int, unchanged: int) -> str:
    """The log line of one loaded batch of files: the progress of a long ingest in the flow's log."""
    return (
        f"batch {number}/{batches}: {files} files, {new_articles(counts)}, {counts.comments_new} new comments, "
        f"{rejects} rejects, {unchanged} unchanged"
    )
