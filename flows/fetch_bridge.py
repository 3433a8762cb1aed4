"""The thread bridge that lets synchronous Prefect tasks share one async Fetcher per run."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

from extractors.fetch import Fetcher, FetchSettings
from extractors.records import FetchRequest, FetchResult

__all__ = ["BackgroundFetcher"]

T = TypeVar("T")


class BackgroundFetcher:
    """One Fetcher for a whole run, on its own event-loop thread, for synchronous callers.

    Prefect tasks are synchronous here; giving each batch its own Fetcher would fetch every
    robots.txt again and forget each host's last request. This keeps one Fetcher (robots.txt
    once per host per run, politeness across batches) and lets the caller submit several
    batches at once, so fetching the next batch overlaps extracting and loading this one.
    Use as `with BackgroundFetcher(settings) as fetcher: fetcher.fetch_many(requests)`.
    """

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="newsmon-fetcher", daemon=True)
        self._fetcher = Fetcher(settings)

    def __enter__(self) -> BackgroundFetcher:
        self._thread.start()
        self._run(self._fetcher.__aenter__())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._run(self._fetcher.__aexit__(None, None, None))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    def fetch_many(self, requests: Iterable[FetchRequest | str], *, deadline: float | None = None) -> list[FetchResult]:
        """Blocks until this batch is fetched (or `deadline`, a time.monotonic() instant, has
        come: the rest is cancelled); other threads' batches proceed meanwhile."""
        return self.submit_many(requests, deadline=deadline).result()

    def submit_many(
        self, requests: Iterable[FetchRequest | str], *, deadline: float | None = None
    ) -> Future[list[FetchResult]]:
        """`fetch_many` without waiting: the batch is fetched while the caller goes on."""
        return asyncio.run_coroutine_threadsafe(self._fetcher.fetch_many(list(requests), deadline=deadline), self._loop)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
