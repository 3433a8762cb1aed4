"""The progress bar of a long run in the terminal: items done, rate and ETA.

A listener of flows/progress.py. It draws only when standard output is a terminal, and only for
loops of more than MIN_ITEMS_FOR_BAR items (a short run is over before a bar would say
anything). Into a file or a pipe the output stays the log lines and the summary, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from flows import progress

MIN_ITEMS_FOR_BAR = 50


def _average_rate(task: Task) -> float | None:
    """Items per second since the loop started. Reports come a batch at a time, so rich's own
    speed (from the last few reports) would stay blank until the second batch and then jump."""
    return task.completed / task.elapsed if task.completed and task.elapsed else None


class _Rate(ProgressColumn):
    """Items per second, in the loop's own unit ("12.5 files/s")."""

    def render(self, task: Task) -> Text:
        rate = _average_rate(task)
        return Text(f"{rate:.1f} {task.description}/s" if rate else "", style="progress.data.speed")


class _Eta(ProgressColumn):
    """Time left at the average rate so far."""

    def render(self, task: Task) -> Text:
        rate = _average_rate(task)
        if not rate or task.total is None:
            return Text("ETA -:--:--", style="progress.remaining")
        seconds = int((task.total - task.completed) / rate)
        return Text(f"ETA {seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}", style="progress.remaining")


class ProgressBar:
    """Draws each reported loop of more than MIN_ITEMS_FOR_BAR items as a bar on `console`."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            _Eta(),
            console=console,
            transient=True,  # the summary that follows holds the times
        )
        self.task: TaskID | None = None
        self._log_consoles: list[tuple[logging.Handler, Console]] = []

    def started(self, what: str, total: int) -> None:
        self.finished()
        if total > MIN_ITEMS_FOR_BAR:
            if not self.bar.live.is_started:
                self.bar.start()
                self._logs_above_the_bar()
            self.task = self.bar.add_task(what, total=total)

    def advanced(self, done: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, done)

    def finished(self) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None

    def stop(self) -> None:
        self.finished()
        if self.bar.live.is_started:
            self.bar.stop()
        for handler, console in self._log_consoles:
            handler.console = console
        self._log_consoles.clear()

    def _logs_above_the_bar(self) -> None:
        """Prefect's console log handler prints with a rich Console of its own, on stderr: its
        lines would land on the bar's line. While the bar is shown, a handler that prints to the
        same terminal prints with the bar's console instead, which puts each line above the bar."""
        handlers = {h for lg in (logging.root, *logging.root.manager.loggerDict.values()) for h in _handlers(lg)}
        for handler in handlers:
            console = getattr(handler, "console", None)
            if isinstance(console, Console) and console.file.isatty():
                self._log_consoles.append((handler, console))
                handler.console = self.bar.console


def _handlers(logger: object) -> list[logging.Handler]:
    return list(getattr(logger, "handlers", []))  # loggerDict also holds PlaceHolders, without handlers


@contextmanager
def progress_bar(console: Console) -> Iterator[None]:
    """Show the progress of the runs inside as a bar on `console`, if it writes to a terminal."""
    if not console.file.isatty():
        yield
        return
    bar = ProgressBar(console)
    try:
        with progress.listening(bar):
            yield
    finally:
        bar.stop()
