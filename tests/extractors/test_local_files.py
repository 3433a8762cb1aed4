"""Finding local inputs, reading each safely, and turning each kind of file into a page."""

from __future__ import annotations

import builtins
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extractors import local_files
from extractors.errors import BinaryInput, InputTooLarge, NotARegularFile, UnreadableInput
from extractors.local_files import (
    InputFile,
    discover_inputs,
    parse_input,
    read_input,
    url_list_entries,
    url_list_problems,
)

PAGES = Path(__file__).parent / "pages"
REPO = Path(__file__).parents[2]
LIMIT = 1000  # max_bytes in these tests: small, so a "too large" file is cheap to make


def _problems(problems) -> list[tuple[str, str]]:
    return [(Path(problem.source).name, problem.error.reason) for problem in problems]


@pytest.fixture
def never_opened(monkeypatch):
    """Fail, instead of blocking for ever, if the code under test opens one of the given paths."""
    guarded: set[str] = set()

    def guard(real_open):
        def refusing_open(file, *args, **kwargs):
            if isinstance(file, str | bytes | os.PathLike) and os.path.abspath(os.fsdecode(file)) in guarded:
                raise AssertionError(f"{file} was opened")
            return real_open(file, *args, **kwargs)

        return refusing_open

    for module, name in ((os, "open"), (io, "open"), (builtins, "open")):
        monkeypatch.setattr(module, name, guard(getattr(module, name)))
    return lambda *paths: guarded.update(os.path.abspath(path) for path in paths)


# --- discovery -----------------------------------------------------------------------------


