"""Progress of a run's long loops, for whoever wants to draw it.

The flows report (`started`, `advanced`, `finished`); they never draw, since a run on a worker or
under `newsmon serve` has no terminal. The command line adds a listener for its own run
(newsmon/progress_bar.py: a bar on a terminal). With no listener a report costs nothing.
A module-level registry, not a context variable: Prefect may run a flow's body in another
thread than its caller's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressListener(Protocol):
    def started(self, what: str, total: int) -> None:
        """A loop over `total` items (`what`: "files", "URLs") begins."""

    def advanced(self, done: int) -> None:
        """`done` more items of the current loop are finished."""

    def finished(self) -> None:
        """The current loop is over."""


_listeners: list[ProgressListener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: ProgressListener) -> Iterator[ProgressListener]:
    """Send the progress reports of runs in this process to `listener` while inside."""
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            _listeners.remove(listener)


def started(what: str, total: int) -> None:
    for listener in list(_listeners):
        listener.started(what, total)


def advanced(done: int) -> None:
    for listener in list(_listeners):
        listener.advanced(done)


def finished() -> None:
    for listener in list(_listeners):
        listener.finished()
