"""`newsmon extract`: one page, extracted as a run would, printed; no warehouse, no Prefect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import Exit, app
from tests.support.http_server import Reply
from tests.support.seeds import SEED_000 as SEED

runner = CliRunner()
REPOSITORY = Path(__file__).resolve().parents[2]
SAVED_PAGE = REPOSITORY / "tests" / "extractors" / "pages" / "wordpress_article.html"


def extract(*args: str) -> object:
    return runner.invoke(app, ["extract", *args])


def test_a_saved_html_page_in_each_format():
    text = extract(str(SAVED_PAGE))
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("The harbour council voted on Thursday evening")
    assert "Tom Reyes" not in text.stdout  # comments only when asked

    threaded = extract(str(SAVED_PAGE), "--comments")
    lines = threaded.stdout.splitlines()
    assert "Tom Reyes · 2025-03-14 11:02:00+00:00" in lines
    assert "    Alice Brennan · 2025-03-14 12:15:00+00:00" in lines  # a reply: one level deeper

    page = json.loads(extract(str(SAVED_PAGE), "--format", "json").stdout)
    assert page["title"] == "Harbour council approves new flood barrier" and page["author"] == "Mara Lindqvist"
    assert page["published_at"] == "2025-03-14T09:30:00+00:00" and page["language"] == "en"
    assert page["url"] == "https://coastal-courier.example/2025/03/harbour-flood-barrier/"
    assert page["text"].startswith("The harbour council voted")
    assert [c["author"] for c in page["comments"]] == ["Tom Reyes", "Gerald Whitcombe"]
    assert [r["author"] for r in page["comments"][0]["replies"]] == ["Alice Brennan"]

    markdown = extract(str(SAVED_PAGE), "-f", "markdown", "--comments").stdout.splitlines()
    assert markdown[0] == "# Harbour council approves new flood barrier"
    assert "- **Author:** Mara Lindqvist" in markdown and "## Comments (3)" in markdown
    assert "  - **Alice Brennan · 2025-03-14 12:15:00+00:00**" in markdown


def test_a_seed_dump_as_the_pipeline_reads_it():
    from extractors.text_dump import parse_text_dump

    expected = parse_text_dump(SEED.read_bytes(), str(SEED))
    text = extract(str(SEED))
    assert text.exit_code == 0 and text.stdout == expected.text.rstrip() + "\n"
    page = json.loads(extract(str(SEED), "-f", "json").stdout)
    assert page["title"] == expected.title and page["extraction_method"] == "text_dump"
    assert sum(1 for _ in _walk(page["comments"])) == len(expected.comments) > 0
    markdown = extract(str(SEED), "-f", "markdown").stdout
    assert markdown.startswith(f"# {expected.title or '(no title)'}\n")  # this dump states no headline
    assert f"- **Author:** {expected.author}" in markdown


def _walk(comments: list[dict]):
    for comment in comments:
        yield comment
        yield from _walk(comment["replies"])


def test_a_loopback_url_needs_allow_private_hosts(http_server, monkeypatch):
    monkeypatch.setenv("NEWSMON_PER_HOST_MIN_DELAY_S", "0")
    http_server.route("/story", Reply(body=SAVED_PAGE.read_bytes()))
    url = http_server.url("/story")
    refused = extract(url)
    assert refused.exit_code == Exit.ALL_REJECTED and refused.stdout == ""
    assert refused.stderr.startswith("rejected: ") and "private_address" in refused.stderr
    assert http_server.hits["/story"] == 0
    fetched = extract(url, "--allow-private-hosts", "-f", "json")
    assert fetched.exit_code == 0, fetched.output
    assert json.loads(fetched.stdout)["title"] == "Harbour council approves new flood barrier"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [("empty.txt", b"", "empty"), ("notes.md", b"# notes", "unsupported_type"), ("missing.html", None, "not_found")],
)
def test_what_a_run_rejects_is_one_line_and_exit_3(tmp_path, name, content, reason):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    result = extract(str(tmp_path / name))
    assert result.exit_code == Exit.ALL_REJECTED and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and f" {reason}: " in result.stderr


def test_a_directory_is_a_usage_error(tmp_path):
    result = extract(str(tmp_path))
    assert result.exit_code == Exit.USAGE and "is a directory" in result.stderr


def test_extract_opens_no_catalog_and_imports_no_prefect(tmp_path):
    program = (
        "import sys\n"
        "from newsmon.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "finally:\n"
        "    print('prefect imported' if 'prefect' in sys.modules else 'no prefect', file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "extract", str(SEED)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "no prefect"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no data/, no catalog
