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

    @property
    def inputs_loaded(self) -> int:
        """Inputs (files, URLs given) that are loaded: neither rejected nor deferred to a later
        run (an unchanged file is loaded already). URLs found on the way do not count."""
        return self.inputs_seen - self.input_rejects - self.inputs_deferred

    @property
    def status(self) -> str:
        return "completed_with_rejects" if self.rejects else "completed"

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
            ("articles new", c.articles_new - c.articles_near_duplicate),
            ("articles near-duplicate (new, linked)", c.articles_near_duplicate),
            ("articles already known (exact duplicate)", c.articles_duplicate),
            ("articles revised (new text at a known URL)", c.articles_updated),
            ("comments new", c.comments_new),
            ("comments new flagged spam", c.comments_spam),
            ("comments already known", c.comments_seen_again),
            ("rejects", len(self.rejects)),
        ]

    def to_markdown(self) -> str:
        lines = [
            f"# newsmon ingest run `{self.run_id}`",
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
