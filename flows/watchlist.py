"""The watchlist: the sources the monitor flow polls. `deploy/watchlist.toml` is the source of truth.

`newsmon watch add|list|remove` edit the file (comments and layout are kept, via tomlkit);
every monitor run reads it and syncs it into the `sources` table and the `urls` frontier.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import tomlkit

from extractors.errors import InputRejected, WatchlistError
from extractors.records import WatchedSource
from extractors.urls import canonical_url
from flows.settings import Settings

SOURCE_KINDS = ("feed", "sitemap", "section")
# A source without its own interval starts at the configured default (adaptive polling moves it).
DEFAULT_POLL_INTERVAL_MIN = Settings.model_fields["source_interval_min"].default


def validated_source(entry: dict, where: str) -> WatchedSource:
    """A watchlist entry (from the file or `watch add`) as a source, or WatchlistError saying what to fix."""
    unknown = set(entry) - {"name", "kind", "url", "poll_interval_min", "tags", "max_new_articles"}
    if unknown:
        raise WatchlistError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("name", "kind", "url"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise WatchlistError(f"{where}: `{key}` is required (a non-empty string)")
    if entry["kind"] not in SOURCE_KINDS:
        raise WatchlistError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(SOURCE_KINDS)}")
    try:
        url = canonical_url(entry["url"])
    except InputRejected as error:
        raise WatchlistError(f"{where}: {error.detail}") from None
    interval = entry.get("poll_interval_min", DEFAULT_POLL_INTERVAL_MIN)
    if not isinstance(interval, (int, float)) or interval <= 0:
        raise WatchlistError(f"{where}: poll_interval_min must be a positive number of minutes")
    limit = entry.get("max_new_articles")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise WatchlistError(f"{where}: max_new_articles must be a positive integer")
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise WatchlistError(f"{where}: tags must be a list of strings")
    return WatchedSource(entry["name"].strip(), entry["kind"], url, float(interval), tuple(tags), limit)


def load_watchlist(path: str | Path) -> list[WatchedSource]:
    document = _read(Path(path))
    sources = [
        validated_source(dict(entry), f"{path}: source #{i + 1}") for i, entry in enumerate(document.get("source", []))
    ]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise WatchlistError(f"{path}: source name(s) used twice: {', '.join(duplicates)}")
    return sources


def named_sources(sources: list[WatchedSource], names: list[str]) -> list[WatchedSource]:
    """The sources called `names` (none named: every source), or WatchlistError naming the unknown ones."""
    unknown = sorted(set(names) - {s.name for s in sources})
    if unknown:
        raise WatchlistError(f"no source named {', '.join(map(repr, unknown))} on the watchlist")
    return [s for s in sources if s.name in names or not names]


def schedule_note(schedule: list[tuple[str, str, datetime | None]], polled: set[str], now: datetime) -> str | None:
    """Why sources were not polled: `schedule` is (name, url, next poll) of each active source,
    soonest first; `polled` the URLs this run polls. None when every source is polled."""
    waiting = [(name, at) for name, url, at in schedule if url not in polled and at is not None and at > now]
    if not polled and not waiting:
        return "nothing due; the watchlist has no source to poll"
    if not waiting:
        return None
    name, at = waiting[0]
    when = f"next poll at {at:%Y-%m-%d %H:%M:%S} UTC ({name})"
    if not polled:
        return f"nothing due; {when}"
    return f"{len(waiting)} of {len(schedule)} sources not due; {when}"


def add_source(path: str | Path, source: WatchedSource) -> None:
    path = Path(path)
    document = _read(path) if path.exists() else tomlkit.document()
    if any(entry.get("name") == source.name for entry in document.get("source", [])):
        raise WatchlistError(f"{path}: a source named {source.name!r} already exists")
    entry = tomlkit.table()
    entry.update(
        {
            "name": source.name,
            "kind": source.kind,
            "url": source.url,
            "poll_interval_min": source.poll_interval_min,
            "tags": list(source.tags),
        }
    )
    if source.max_new_articles is not None:
        entry["max_new_articles"] = source.max_new_articles
    if "source" not in document:
        document["source"] = tomlkit.aot()
    document["source"].append(entry)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    load_watchlist(path)  # what we wrote must read back valid


def remove_source(path: str | Path, name: str) -> None:
    path = Path(path)
    document = _read(path)
    entries = document.get("source", [])
    keep = [i for i, entry in enumerate(entries) if entry.get("name") != name]
    if len(keep) == len(entries):
        raise WatchlistError(f"{path}: no source named {name!r}")
    for index in sorted(set(range(len(entries))) - set(keep), reverse=True):
        del entries[index]
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WatchlistError(f"no watchlist at {path}: create it with `newsmon watch add`") from None
    except tomlkit.exceptions.ParseError as error:
        raise WatchlistError(f"{path} is not valid TOML: {error}") from None
