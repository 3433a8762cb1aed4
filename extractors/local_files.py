"""Local inputs: which files a path names, reading one safely, and how each kind becomes a ParsedPage.

Whatever a path turns out to be (a FIFO, a device, a dangling or looping link, a folder that
cannot be listed, a file too large) becomes an InputRejected with its reason, never a
traceback or a run that hangs. Reading files is the only I/O here; parsing stays in the
pure parser modules.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extractors.decoding import gunzip
from extractors.errors import (
    BinaryInput,
    BrokenSymlink,
    GunzipFailed,
    InputRejected,
    InputTooLarge,
    MissingInput,
    NotARegularFile,
    NotAUrl,
    SymlinkLoop,
    UnreadableInput,
    UnsupportedInput,
)
from extractors.html_page import extract_html_page
from extractors.records import ParsedPage
from extractors.text_dump import parse_text_dump
from extractors.urls import UrlList, read_url_list

# Suffix → parser kind. Longest suffixes first so ".html.gz" wins over ".gz".
INPUT_KINDS = {
    ".html.gz": "html",
    ".htm.gz": "html",
    ".html": "html",
    ".htm": "html",
    ".txt": "text_dump",
}


def display_path(path: str | os.PathLike[str]) -> str:
    """`path` as text any database can store, and losslessly: a byte of a file name that is
    not UTF-8 is written out as `\\xe9` (os.fsdecode would leave a lone surrogate)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class InputFile:
    path: Path  # the real name, to open
    kind: str  # a value of INPUT_KINDS
    # As listed: a file whose size and mtime are those of its last read is not read again.
    size: int = 0
    mtime_ns: int = 0

    @property
    def source(self) -> str:
        return display_path(self.path)


@dataclass(frozen=True)
class DiscoveryProblem:
    source: str
    error: InputRejected


def input_kind(path: Path) -> str | None:
    name = path.name.lower()
    return next((kind for suffix, kind in INPUT_KINDS.items() if name.endswith(suffix)), None)


def discover_inputs(paths: Iterable[str | Path], *, max_bytes: int) -> tuple[list[InputFile], list[DiscoveryProblem]]:
    """Files named by `paths`: directories are walked depth first in sorted order, hidden
    entries skipped, each real directory once; files over `max_bytes` are problems unread.

    Every named or found entry ends in exactly one of the two lists, unless it is a file or
    directory already there (reached again through a link or a second name). Nothing that is
    not a regular file is opened: a FIFO would block the run for ever.
    """
    walk = _Walk(max_bytes)
    for given in paths:
        walk.visit_named(given)
    return walk.inputs, walk.problems


