"""The store's backfill and gap filling: range queries, a few streams at a time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping

import structlog

from exporter.errors import BackendError
from exporter.pipeline.store_reads import StoreFailure
from exporter.samples import RangeSource
from exporter.store.file_format import StoreError
from exporter.store.fill import Progress, fill
from exporter.store.history import HistoryStore
from exporter.store.plan import FillPlan
from exporter.store.streams import Stream

log = structlog.get_logger("slo_exporter")

PROGRESS_LOG_SECONDS = 10.0
"""How often a long fill logs its progress."""
FILL_STREAMS = 4
"""Streams backfilled at once (fewer when ``evaluation.concurrency`` is lower)."""


class RangeFills:
    """Fills streams from the range side of a source, recording failures per stream."""

    def __init__(
        self,
        store: HistoryStore,
        history: RangeSource,
        progress: Progress,
        failed: dict[str, BackendError],
    ) -> None:
        self._store = store
        self._history = history
        self._progress = progress
        self.failed = failed

    async def all(
        self,
        streams: Mapping[str, Stream],
        plans: Mapping[str, FillPlan],
        keys: list[str],
        concurrency: int,
    ) -> None:
        """Backfill and gap filling of ``keys``, progress logged.

        :data:`FILL_STREAMS` streams at a time: a fill is bound by this process'
        parsing and writing, not by the backend, and every stream with an answer in
        hand takes its turn on the event loop before a probe's next step does, so
        thousands at once kept probes waiting for seconds.
        """
        seconds = sum(plans[key].seconds for key in keys)
        cold = sum(1 for key in keys if self._store.state(key) is None)
        self._progress.remaining = float(seconds)
        log.info("history_fill_started", selectors=len(keys), new=cold, seconds=seconds)
        started = time.perf_counter()
        reporter = asyncio.ensure_future(self._report(seconds))
        turns = asyncio.Semaphore(min(FILL_STREAMS, concurrency))

        async def one(key: str) -> None:
            async with turns:
                await self.one(streams[key], plans[key], self._progress)

        try:
            await asyncio.gather(*(one(key) for key in keys))
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
            self._progress.remaining = 0.0
        log.info(
            "history_fill_done",
            selectors=len(keys),
            failed=sum(1 for key in keys if key in self.failed),
            duration_seconds=round(time.perf_counter() - started, 3),
        )

    async def one(self, stream: Stream, plan: FillPlan, progress: Progress) -> None:
        """Carry out one stream's plan; a failure fails that stream for this cycle."""
        try:
            await fill(self._store, self._history, stream, plan, progress)
        except BackendError as err:
            self.failed[stream.key] = err
        except StoreError as err:
            self.failed[stream.key] = StoreFailure(str(err), query=stream.selector)

    async def _report(self, total: int) -> None:
        while True:
            await asyncio.sleep(PROGRESS_LOG_SECONDS)
            left = self._progress.remaining
            log.info(
                "history_fill_progress",
                remaining_seconds=round(left),
                done_ratio=round(1 - left / total, 3) if total else 1.0,
            )