def test_discovery_walks_directories_and_names_every_problem(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.HTML").write_text("x")
    (tmp_path / "sub" / "c.html.gz").write_bytes(b"x")
    (tmp_path / "notes.docx").write_bytes(b"x")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    inputs, problems = discover_inputs([tmp_path, tmp_path / "a.txt", tmp_path / "gone.txt"], max_bytes=LIMIT)
    assert [(i.path.relative_to(tmp_path).as_posix(), i.kind) for i in inputs] == [
        ("a.txt", "text_dump"),
        ("sub/b.HTML", "html"),
        ("sub/c.html.gz", "html"),
    ]
    assert _problems(problems) == [("notes.docx", "unsupported_type"), ("gone.txt", "not_found")]


def test_a_name_that_is_not_utf8_is_loaded_with_its_bytes_escaped_in_the_source(tmp_path):
    created = os.open(bytes(tmp_path) + b"/caf\xe9.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(created, b"A story")
    os.close(created)
    [item], problems = discover_inputs([tmp_path], max_bytes=LIMIT)
    assert problems == []
    assert item.source == f"{tmp_path}/caf\\xe9.txt"  # a backslash, x, e, 9
    item.source.encode("utf-8")  # no lone surrogate: any database can store it
    assert read_input(item, LIMIT) == b"A story"  # `path` is still the real name


def test_a_fifo_in_a_folder_or_named_is_not_a_regular_file_and_is_never_opened(tmp_path, never_opened):
    (tmp_path / "inbox").mkdir()
    os.mkfifo(tmp_path / "inbox" / "pipe.txt")
    os.mkfifo(tmp_path / "named-pipe.txt")
    never_opened(tmp_path / "inbox" / "pipe.txt", tmp_path / "named-pipe.txt")
    inputs, problems = discover_inputs([tmp_path / "inbox", tmp_path / "named-pipe.txt"], max_bytes=LIMIT)
    assert inputs == []
    assert _problems(problems) == [("pipe.txt", "not_a_regular_file"), ("named-pipe.txt", "not_a_regular_file")]
    assert "named pipe (FIFO)" in problems[0].error.detail
    assert problems[0].error.stage == "discover"


def test_a_broken_symlink_names_its_target(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    inputs, [problem] = discover_inputs([tmp_path], max_bytes=LIMIT)
    assert inputs == []
    assert (problem.source, problem.error.reason) == (f"{tmp_path}/dangling.txt", "broken_symlink")
    assert f"{tmp_path}/missing.txt" in problem.error.detail


def test_a_symlink_back_up_the_tree_is_walked_once(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "story.txt").write_text("x")
    (tmp_path / "sub" / "up").symlink_to("..")  # a loop: sub/up/sub/up/…
    inputs, problems = discover_inputs([tmp_path], max_bytes=LIMIT)
    assert [i.path for i in inputs] == [tmp_path / "sub" / "deeper" / "story.txt"]
    assert [(p.source, p.error.reason) for p in problems] == [(f"{tmp_path}/sub/up", "symlink_loop")]


def test_a_link_that_leads_to_itself_is_a_symlink_loop(tmp_path):
    (tmp_path / "self.txt").symlink_to("self.txt")
    assert _problems(discover_inputs([tmp_path], max_bytes=LIMIT)[1]) == [("self.txt", "symlink_loop")]


def test_one_file_reached_through_two_links_is_one_input(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.txt").symlink_to("a.txt")
    (tmp_path / "c.txt").symlink_to(tmp_path / "a.txt")
    inputs, problems = discover_inputs([tmp_path, tmp_path / "c.txt"], max_bytes=LIMIT)
    assert ([i.path.name for i in inputs], problems) == (["a.txt"], [])


def test_a_directory_named_like_an_input_is_a_problem_and_its_files_are_still_found(tmp_path):
    (tmp_path / "x.html").mkdir()
    (tmp_path / "x.html" / "story.txt").write_text("x")
    inputs, problems = discover_inputs([tmp_path], max_bytes=LIMIT)
    assert [i.path for i in inputs] == [tmp_path / "x.html" / "story.txt"]
    assert _problems(problems) == [("x.html", "not_a_regular_file")]
    assert "its contents are walked as a folder" in problems[0].error.detail


def test_a_file_over_the_limit_is_a_problem_at_discovery(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"x" * (LIMIT + 1))
    (tmp_path / "just-fits.txt").write_bytes(b"x" * LIMIT)
    inputs, [problem] = discover_inputs([tmp_path], max_bytes=LIMIT)
    assert [i.path.name for i in inputs] == ["just-fits.txt"]
    assert (Path(problem.source).name, problem.error.stage, problem.error.reason) == ("big.txt", "read", "too_large")
    assert problem.error.detail == "file is 1,001 bytes, over the limit of 1,000 bytes (max_input_bytes)"


def test_a_tree_deeper_than_the_recursion_limit_is_walked(tmp_path):
    deepest = tmp_path
    for _ in range(sys.getrecursionlimit() + 100):  # one by one: mkdir(parents=True) recurses
        deepest = deepest / "d"
        deepest.mkdir()
    (deepest / "story.txt").write_text("x")
    try:
        inputs, problems = discover_inputs([tmp_path], max_bytes=LIMIT)
        assert ([i.path for i in inputs], problems) == ([deepest / "story.txt"], [])
    finally:
        (deepest / "story.txt").unlink()
        while deepest != tmp_path:  # bottom up: shutil.rmtree, pytest's clean-up, would recurse too deep
            deepest.rmdir()
            deepest = deepest.parent


# What the child below prints: whether it could list the locked directory, then what it discovered.
_DISCOVER_IN_CHILD = """
import json, os, sys
from extractors.local_files import discover_inputs
folder, locked = sys.argv[1:]
try:
    os.listdir(locked)
except PermissionError:
    inputs, problems = discover_inputs([folder], max_bytes=1000)
    print(json.dumps({"locked": True, "inputs": [i.source for i in inputs],
                      "problems": [[p.source, p.error.stage, p.error.reason, p.error.detail] for p in problems]}))
else:
    print(json.dumps({"locked": False}))
"""


def _without_dac_capabilities() -> list[str]:
    """A command prefix under which a chmod 000 directory cannot be listed, even by root
    (who otherwise reads it through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a directory cannot be made unreadable here")
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={dropped}", f"--inh-caps={dropped}"]


def test_a_directory_that_cannot_be_listed_is_a_problem_and_the_walk_goes_on(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text("x")
    prefix = _without_dac_capabilities()
    locked.chmod(0)
    try:
        child = subprocess.run(
            [*prefix, sys.executable, "-c", _DISCOVER_IN_CHILD, str(tmp_path), str(locked)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        locked.chmod(0o755)
    seen = json.loads(child.stdout)
    assert seen["locked"], "the child could still list the chmod 000 directory"
    assert seen["inputs"] == [f"{tmp_path}/a.txt"]
    [[source, stage, reason, detail]] = seen["problems"]
    assert (source, stage, reason) == (str(locked), "read", "unreadable")
    assert detail == f"cannot list directory {locked}: Permission denied"


# --- reading -------------------------------------------------------------------------------


def test_read_input_refuses_a_fifo_without_opening_it(tmp_path, never_opened):
    os.mkfifo(tmp_path / "pipe.txt")  # a regular file at discovery, swapped for a FIFO since
    never_opened(tmp_path / "pipe.txt")
    with pytest.raises(NotARegularFile, match="named pipe"):
        read_input(InputFile(tmp_path / "pipe.txt", "text_dump"), LIMIT)


def test_read_input_checks_what_it_opened(tmp_path, monkeypatch):
    """A FIFO swapped in between the check and the open (the check is made to see a plain file)."""
    pipe, plain = tmp_path / "pipe.txt", tmp_path / "plain.txt"
    os.mkfifo(pipe)
    plain.write_text("x")
    real_stat = os.stat
    monkeypatch.setattr(
        local_files.os, "stat", lambda path, **kwargs: real_stat(plain if path == pipe else path, **kwargs)
    )
    # Held open here, so that opening it cannot block even if read_input lost its O_NONBLOCK.
    held = os.open(pipe, os.O_RDWR)
    try:
        with pytest.raises(NotARegularFile, match="is now a named pipe"):
            read_input(InputFile(pipe, "text_dump"), LIMIT)
    finally:
        os.close(held)


def test_read_input_refuses_a_file_that_grew_over_the_limit_since_discovery(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"x" * 10)
    [item], _ = discover_inputs([tmp_path], max_bytes=LIMIT)
    (tmp_path / "a.txt").write_bytes(b"x" * (LIMIT + 1))
    with pytest.raises(InputTooLarge, match="over the limit of 1,000 bytes"):
        read_input(item, LIMIT)


def test_read_input_turns_a_system_error_into_unreadable(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    [item], _ = discover_inputs([tmp_path], max_bytes=LIMIT)
    (tmp_path / "a.txt").unlink()
    with pytest.raises(UnreadableInput, match="No such file or directory") as rejected:
        read_input(item, LIMIT)
    assert rejected.value.stage == "read"


# --- parsing -------------------------------------------------------------------------------


def test_gzipped_html_is_extracted_like_plain_html():
    html = (PAGES / "wordpress_article.html").read_bytes()
    plain = parse_input(html, "page.html", "html", max_bytes=2**20)
    zipped = parse_input(gzip.compress(html), "page.html.gz", "html", max_bytes=2**20)
    assert zipped.text == plain.text and zipped.title == plain.title


def test_gzip_bomb_and_broken_gzip_are_rejected():
    with pytest.raises(InputTooLarge, match=r"bomb.html.gz decompresses to more than 1 MB \(a gzip bomb\?\)"):
        parse_input(gzip.compress(b"<p>" + b"a" * 5 * 2**20), "bomb.html.gz", "html", max_bytes=2**20)
    with pytest.raises(BinaryInput, match="not valid gzip"):
        parse_input(b"this is not gzip", "fake.html.gz", "html", max_bytes=2**20)
    with pytest.raises(BinaryInput, match="cut.html.gz is a truncated gzip file") as rejected:
        parse_input(gzip.compress(b"<p>cut short</p>" * 100)[:-20], "inbox/cut.html.gz", "html", max_bytes=2**20)
    assert (rejected.value.stage, rejected.value.reason) == ("parse", "binary")


# --- URL lists -----------------------------------------------------------------------------


def test_a_txt_file_of_urls_is_a_url_list_not_a_page():
    listing = url_list_entries(b"# sources\nhttps://example.com/a\n\nhttp://127.0.0.1:8080/b  # local\n")
    assert listing is not None
    assert (listing.urls, listing.bad_lines) == (["https://example.com/a", "http://127.0.0.1:8080/b"], [])
    assert url_list_entries(b"Headline\n\nhttps://example.com/a is where it started.\n") is None
    assert url_list_entries(b"") is None


def test_a_typo_in_a_url_list_is_one_problem_named_by_its_line():
    listing = url_list_entries(b"https://example.com/a\nhtp:/example.com/x\nhttps://example.com/b\n")
    assert listing is not None
    assert (listing.urls, listing.bad_lines) == (
        ["https://example.com/a", "https://example.com/b"],
        [(2, "htp:/example.com/x")],
    )
    [problem] = url_list_problems(listing, "/inbox/reading-list.txt")
    assert problem.source == "/inbox/reading-list.txt:2"
    assert (problem.error.stage, problem.error.reason) == ("discover", "not_a_url")
    assert problem.error.detail == "line 2 is not an http(s) URL: 'htp:/example.com/x'"


def test_a_page_dump_with_a_url_line_is_not_a_url_list():
    article = (
        b"Harbour Barrier Vote Delayed\n\n"
        b"By Jane Smith\n\n"
        b"The council delayed its vote on the barrier again.\n"
        b"https://council.example/minutes/2025-03\n\n"
        b"Engineers said the tide gates need another winter of tests.\n"
    )
    assert url_list_entries(article) is None


def test_a_legacy_encoded_txt_is_a_page_not_a_url_list():
    assert url_list_entries("https://example.com/café\n".encode("cp1252")) is None