@dataclass
class _Walk:
    max_bytes: int
    inputs: list[InputFile] = field(default_factory=list)
    problems: list[DiscoveryProblem] = field(default_factory=list)
    # (st_dev, st_ino) of what was reached: each real file is listed once, each directory walked once.
    seen_files: set[tuple[int, int]] = field(default_factory=set)
    walked_dirs: set[tuple[int, int]] = field(default_factory=set)

    def visit_named(self, given: str | Path) -> None:
        """A path given on the command line, and all below it."""
        # abspath, not resolve(): a link named on the command line is reported under its own name.
        pending: list[tuple[Path, str | Path | None]] = [(Path(os.path.abspath(given)), given)]
        # A stack, not recursion: a hostile tree may nest deeper than Python's recursion limit.
        while pending:
            path, named_as = pending.pop()
            pending.extend((child, None) for child in reversed(self._visit(path, named_as)))

    def _visit(self, path: Path, named_as: str | Path | None) -> list[Path]:
        """Record `path` as an input or a problem; the entries to visit next if it is a directory
        to walk. `named_as`: the path as given on the command line, None for one found in a walk."""
        try:
            link = os.lstat(path)
        except OSError as error:  # not there (or removed since its directory was listed), an I/O error
            shown = display_path(path if named_as is None else named_as)
            self._problem(shown, _lookup_error(shown, error))
            return []
        is_link = stat.S_ISLNK(link.st_mode)
        try:
            info = os.stat(path) if is_link else link
        except OSError as error:
            self._problem(display_path(path), _link_error(path, error))
            return []
        if stat.S_ISDIR(info.st_mode):
            return self._enter(path, info, through_link=is_link, named=named_as is not None)
        if stat.S_ISREG(info.st_mode):
            self._add_file(path, info)
        else:
            shown = display_path(path)
            self._problem(shown, NotARegularFile(f"{shown} is a {_file_type(info)}: only regular files are read"))
        return []

    def _enter(self, directory: Path, info: os.stat_result, *, through_link: bool, named: bool) -> list[Path]:
        shown = display_path(directory)
        key = (info.st_dev, info.st_ino)
        if key in self.walked_dirs:
            if through_link:
                real = display_path(os.path.realpath(directory))
                self._problem(shown, SymlinkLoop(f"{shown} links to {real}, a directory already walked: not followed"))
            return []  # named twice, or inside another directory named: its files are listed already
        self.walked_dirs.add(key)
        if not named and input_kind(directory) is not None:
            self._problem(
                shown,
                NotARegularFile(
                    f"{shown} is a directory named like an input file; its contents are walked as a folder"
                ),
            )
        try:
            names = sorted(os.listdir(directory))
        except OSError as error:
            self._problem(shown, UnreadableInput(f"cannot list directory {shown}: {error.strerror or error}"))
            return []
        return [directory / name for name in names if not name.startswith(".")]  # .git, .DS_Store, swap files

    def _add_file(self, path: Path, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        if key in self.seen_files:
            return  # the same file through a second link or name: one input
        self.seen_files.add(key)
        kind = input_kind(path)
        if kind is None:
            self._problem(
                display_path(path),
                UnsupportedInput(
                    f"unsupported file type {path.suffix or '(no suffix)'!r}; expected one of {', '.join(INPUT_KINDS)}"
                ),
            )
        elif info.st_size > self.max_bytes:
            self._problem(display_path(path), _too_large(info.st_size, self.max_bytes))
        else:
            self.inputs.append(InputFile(path, kind, info.st_size, info.st_mtime_ns))

    def _problem(self, source: str, error: InputRejected) -> None:
        self.problems.append(DiscoveryProblem(source, error))


_FILE_TYPES = {
    stat.S_IFIFO: "named pipe (FIFO)",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFSOCK: "socket",
    stat.S_IFDIR: "directory",
}


def _file_type(info: os.stat_result) -> str:
    return _FILE_TYPES.get(stat.S_IFMT(info.st_mode), "special file")


def _too_large(size: int, max_bytes: int) -> InputTooLarge:
    return InputTooLarge(f"file is {_size(size)}, over the limit of {_size(max_bytes)} (max_input_bytes)")


def _lookup_error(shown: str, error: OSError) -> InputRejected:
    if isinstance(error, FileNotFoundError):
        return MissingInput(f"no such file or directory: {shown}")
    return UnreadableInput(f"cannot look at {shown}: {error.strerror or error}")


def _link_error(link: Path, error: OSError) -> InputRejected:
    """Why the symbolic link `link` leads nowhere."""
    shown = display_path(link)
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return BrokenSymlink(f"{shown} is a symbolic link to {display_path(os.readlink(link))}, which does not exist")
    if error.errno == errno.ELOOP:
        return SymlinkLoop(f"{shown} is a symbolic link in a loop of links: it never reaches a file")
    return UnreadableInput(f"cannot follow the symbolic link {shown}: {error.strerror or error}")


def read_input(item: InputFile, max_bytes: int) -> bytes:
    """The bytes of one discovered file; never more than `max_bytes` + 1 of them are read.

    Raises NotARegularFile (the path is now a FIFO or device: checked before opening, and on
    the open descriptor should it have been swapped in between), InputTooLarge, or
    UnreadableInput with the system's reason.
    """
    try:
        _require_regular_file(item, os.stat(item.path))  # a device is not even opened
        # O_NONBLOCK: a FIFO swapped in after that check opens at once instead of waiting for a writer.
        with open(os.open(item.path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            size = _require_regular_file(item, os.fstat(file.fileno())).st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)  # it grew since discovery
            data = file.read(size + 1)  # the extra byte shows a file that grows while it is read
    except OSError as error:
        raise UnreadableInput(f"cannot read {item.source}: {error.strerror or error}") from error
    if len(data) > size:
        raise UnreadableInput(f"{item.source} grew while it was read (still being written?); read it again later")
    return data


def _require_regular_file(item: InputFile, info: os.stat_result) -> os.stat_result:
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFile(f"{item.source} is now a {_file_type(info)}: only regular files are read")
    return info


def url_list_entries(data: bytes) -> UrlList | None:
    """What a URL-list file names (one URL per line, `#` comments), or None if it is not one.

    A `.txt` input is either a page dump or a URL list: a list when most of its entries are
    URLs (see `extractors.urls.read_url_list`).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # a list is plain UTF-8; a legacy-encoded .txt is a page dump
    return read_url_list(text)


def url_list_problems(listing: UrlList, source: str) -> list[DiscoveryProblem]:
    """One NotAUrl problem per bad line of the URL list `source`, named "<source>:<line number>"."""
    return [
        DiscoveryProblem(f"{source}:{number}", NotAUrl(f"line {number} is not an http(s) URL: {text!r}"))
        for number, text in listing.bad_lines
    ]


def parse_input(data: bytes, source: str, kind: str, *, max_bytes: int) -> ParsedPage:
    """Bytes of one local file → ParsedPage, or InputRejected with the reason. A `.gz` input
    may unpack to `max_bytes` at most."""
    if source.lower().endswith(".gz"):
        data = _gunzip(data, source, max_bytes)
    if kind == "html":
        return extract_html_page(data, source)
    return parse_text_dump(data, source)


def _gunzip(data: bytes, source: str, max_bytes: int) -> bytes:
    try:
        return gunzip(data, max_bytes)
    except GunzipFailed as failed:
        name = Path(source).name
        if failed.problem == "corrupt":
            raise BinaryInput(f"{name} is not valid gzip: {failed.detail}") from failed
        if failed.problem == "too_large":
            raise InputTooLarge(f"{name} decompresses to more than {_size(max_bytes)} (a gzip bomb?)") from failed
        raise BinaryInput(f"{name} is a truncated gzip file") from failed


def _size(byte_count: int) -> str:
    """A size for people: "52.4 MB", exact bytes below a megabyte."""
    if byte_count < 2**20:
        return f"{byte_count:,} bytes"
    return f"{byte_count / 2**20:.1f} MB".replace(".0 MB", " MB")
