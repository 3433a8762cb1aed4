"""What analysts see of the warehouse, as text: query results in five formats, and the column
descriptions of docs/schema.md. Pure functions: column names and rows (or markdown) in, text
out; no database, no terminal.

Cell text is always literal: a value holding `[bold]` or `[/button]` prints as written, never as
Rich markup. In the human formats (table, markdown) NULL is shown as `NULL`; in csv it is an
empty field and in json/jsonl `null`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = [
    "OutputFormat",
    "RelationDoc",
    "cell_text",
    "format_csv",
    "format_json",
    "format_jsonl",
    "format_markdown",
    "format_table",
    "parse_schema_doc",
    "render",
]

Row = Sequence[Any]


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"

    @property
    def for_people(self) -> bool:
        """Table and markdown: several results may follow one another, a row limit by default."""
        return self in (OutputFormat.table, OutputFormat.markdown)


# --- one value as text ------------------------------------------------------------------


def cell_text(value: Any, null: str = "NULL") -> str:
    """A value as DuckDB's own CLI writes it: true/false, [a, b] for lists, {k: v} for structs."""
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cell_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {cell_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (bytes, bytearray)):
        return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in value)
    return str(value)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Control characters (an escape sequence would repaint the terminal) as `\\x1b`; tabs as spaces."""
    text = text.replace("\r\n", "\n")
    text = _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)
    return "\n".join(line.expandtabs(4) for line in text.split("\n"))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


# --- the formats ------------------------------------------------------------------------


def format_table(
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    width: int | None = None,
    title: str | None = None,
    more_rows: int = 0,
    null: str = "NULL",
) -> str:
    """A box-drawn table. `width`: wrap cells to fit a terminal that wide; None: never wrap.
    `more_rows`: rows left out, said on a line under the table."""
    rows = list(rows)
    table = Table(title=Text(title) if title else None, box=box.HEAVY_HEAD, title_justify="left")
    for index, name in enumerate(columns):
        values = [r[index] for r in rows if r[index] is not None]
        numeric = bool(values) and all(_is_number(v) for v in values)
        table.add_column(Text(_visible(name)), justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(Text(_visible(cell_text(v, null))) for v in row))
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 1_000_000,  # unlimited: the table is as wide as its widest cells
        color_system=None,
        force_terminal=False,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    console.print(table)
    text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
    if more_rows:
        text += f"{more_rows} more row{'s' if more_rows != 1 else ''} not shown (--max-rows)\n"
    return text


def format_csv(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """RFC 4180 quoting, `\\n` line ends, a header line; NULL is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell_text(v, null="") for v in row] for row in rows)
    return buffer.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)  # Decimal, UUID, timedelta, bytes…


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and inf are not JSON
    return value


def _unique_names(columns: Sequence[str]) -> list[str]:
    """JSON objects need distinct keys: a repeated name gets `_1`, `_2`… as DuckDB does."""
    seen: dict[str, int] = {}
    names = []
    for name in columns:
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def _json_objects(columns: Sequence[str], rows: Iterable[Row]) -> Iterable[str]:
    names = _unique_names(columns)
    for row in rows:
        record = {name: _json_value(v) for name, v in zip(names, row, strict=True)}
        yield json.dumps(record, default=_json_default, ensure_ascii=False)


