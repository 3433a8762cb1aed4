"""The lake beyond SQL: `search`, `export`, `shell`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newsmon.app import DbOption, FormatOption, app, catalog_spec, console, errors, fail, table_width, usage_error
from newsmon.query_output import OutputFormat, render
from warehouse import db


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="the words to look for", show_default=False)],
    comments: Annotated[bool, typer.Option("--comments", help="search comment text instead of articles")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="the best N hits")] = 20,
    output_format: FormatOption = OutputFormat.table,
    db_path: DbOption = None,
) -> None:
    """Full-text search (BM25) of article titles and text, or with --comments of comment text.

    Best first; a term that is rarer, more frequent in a document, or in its title counts more.
    Words are stemmed (`barriers` finds `barrier`) and any of them may match. The index is
    rebuilt by the first search after a batch commits, so results are current as runs load.
    """
    from warehouse.search import EmptySearch
    from warehouse.search import search as search_lake

    try:
        hits = search_lake(catalog_spec(db_path), query, comments=comments, limit=limit)
    except EmptySearch as exc:  # a query of no words: the user's to fix
        usage_error(str(exc))
    typer.echo(render(output_format, hits.columns, hits.rows, width=table_width(output_format, None)), nl=False)
    if not hits.rows and output_format.for_people:
        errors.print(f"no {'comment' if comments else 'article'} matches {query!r}", markup=False, highlight=False)


def _export_format(value: str) -> str:
    if value not in ("parquet", "csv"):
        raise typer.BadParameter(f"{value!r} is not parquet or csv")
    return value


@app.command()
def export(
    directory: Annotated[Path, typer.Argument(help="where articles/ and comments/ are written", show_default=False)],
    file_format: Annotated[
        str, typer.Option("--format", "-f", callback=_export_format, help="parquet or csv")
    ] = "parquet",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="write into a non-empty DIR, replacing its articles/ and comments/")
    ] = False,
    db_path: DbOption = None,
) -> None:
    """Write articles and comments (as of one lake snapshot) under DIR, partitioned by the day
    of first_seen_at: DIR/articles/day=2025-06-01/data_0.parquet, readable by any Parquet tool."""
    from warehouse.export import export as export_lake

    written = export_lake(catalog_spec(db_path), directory, file_format, overwrite=overwrite)
    table = Table(title=f"newsmon export → {directory}", caption=f"lake snapshot {written[0].snapshot_id}")
    for column in ("table", "directory", "days", "files", "rows"):
        table.add_column(column, justify="left" if column in ("table", "directory") else "right")
    for w in written:
        table.add_row(w.table, str(w.directory), str(w.partitions), str(w.files), str(w.rows))
    console.print(table)


@app.command(context_settings={"ignore_unknown_options": True})
def shell(
    duckdb_args: Annotated[
        list[str] | None,
        typer.Argument(help="passed on to duckdb, after --: `newsmon shell -- -c 'FROM articles'`", show_default=False),
    ] = None,
    db_path: DbOption = None,
) -> None:
    """The DuckDB command line (duckdb-cli, in the virtual environment) with the lake attached
    read-only as `lake` and in use: any SQL DuckDB knows, on the live warehouse, nothing written."""
    from warehouse.export import attach_statements

    catalog = catalog_spec(db_path)
    if not db.catalog_of(catalog).exists():
        usage_error(f"no warehouse at {catalog}: run `newsmon ingest` first")
    binary = Path(sys.executable).with_name("duckdb")
    if not binary.is_file():
        fail(f"no DuckDB command line at {binary}: install duckdb-cli (scripts/setup does)")
    argv = [str(binary)]
    for statement in attach_statements(catalog):
        argv += ["-cmd", f"{statement};"]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(binary, [*argv, *(duckdb_args or [])])
