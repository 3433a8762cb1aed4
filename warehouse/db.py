"""Opening the warehouse: a DuckLake catalog plus Parquet data files.

The catalog is a SQLite file by default (`data/newsmon.sqlite`, data under `data/lake/` beside
it: embedded, no server) or a PostgreSQL database (`postgres:dbname=… host=…`, data on storage
every machine can reach) for many machines. Either way DuckDB attaches it as `lake` and makes
it the default catalog, so every table and view is reachable by its bare name.

One writer and any number of readers in other processes may use a lake at once: each batch
is one commit, and a reader sees whole batches only, each as soon as it commits. DuckLake
extensions load from the PyPI wheels into a directory inside the virtual environment, so
nothing is downloaded and nothing is written to the user's home.
"""

from __future__ import annotations

import fcntl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import duckdb_extensions

from extractors.errors import DatabaseMissing, WarehouseError
from warehouse.failures import storage_failure
from warehouse.migrate import apply_migrations

__all__ = [
    "LAKE",
    "Catalog",
    "catalog_of",
    "current_snapshot",
    "data_path",
    "extension_directory",
    "kept_open",
    "reader",
    "session",
    "sql_literal",
    "writer",
]

LAKE = "lake"  # the name the lake is attached under
EXTENSIONS = ("ducklake", "sqlite", "postgres", "fts")


@dataclass(frozen=True)
class Catalog:
    """Where a lake's catalog lives: `kind` sqlite (a file path) or postgres (a libpq string)."""

    kind: str
    location: str

    @property
    def uri(self) -> str:
        return f"ducklake:{self.kind}:{self.location}"

    @property
    def default_data_path(self) -> str | None:
        """Parquet beside a SQLite catalog, under lake/<catalog name>/ (data/lake/newsmon/ by
        default): two catalogs in one directory never share files, so maintenance of one never
        takes the other's files for orphans. A PostgreSQL catalog needs its data path given."""
        if self.kind != "sqlite":
            return None
        location = Path(self.location)
        return str(location.parent / "lake" / location.stem) + "/"

    def exists(self) -> bool:
        return self.kind != "sqlite" or Path(self.location).is_file()

    def __str__(self) -> str:
        return self.location if self.kind == "sqlite" else f"postgres:{self.location}"


def catalog_of(spec: str | Path) -> Catalog:
    """`postgres:<libpq string>`, `sqlite:<path>` or a plain path (a SQLite file)."""
    text = str(spec)
    if text.startswith("postgres:"):
        return Catalog("postgres", text.removeprefix("postgres:"))
    return Catalog("sqlite", str(Path(text.removeprefix("sqlite:")).resolve()))


def extension_directory() -> Path:
    return Path(sys.prefix) / "duckdb_extensions"


_verified = False  # whether this process has loaded the extensions once with their signatures checked


def session() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake extensions available offline.

    Checking an extension's signature hashes its file (36 MB for ducklake): about 0.4 s per
    connection, paid by every task. So the first session of a process loads them with the
    check, and later sessions of the process load the same, already checked files without it.
    """
    global _verified
    directory = extension_directory()
    config = {"extension_directory": str(directory), "autoinstall_known_extensions": False}
    con = duckdb.connect(config=config | ({"allow_unsigned_extensions": True} if _verified else {}))
    _configure(con)
    if not _verified:
        installed = {
            row[0] for row in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE installed").fetchall()
        }
        missing = [name for name in EXTENSIONS if name not in installed]
        if missing:
            directory.mkdir(parents=True, exist_ok=True)
            with open(directory / ".install.lock", "w") as lock:  # processes starting together install once
                fcntl.flock(lock, fcntl.LOCK_EX)
                for name in missing:
                    duckdb_extensions.import_extension(name, con=con)
        for name in EXTENSIONS:
            con.execute(f"LOAD {name}")
        _verified = True
    return con


def _configure(con: duckdb.DuckDBPyConnection) -> None:
    # No progress bar: DuckDB draws it on stdout after 2 s, into `newsmon sql --format json` output.
    con.execute("SET enable_progress_bar = false")


def _attach(con: duckdb.DuckDBPyConnection, catalog: Catalog, options: list[str]) -> None:
    with _storage_errors(catalog, f"cannot open the warehouse catalog {catalog}"):
        con.execute(f"ATTACH {sql_literal(catalog.uri)} AS {LAKE}" + (f" ({', '.join(options)})" if options else ""))
        con.execute(f"USE {LAKE}")  # reads the catalog's latest snapshot: a damaged catalog fails here


@contextmanager
def writer(spec: str | Path, data_path: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the lake, created if need be, with every migration applied.

    `data_path` matters only when the lake is created (DuckLake records it in the catalog).
    Inside `kept_open(spec)` it is a cursor on the one connection kept for the run.
    """
    catalog = catalog_of(spec)
    with _kept_lock:
        if catalog.uri in _kept and _kept[catalog.uri] is None:  # the run's first writer attaches and migrates
            _kept[catalog.uri] = _opened_writer(catalog, data_path)
        shared = _kept.get(catalog.uri)
    # a cursor has its own transaction, on the lake the kept connection attached
    con = _opened_writer(catalog, data_path) if shared is None else shared.cursor()
    try:
        with _storage_errors(catalog, _DAMAGED.format(catalog=catalog)):
            if shared is not None:
                _configure(con)
                con.execute(f"USE {LAKE}")
            yield con
    except Exception as error:
        fatal = isinstance(error, duckdb.FatalException) or isinstance(error.__cause__, duckdb.FatalException)
        if shared is not None and fatal:
            _forget(catalog.uri, shared)  # DuckDB invalidated it: the next writer (a retry) opens anew
        raise
    finally:
        con.close()


