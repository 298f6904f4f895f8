"""The store's range fills, run behind the cycles instead of inside one.

A cold start, a new SLO after a reload or a long outage needs hours to weeks of
history per selector: filled inside a cycle, that cycle took minutes (and ``/readyz``
waited for it). The store counter starts such fills here, as background tasks, and
hands the SLOs of those streams to the next counter (the direct queries) until the
fill is done; the first cycle after that counts them from the store.

A fill started in a cycle waits until that cycle's direct count of the handed-over SLOs
is done (:meth:`FillsBehind.hold` / :meth:`~FillsBehind.release`): both read months of
samples from the same backend, and the direct count is what ``/readyz`` waits for, while
the fill takes minutes whenever it starts.

One registry per history store (it outlives config generations), so a reload never
starts a second fill of a stream already filling. A fill that fails leaves the
stream's ``known_until`` where its last write put it; the next cycle plans the rest
and starts it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any

import structlog

log = structlog.get_logger("slo_exporter")


class FillsBehind:
    """The running background fills, by the streams (keys) they fill."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[None]] = {}
        self._clear = asyncio.Event()
        self._clear.set()

    def hold(self) -> None:
        """Fills started from now on wait for :meth:`release` (running ones go on)."""
        self._clear.clear()

    def release(self) -> None:
        """Let held fills start."""
        self._clear.set()

    def busy(self, key: str) -> bool:
        """True while a background fill writes the stream ``key``."""
        return key in self._running

    @property
    def filling(self) -> int:
        """Streams being filled now."""
        return len(self._running)

    def start(self, keys: Iterable[str], job: Coroutine[Any, Any, None]) -> None:
        """Run ``job``, the fill of ``keys``, in the background."""
        keys = tuple(keys)
        task = asyncio.ensure_future(self._when_clear(job))
        for key in keys:
            self._running[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            for key in keys:
                if self._running.get(key) is finished:
                    del self._running[key]
            if not finished.cancelled() and (error := finished.exception()) is not None:
                # a bug: the streams are planned again next cycle
                log.error("history_fill_crashed", error=f"{type(error).__name__}: {error}")

        task.add_done_callback(done)

    async def _when_clear(self, job: Coroutine[Any, Any, None]) -> None:
        try:
            await self._clear.wait()
        except BaseException:
            job.close()  # never started
            raise
        await job

    async def wait(self) -> None:
        """Until every fill running now has finished (tests, ``eval`` with a store)."""
        running = set(self._running.values())
        await asyncio.gather(*running, return_exceptions=True)

    async def close(self) -> None:
        """Stop every fill; what they wrote stays (each write is its own transaction)."""
        running = set(self._running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
