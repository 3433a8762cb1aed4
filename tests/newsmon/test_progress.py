"""Progress of a long run: the flows report it (flows/progress.py), the command draws a bar with
rate and ETA (newsmon/progress_bar.py), on a terminal only."""

from __future__ import annotations

import io
import os
import select
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows import progress
from newsmon.cli import Exit, app
from newsmon.progress_bar import MIN_ITEMS_FOR_BAR, progress_bar
from tests.support.dumps import write_dumps


class Recorder:
    """A listener that keeps what it was told."""

    def __init__(self) -> None:
        self.heard: list[tuple] = []

    def started(self, what: str, total: int) -> None:
        self.heard.append(("started", what, total))

    def advanced(self, done: int) -> None:
        self.heard.append(("advanced", done))

    def finished(self) -> None:
        self.heard.append(("finished",))


@pytest.mark.usefixtures("prefect_engine")
def test_an_ingest_reports_its_files_batch_by_batch_and_draws_no_bar_into_a_pipe(db_path, tmp_path, monkeypatch):
    write_dumps(tmp_path / "inputs", 60)
    monkeypatch.setenv("NEWSMON_BATCH_SIZE", "25")
    with progress.listening(Recorder()) as recorder:
        result = CliRunner().invoke(app, ["ingest", str(tmp_path / "inputs"), "--db", str(db_path)])
    assert result.exit_code == Exit.OK, result.output
    batches = [("advanced", 25), ("advanced", 25), ("advanced", 10)]
    assert recorder.heard == [("started", "files", 60), *batches, ("finished",)]
    assert "ETA" not in result.output and "files/s" not in result.output
    progress.started("files", 100)  # outside `listening`: nobody hears it
    assert len(recorder.heard) == 5


def _report_a_long_loop() -> None:
    progress.started("files", MIN_ITEMS_FOR_BAR * 2)
    progress.advanced(MIN_ITEMS_FOR_BAR)
    time.sleep(0.5)  # the bar redraws 10 times a second: let it draw the half-done loop
    progress.finished()


def test_a_console_that_is_not_a_terminal_gets_no_bar_even_when_rich_is_told_it_is_one():
    out = io.StringIO()
    with progress_bar(Console(file=out, force_terminal=True, width=100)):  # FORCE_COLOR in CI does this
        _report_a_long_loop()
    assert out.getvalue() == ""


def _read_all(fd: int) -> str:
    data = b""
    while select.select([fd], [], [], 0.5)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def test_a_terminal_gets_a_bar_with_rate_and_eta_for_a_long_loop_and_none_for_a_short_one():
    controller, terminal = os.openpty()
    with os.fdopen(terminal, "w", encoding="utf-8") as tty:
        console = Console(file=tty, width=120)
        with progress_bar(console):
            progress.started("files", MIN_ITEMS_FOR_BAR)  # short: not worth a bar
            progress.advanced(MIN_ITEMS_FOR_BAR)
            progress.finished()
        tty.flush()
        assert _read_all(controller) == ""
        with progress_bar(console):
            _report_a_long_loop()
        tty.flush()
        drawn = _read_all(controller)
    os.close(controller)
    assert "files" in drawn and f"{MIN_ITEMS_FOR_BAR}/{MIN_ITEMS_FOR_BAR * 2}" in drawn
    assert "ETA" in drawn and "files/s" in drawn