# Catalog URI → the connection kept open for a run (None until its first writer), see kept_open.
_kept: dict[str, duckdb.DuckDBPyConnection | None] = {}
_kept_lock = threading.Lock()


@contextmanager
def kept_open(spec: str | Path) -> Iterator[None]:
    """Within this block every `writer(spec)` of this process, in any thread, is a cursor on one
    connection: the catalog is attached and its migrations checked once, not once per task
    (about 0.1 s each, and a run has a few per batch). Opened by the first writer, so a busy
    catalog fails inside a task, which retries; closed at the end of the block. Nested blocks
    on one catalog share the outer one's connection."""
    uri = catalog_of(spec).uri
    with _kept_lock:
        outermost = uri not in _kept
        if outermost:
            _kept[uri] = None
    try:
        yield
    finally:
        if outermost:
            with _kept_lock:
                con = _kept.pop(uri, None)
            if con is not None:
                con.close()


def _forget(uri: str, con: duckdb.DuckDBPyConnection) -> None:
    with _kept_lock:
        if _kept.get(uri) is con:
            _kept[uri] = None
    con.close()


def _opened_writer(catalog: Catalog, data_path: str | None) -> duckdb.DuckDBPyConnection:
    """A new connection with the lake attached (created if need be) and migrated."""
    options = []
    if not catalog.exists() or data_path:
        where = data_path or catalog.default_data_path
        if where is None:
            raise WarehouseError(f"a new lake on {catalog} needs a data path: set NEWSMON_DATA_PATH")
        if catalog.kind == "sqlite":
            Path(catalog.location).parent.mkdir(parents=True, exist_ok=True)
        options.append(f"DATA_PATH {sql_literal(where)}")
    con = session()
    try:
        _attach(con, catalog, options)
        with _storage_errors(catalog, _DAMAGED.format(catalog=catalog)):
            apply_migrations(con)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def reader(
    spec: str | Path, *, as_of_snapshot: int | None = None, as_of_time: datetime | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the lake as of now, or as of a snapshot id or a time."""
    catalog = catalog_of(spec)
    if not catalog.exists():
        raise DatabaseMissing(f"no warehouse at {catalog}: run `newsmon ingest` first")
    options = ["READ_ONLY"]
    if as_of_snapshot is not None:
        options.append(f"SNAPSHOT_VERSION {int(as_of_snapshot)}")
    if as_of_time is not None:
        options.append(f"SNAPSHOT_TIME '{as_of_time.isoformat()}'")
    con = session()
    try:
        _attach(con, catalog, options)
        with _storage_errors(catalog, _DAMAGED.format(catalog=catalog)):
            yield con
    finally:
        con.close()


_DAMAGED = "the warehouse {catalog} could not be read or written"


@contextmanager
def _storage_errors(catalog: Catalog, failure: str) -> Iterator[None]:
    """A DuckDB or OS error that leaves a connection's block (or an ATTACH) is the storage's:
    callers handle the errors they expect (an analyst's bad SQL, a page the database refuses)
    inside the block. It becomes one clear line (warehouse/failures.py says which kind)."""
    try:
        yield
    except (duckdb.Error, OSError) as exc:
        raise storage_failure(exc, failure) from exc


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the lake's latest snapshot (its last commit)."""
    return con.execute(f"SELECT max(snapshot_id) FROM {LAKE}.snapshots()").fetchall()[0][0]


def data_path(con: duckdb.DuckDBPyConnection) -> str:
    """Where the lake keeps its data files, as its catalog records it."""
    return con.execute(
        f"SELECT value FROM __ducklake_metadata_{LAKE}.ducklake_metadata WHERE key = 'data_path'"
    ).fetchall()[0][0]


def sql_literal(text: str | Path) -> str:
    """`text` as a single-quoted SQL string, for statements that take no bound parameters
    (ATTACH, COPY … TO): our own paths and catalog strings, never input data."""
    return "'" + str(text).replace("'", "''") + "'"