def format_json(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """One JSON array of objects (one per line)."""
    objects = list(_json_objects(columns, rows))
    return "[\n" + ",\n".join(objects) + "\n]\n" if objects else "[]\n"


def format_jsonl(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """One JSON object per line."""
    return "".join(line + "\n" for line in _json_objects(columns, rows))


def _markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def format_markdown(columns: Sequence[str], rows: Iterable[Row], *, null: str = "NULL") -> str:
    """A GitHub-flavoured markdown table; pipes escaped, line breaks as <br>."""
    lines = [
        "| " + " | ".join(_markdown_cell(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(_markdown_cell(cell_text(v, null)) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render(
    output_format: OutputFormat,
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    width: int | None = None,
    title: str | None = None,
    more_rows: int = 0,
    null: str = "NULL",
) -> str:
    """One result in `output_format`. Only the table says `more_rows` and shows `title`."""
    if output_format is OutputFormat.table:
        return format_table(columns, rows, width=width, title=title, more_rows=more_rows, null=null)
    if output_format is OutputFormat.markdown:
        return format_markdown(columns, rows, null=null)
    if output_format is OutputFormat.csv:
        return format_csv(columns, rows)
    if output_format is OutputFormat.json:
        return format_json(columns, rows)
    return format_jsonl(columns, rows)


# --- docs/schema.md ---------------------------------------------------------------------


@dataclass(frozen=True)
class RelationDoc:
    """What docs/schema.md says of one table or view."""

    name: str
    summary: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # column → meaning ("" when only named)


_HEADING = re.compile(r"^#{2,}\s+(.*?)\s*$")
_NAMED_HEADING = re.compile(r"^`(\w+)`\s*(?:[—–-]+\s*(.*))?$")  # ### `articles` — one row per article
_BULLET = re.compile(r"^[-*]\s+`(\w+)\(.*?\)`\s*:\s*(.*)$")  # - `article_minhash(article_id PK, …)`: …
_SEPARATOR = re.compile(r"^\|[\s:|-]+\|$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_NAME_LIST = re.compile(r"`(\w+)`(?:\s*\(([^)]*)\))?")  # `a`, `b` (what b is)
_AS_IN = re.compile(r"^as in `(\w+)`$")


def _cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip().strip("|"))]


def _plain(text: str) -> str:
    return text.replace("`", "").replace("**", "").strip()


def parse_schema_doc(markdown: str) -> dict[str, RelationDoc]:
    """{table or view name: its doc} from docs/schema.md's layout:

    - `### \\`name\\` — summary`, then a `| column | type | meaning |` table; one row may name
      several columns (`` `first_seen_at`, `last_seen_at` ``); a meaning `as in \\`other\\``
      takes `other`'s meaning of the same column;
    - a heading without a table: its paragraph names the columns (`` `a`, `b` (what b is) ``);
    - bullets `` - `name(columns…)`: summary ``;
    - under `## Views`, a `| view | one row per | columns |` table whose columns cell names
      columns as above.
    """
    summaries: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    paragraphs: dict[str, list[str]] = {}
    current: str | None = None
    bullet_of: str | None = None  # the relation of the bullet an indented line continues
    in_views = False
    lines = markdown.splitlines()
    for index, raw in enumerate(lines):
        line = raw.strip()
        if bullet_of and line and raw[:1].isspace():
            summaries[bullet_of] += " " + _plain(line)
            continue
        bullet_of = None
        heading = _HEADING.match(line)
        if heading:
            in_views = line.startswith("## ") and heading[1].lower() == "views"
            named = _NAMED_HEADING.match(heading[1])
            current = named[1] if named else None
            if named:
                summaries[current], columns[current], paragraphs[current] = _plain(named[2] or ""), {}, []
            continue
        bullet = _BULLET.match(line)
        if bullet:
            bullet_of = bullet[1]
            summaries[bullet_of], columns[bullet_of] = _plain(bullet[2]), {}
            continue
        if not line.startswith("|"):
            if current is not None and line:
                paragraphs[current].append(line)
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _SEPARATOR.match(line) or _SEPARATOR.match(following):
            continue  # the separator, or the header row above it
        cells = _cells(line)
        if in_views and len(cells) >= 3 and _NAME_LIST.match(cells[0]):
            view = _NAME_LIST.match(cells[0])[1]
            summaries[view] = f"one row per {_plain(cells[1])}; columns: {_plain(cells[2])}"
            columns[view] = {name: _plain(meaning) for name, meaning in _NAME_LIST.findall(cells[2])}
        elif current is not None and len(cells) >= 2:
            as_in = _AS_IN.match(cells[-1])
            meaning = f"as in {as_in[1]}" if as_in else _plain(cells[-1])
            for name, _ in _NAME_LIST.findall(cells[0]):
                columns[current][name] = meaning

    for name, text in paragraphs.items():  # a section without a table lists its columns in prose
        if not columns[name] and text:
            columns[name] = {column: _plain(meaning) for column, meaning in _NAME_LIST.findall(" ".join(text))}
    for described in columns.values():  # `as in sightings`: that table's meaning of the same column
        for column, meaning in described.items():
            other = columns.get(meaning.removeprefix("as in "), {}) if meaning.startswith("as in ") else {}
            if other.get(column):
                described[column] = other[column]
    return {name: RelationDoc(name, summaries[name], columns[name]) for name in summaries}
