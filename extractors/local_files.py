"""Local inputs: which files a path names, and how each kind becomes a ParsedPage.

Reading a file is the only I/O here; parsing stays in the pure parser modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from extractors.decoding import gunzip
from extractors.errors import BinaryInput, GunzipFailed, InputRejected, MissingInput, UnsupportedInput
from extractors.html_page import extract_html_page
from extractors.records import ParsedPage
from extractors.text_dump import parse_text_dump
from extractors.urls import is_url, read_url_list

# Suffix → parser kind. Longest suffixes first so ".html.gz" wins over ".gz".
INPUT_KINDS = {
    ".html.gz": "html",
    ".htm.gz": "html",
    ".html": "html",
    ".htm": "html",
    ".txt": "text_dump",
}
# A saved page is a few MB at most; a larger decompressed size is a gzip bomb.
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str  # a value of INPUT_KINDS

    @property
    def source(self) -> str:
        return self.path.as_posix()


@dataclass(frozen=True)
class DiscoveryProblem:
    source: str
    error: InputRejected


def input_kind(path: Path) -> str | None:
    name = path.name.lower()
    return next((kind for suffix, kind in INPUT_KINDS.items() if name.endswith(suffix)), None)


def discover_inputs(paths: Iterable[str | Path]) -> tuple[list[InputFile], list[DiscoveryProblem]]:
    """Files named by `paths` (directories are walked recursively, hidden entries skipped).

    Every named or found file ends in exactly one of the two lists: unsupported
    types and missing paths are problems with a reason, never silently skipped.
    """
    found: dict[Path, InputFile] = {}
    problems: list[DiscoveryProblem] = []
    for given in paths:
        path = Path(given).resolve()
        if not path.exists():
            problems.append(DiscoveryProblem(str(given), MissingInput(f"no such file or directory: {given}")))
            continue
        candidates = sorted(_walk(path)) if path.is_dir() else [path]
        for candidate in candidates:
            kind = input_kind(candidate)
            if kind is None:
                problems.append(
                    DiscoveryProblem(
                        candidate.as_posix(),
                        UnsupportedInput(
                            f"unsupported file type {candidate.suffix or '(no suffix)'!r}; "
                            f"expected one of {', '.join(INPUT_KINDS)}"
                        ),
                    )
                )
            else:
                found.setdefault(candidate, InputFile(candidate, kind))
    return list(found.values()), problems


def _walk(directory: Path) -> Iterable[Path]:
    for entry in directory.iterdir():
        if entry.name.startswith("."):
            continue  # editor swap files, .DS_Store, .git: not inputs
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def url_list_entries(data: bytes) -> list[str] | None:
    """The URLs of a URL-list file (one per line, `#` comments), or None if it is not one.

    A `.txt` input is either a page dump or a URL list; it is a list when every entry is a URL.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    entries = read_url_list(text)
    return entries if entries and all(is_url(entry) for entry in entries) else None


def parse_input(data: bytes, source: str, kind: str) -> ParsedPage:
    """Bytes of one local file → ParsedPage, or InputRejected with the reason."""
    if source.lower().endswith(".gz"):
        data = _gunzip(data, source)
    if kind == "html":
        return extract_html_page(data, source)
    return parse_text_dump(data, source)


def _gunzip(data: bytes, source: str) -> bytes:
    try:
        return gunzip(data, MAX_DECOMPRESSED_BYTES)
    except GunzipFailed as failed:
        name = Path(source).name
        if failed.problem == "corrupt":
            raise BinaryInput(f"{name} is not valid gzip: {failed.detail}") from failed
        if failed.problem == "too_large":
            raise BinaryInput(
                f"decompresses to more than {MAX_DECOMPRESSED_BYTES // 2**20} MB (gzip bomb?)"
            ) from failed
        raise BinaryInput(f"{name} is a truncated gzip file") from failed
