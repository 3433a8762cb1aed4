"""`newsmon extract URL|FILE`: one page, extracted as a run would extract it, to standard output.

No warehouse (no catalog is opened), no Prefect: a file is read and parsed as flows/tasks.py
`read_file` does (extractors.local_files), a URL fetched through extractors.fetch, with the
same manners and private-address guard as a run, and extracted by extractors.fetched, as a run
extracts an article. What a run would reject is one line and exit 3: one page asked, none
extracted, "all rejected".
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from extractors.errors import InputRejected
from extractors.fetch import Fetcher, FetchRequest, FetchResult, FetchSettings
from extractors.fetched import EXPECT_BY_KIND, process_fetch_results
from extractors.local_files import discover_inputs, parse_input, read_input, url_list_entries
from extractors.records import ParsedComment, ParsedPage, RejectRecord, Target
from extractors.urls import canonical_url, is_url
from newsmon.app import AllowPrivateHostsOption, Exit, app, errors, settings, usage_error


class PageFormat(StrEnum):
    txt = "txt"
    json = "json"
    markdown = "markdown"


@app.command()
def extract(
    source: Annotated[
        str,
        typer.Argument(help="an http(s) URL, or a file: .html, .htm, .html.gz or a .txt page dump", show_default=False),
    ],
    output_format: Annotated[
        PageFormat, typer.Option("--format", "-f", help="txt (the text), json (every field) or markdown")
    ] = PageFormat.txt,
    comments: Annotated[
        bool, typer.Option("--comments", help="the reader comments too, indented by depth (json always has them)")
    ] = False,
    allow_private_hosts: AllowPrivateHostsOption = False,
) -> None:
    """Extract one page (a URL or a file) as a run would, and print it; the warehouse is not touched."""
    current = settings()
    if is_url(source):
        fetch_settings = current.model_copy(update={"allow_private_hosts": True}) if allow_private_hosts else current
        page = _fetched_page(source, fetch_settings)
    else:
        page = _file_page(source, current.max_input_bytes)
    typer.echo(render_page(page, output_format, with_comments=comments), nl=False)


def _rejected(reject: RejectRecord) -> NoReturn:
    errors.print(
        f"[red]rejected:[/red] {escape(reject.source)}: {reject.stage} {reject.reason}: {escape(reject.detail)}",
        highlight=False,
    )
    raise typer.Exit(Exit.ALL_REJECTED)


def _file_page(given: str, max_bytes: int) -> ParsedPage:
    if Path(given).is_dir():
        usage_error(f"{given} is a directory: extract takes one page (`newsmon ingest` takes directories)")
    inputs, problems = discover_inputs([given], max_bytes=max_bytes)
    if problems:
        _rejected(RejectRecord.from_error(problems[0].source, problems[0].error))
    [item] = inputs
    try:
        data = read_input(item, max_bytes)
    except InputRejected as exc:
        _rejected(RejectRecord.from_error(item.source, exc))
    if item.kind == "text_dump" and url_list_entries(data) is not None:
        usage_error(f"{given} is a list of URLs, not a page: give one of its URLs")
    try:
        return parse_input(data, item.source, item.kind, max_bytes=max_bytes)
    except Exception as exc:  # as a run records it: a parser bug on a page is that page's reject
        _rejected(RejectRecord.from_error(item.source, exc))


def _fetched_page(url: str, fetch_settings: FetchSettings) -> ParsedPage:
    try:
        target = Target(canonical_url(url), "article", "input")
    except InputRejected as exc:
        _rejected(RejectRecord.from_error(url, exc))
    result = asyncio.run(_fetch(fetch_settings, FetchRequest(target.url, expect=EXPECT_BY_KIND[target.kind])))
    batch = process_fetch_results([target], [result])
    if batch.pages:
        return batch.pages[0]
    if batch.rejects:
        _rejected(batch.rejects[0])
    [visit] = batch.visits  # not fetched now, and not a failure: a run would try again later
    _rejected(RejectRecord(url, "fetch", visit.error_reason or "deferred", "not fetched now: try again later"))


async def _fetch(fetch_settings: FetchSettings, request: FetchRequest) -> FetchResult:
    async with Fetcher(fetch_settings) as fetcher:
        [result] = await fetcher.fetch_many([request])
    return result


# --- the page as text --------------------------------------------------------------------


def render_page(page: ParsedPage, output_format: PageFormat, *, with_comments: bool) -> str:
    if output_format is PageFormat.json:
        return json.dumps(_page_object(page), ensure_ascii=False, indent=2, default=_json_value) + "\n"
    if output_format is PageFormat.markdown:
        return _markdown(page, with_comments)
    text = page.text.rstrip() + "\n"
    if with_comments and page.comments:
        text += "\n" + "\n".join(_comment_txt(c) for c in page.comments)
    return text


def _json_value(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _page_object(page: ParsedPage) -> dict[str, Any]:
    fields = asdict(page)
    fields.pop("comments")
    replies: dict[int | None, list[dict[str, Any]]] = {}
    for comment in page.comments:  # page order: each parent before its replies
        node = {**asdict(comment), "replies": []}
        replies.setdefault(comment.position, node["replies"])
        replies.setdefault(comment.parent_position, []).append(node)
    return {**fields, "comments": replies.get(None, [])}


def _byline(comment: ParsedComment) -> str:
    parts = [comment.author or "(no name)"]
    if comment.published_at:
        parts.append(comment.published_at.isoformat(sep=" "))
    if comment.kind != "comment":
        parts.append(comment.kind)
    if comment.spam_reason:
        parts.append(f"spam: {comment.spam_reason}")
    return " · ".join(parts)


def _comment_txt(comment: ParsedComment) -> str:
    indent = "    " * comment.depth
    lines = [_byline(comment), *comment.text.splitlines()]
    return "".join(f"{indent}{line}".rstrip() + "\n" for line in lines)


def _markdown(page: ParsedPage, with_comments: bool) -> str:
    lines = [f"# {page.title or '(no title)'}", ""]
    for label, value in (
        ("Author", page.author),
        ("Published", page.published_at.isoformat(sep=" ") if page.published_at else None),
        ("Site", page.site_name),
        ("URL", page.url),
        ("Source", page.source),
        ("Language", page.language),
    ):
        if value:
            lines.append(f"- **{label}:** {value}")
    lines += ["", *(f"{paragraph}\n" for paragraph in page.text.splitlines() if paragraph.strip())]
    if with_comments and page.comments:
        lines += [f"## Comments ({len(page.comments)})", ""]
        for comment in page.comments:
            indent = "  " * comment.depth
            lines.append(f"{indent}- **{_byline(comment)}**")
            lines += [f"{indent}  {line}".rstrip() for line in comment.text.splitlines()]
        lines.append("")
    return "\n".join(lines)
