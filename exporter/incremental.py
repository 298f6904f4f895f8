"""One store-backed evaluation cycle: read what is new, append it, sum windows from the store.

At T, for the distinct streams (selectors) of every SLO the store can count
(:func:`~exporter.store.streams.stored_sli`):

1. plan what each stream lacks (:func:`~exporter.store.plan.plan_fill`): in
   a steady cycle that is the one point T;
2. read the steady streams with one :meth:`Source.snapshot` (one instant
   query per selector for PromQL) and turn the values into reset-aware
   increments of (known_until, T]; fill everything else, cold starts, gaps
   after a restart or an outage and history a longer period now needs,
   from the range side of the source, exactly, per interval;
3. sum every window, the period included, from the store and evaluate.

SLOs the store cannot count go through :func:`exporter.evaluator.evaluate_all`
at the same T, concurrently. A stream whose reads fail fails its SLOs for
this cycle only: ``known_until`` stays, and the next good cycle fills the
gap point by point, so no bucket swallows an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import structlog

from exporter.domain.budget import WindowEvents, events_from_bad
from exporter.domain.evaluate import evaluate_slo
from exporter.domain.model import SLO
from exporter.errors import BackendError, QueryError
from exporter.evaluator import EvaluationRun, Query, evaluate_all
from exporter.sources.base import Source
from exporter.store.deltas import counter_deltas
from exporter.store.fill import Progress, RangeSource, fill
from exporter.store.history import Bucket, HistoryStore, Retention, label_key
from exporter.store.plan import FillPlan, Needs, Raw, StreamState, plan_fill
from exporter.store.schema import StoreError
from exporter.store.streams import StoredSLI, Stream, needs, stored_sli
from exporter.store.tiers import COARSE_WIDTHS, floor_to

log = structlog.get_logger("slo_exporter")

PROGRESS_LOG_SECONDS = 10.0
"""How often a long fill logs its progress."""
FILL_STREAMS = 4
"""Streams backfilled at once (fewer when ``evaluation.concurrency`` is lower)."""
CATCH_UP_POINTS = 10
"""Missed evaluation times read by snapshots (beyond that, by range queries)."""
APPEND_BATCH = 100
"""Streams appended per store transaction in a steady cycle (about 30 ms of work)."""
MAINTAIN_BATCH = 50
"""Selectors compacted and pruned per store transaction."""
PAUSE_AFTER = 0.01
"""Seconds of store work between two yields to the event loop."""

_T = TypeVar("_T")


class _Pauser:
    """Yields to the event loop once :data:`PAUSE_AFTER` seconds of work went by, so
    scrapes and probes wait at most about that long behind a cycle's thousands of SLOs
    (appending, maintaining, summing and evaluating all pause through it)."""

    def __init__(self) -> None:
        self._since = time.perf_counter()

    async def maybe(self) -> None:
        if time.perf_counter() - self._since >= PAUSE_AFTER:
            await asyncio.sleep(0)
            self._since = time.perf_counter()


def _catch_up(plan: FillPlan) -> tuple[int, ...] | None:
    """The evaluation times a plan reads from the stored last values, when there are at
    most :data:`CATCH_UP_POINTS` of them and nothing else to read."""
    if plan.prepend or len(plan.steps) != 1:
        return None
    step = plan.steps[0]
    if isinstance(step, Raw) and step.baseline is None and len(step.points) <= CATCH_UP_POINTS:
        return tuple(step.points.points)
    return None


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreFailure(BackendError):
    """The history store could not be written; the SLOs of that stream fail this cycle."""

    reason = "store"


@dataclass
class IncrementalRun:
    """A cycle's results, and what the store side did."""

    run: EvaluationRun
    stored_slos: int
    direct_slos: int
    complete: bool
    """Every stored stream is filled up to T (no backfill pending, no read failed)."""
    filled_seconds: float
    resets: int


@dataclass
class _Streams:
    """The stored SLOs of a cycle and the streams they read."""

    stored: dict[str, tuple[SLO, StoredSLI]]
    direct: list[SLO]
    streams: dict[str, Stream]
    users: dict[str, list[SLO]]


def _sort(slos: Sequence[SLO], gauges: bool) -> _Streams:
    sorted_ = _Streams({}, [], {}, {})
    for slo in slos:
        stored = stored_sli(slo, gauges=gauges)
        if stored is None:
            sorted_.direct.append(slo)
            continue
        sorted_.stored[slo.name] = (slo, stored)
        for stream in (stored.numerator, stored.total):
            sorted_.streams[stream.key] = stream
            sorted_.users.setdefault(stream.key, []).append(slo)
    return sorted_


class IncrementalEvaluator:
    """Evaluates SLOs from the history store, keeping it filled from a source."""

    def __init__(self, store: HistoryStore, progress: Progress | None = None) -> None:
        self.store = store
        self.progress = progress if progress is not None else Progress()
        self._maintained_slot: int | None = None
        self._to_maintain: list[tuple[int, str, int]] = []
        self._maintain_share = MAINTAIN_BATCH
        self._sorted: tuple[tuple[SLO, ...], bool, _Streams] | None = None

    async def evaluate(
        self,
        slos: Sequence[SLO],
        at: float,
        *,
        source: Source,
        history: RangeSource | None,
        interval: int,
        query: Query,
        concurrency: int,
    ) -> IncrementalRun:
        """Evaluate every SLO at ``at`` (whole seconds); see the module docstring.

        ``history`` is the range side of ``source`` (None when it has none:
        then gaps become one bucket and nothing is backfilled); ``query``
        sends the direct window queries of the SLOs the store cannot count.
        """
        if at != int(at):
            raise ValueError(f"the store evaluates at whole seconds, not {at}")
        t = int(at)
        started = time.perf_counter()
        filled, resets = self.progress.filled, self.progress.resets
        sorted_ = self._sort(tuple(slos), gauges=history is not None)
        wants: dict[str, Needs] = {}
        pause = _Pauser()
        for key, users in sorted_.users.items():
            wants[key] = needs(users, t, interval)
            await pause.maybe()
        direct: asyncio.Future[EvaluationRun] | None = None
        if sorted_.direct:
            direct = asyncio.ensure_future(evaluate_all(sorted_.direct, query, at, concurrency))
        try:
            failed = await self._update(
                sorted_.streams, wants, t, source, history, interval, concurrency
            )
        except BaseException:
            if direct is not None:
                direct.cancel()
                with contextlib.suppress(BaseException):
                    await direct
            raise
        run = await direct if direct is not None else EvaluationRun(at=at)
        await self._maintain(wants, t, interval)
        for slo, stored in sorted_.stored.values():
            error = failed.get(stored.numerator.key) or failed.get(stored.total.key)
            if error is not None:
                run.failures[slo.name] = error
                continue
            try:
                run.results[slo.name] = evaluate_slo(slo, self._events(slo, stored, t), at)
            except BackendError as err:
                run.failures[slo.name] = err
            await pause.maybe()
        run.duration = time.perf_counter() - started
        return IncrementalRun(
            run=run,
            stored_slos=len(sorted_.stored),
            direct_slos=len(sorted_.direct),
            complete=not failed,
            filled_seconds=self.progress.filled - filled,
            resets=self.progress.resets - resets,
        )

    def _sort(self, slos: tuple[SLO, ...], gauges: bool) -> _Streams:
        """:func:`_sort`, kept while the SLOs stay the same (parsing every selector again
        each cycle was a tenth of a 10,000-SLO cycle)."""
        cached = self._sorted
        if cached is not None and cached[1] == gauges and cached[0] == slos:
            return cached[2]
        sorted_ = _sort(slos, gauges)
        self._sorted = (slos, gauges, sorted_)
        return sorted_

    async def _update(
        self,
        streams: Mapping[str, Stream],
        wants: Mapping[str, Needs],
        at: int,
        source: Source,
        history: RangeSource | None,
        interval: int,
        concurrency: int,
    ) -> dict[str, BackendError]:
        """Bring every stream up to ``at``; the streams that failed, with their error."""
        plans: dict[str, FillPlan] = {}
        pause = _Pauser()
        for key, stream in streams.items():
            plans[key] = plan_fill(self.store.state(key), at, wants[key], interval, raw=stream.raw)
            await pause.maybe()
        failed: dict[str, BackendError] = {}
        tasks: list[asyncio.Future[None]] = []
        if history is None:
            steady = [k for k, p in plans.items() if p.steps]
            if steady:
                tasks.append(asyncio.ensure_future(self._read(streams, steady, at, source, failed)))
            quiet: list[str] = []
            filling: list[str] = []
        else:
            # A few missed points (a slow cycle, a short outage) are read like a steady
            # cycle, one batched snapshot per point, not one range query per selector.
            points: dict[tuple[int, ...], list[str]] = {}
            for key, plan in plans.items():
                grid = _catch_up(plan) if streams[key].raw else None
                if grid is not None:
                    points.setdefault(grid, []).append(key)
            caught = {key for keys in points.values() for key in keys}
            tasks.extend(
                asyncio.ensure_future(self._read_points(streams, keys, grid, source, failed))
                for grid, keys in points.items()
            )
            quiet = [k for k, p in plans.items() if p.steady and not streams[k].raw]
            filling = [
                k
                for k, p in plans.items()
                if k not in caught and not p.steady and (p.steps or p.prepend)
            ]
        if history is not None:
            # a gauge's steady cycle is one windowed count; it is no backfill
            tasks.extend(
                asyncio.ensure_future(
                    self._fill_one(streams[k], plans[k], history, Progress(), failed)
                )
                for k in quiet
            )
            if filling:
                tasks.append(
                    asyncio.ensure_future(
                        self._fill_all(streams, plans, filling, history, failed, concurrency)
                    )
                )
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return failed

    async def _read_points(
        self,
        streams: Mapping[str, Stream],
        keys: list[str],
        points: tuple[int, ...],
        source: Source,
        failed: dict[str, BackendError],
    ) -> None:
        """Catch up point by point: a snapshot at each missed evaluation time, in order."""
        previous = points[0] - (points[1] - points[0]) if len(points) > 1 else None
        for t in points:
            live = [key for key in keys if key not in failed]
            if not live:
                return
            await self._read(streams, live, t, source, failed)
        if previous is not None:  # a gap, counted like one a range query fills
            done = sum(1 for key in keys if key not in failed)
            self.progress.filled += (points[-1] - previous) * done

    async def _read(
        self,
        streams: Mapping[str, Stream],
        keys: list[str],
        at: int,
        source: Source,
        failed: dict[str, BackendError],
    ) -> None:
        """The steady path: one snapshot, one bucket (known_until, T] per stream."""
        selectors = [streams[key].selector for key in keys]
        try:
            snapshot = await source.snapshot(selectors, at)
        except BackendError as err:
            failed.update(dict.fromkeys(keys, err))
            return
        seen_at = round(snapshot.at)
        pause = _Pauser()
        for chunk in _chunks(keys, APPEND_BATCH):
            try:
                with self.store.batch():
                    for key in chunk:
                        stream = streams[key]
                        reads = {
                            label_key(series): {seen_at: value}
                            for series, value in snapshot.values.get(stream.selector, {}).items()
                        }
                        try:
                            self._append(key, reads, seen_at)
                        except StoreError as err:
                            failed[key] = StoreFailure(str(err), query=stream.selector, at=at)
            except StoreError as err:  # the commit: nothing of the chunk was kept
                for key in chunk:
                    failed[key] = StoreFailure(str(err), query=streams[key].selector, at=at)
            await pause.maybe()

    def _append(self, key: str, reads: dict[str, dict[int, float]], seen_at: int) -> None:
        state = self.store.state(key)
        if state is None:
            values = {k: (read[seen_at], seen_at) for k, read in reads.items()}
            new = StreamState(seen_at, seen_at, seen_at)
            self.store.record(key, [], expect=None, state=new, values=values, replace_values=True)
            return
        if seen_at <= state.known_until:
            return
        deltas = counter_deltas(self.store.last_values(key), [seen_at], reads)
        bucket = Bucket(state.known_until, seen_at, deltas.increments[0])
        new = StreamState(state.known_from, seen_at, seen_at)
        self.store.record(key, [bucket], expect=state, state=new, values=deltas.last)
        self.progress.resets += deltas.resets

    async def _fill_all(
        self,
        streams: Mapping[str, Stream],
        plans: Mapping[str, FillPlan],
        keys: list[str],
        history: RangeSource,
        failed: dict[str, BackendError],
        concurrency: int,
    ) -> None:
        """Backfill and gap filling, a few streams at a time, progress logged.

        :data:`FILL_STREAMS` streams at a time: a fill is bound by this process'
        parsing and writing, not by the backend, and every stream with an answer in
        hand takes its turn on the event loop before a probe's next step does, so
        thousands at once (or even 32) kept probes waiting for seconds.
        """
        seconds = sum(plans[key].seconds for key in keys)
        cold = sum(1 for key in keys if self.store.state(key) is None)
        self.progress.remaining = float(seconds)
        log.info("history_fill_started", selectors=len(keys), new=cold, seconds=seconds)
        started = time.perf_counter()
        reporter = asyncio.ensure_future(self._report(seconds))
        turns = asyncio.Semaphore(min(FILL_STREAMS, concurrency))

        async def one(key: str) -> None:
            async with turns:
                await self._fill_one(streams[key], plans[key], history, self.progress, failed)

        try:
            await asyncio.gather(*(one(key) for key in keys))
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
            self.progress.remaining = 0.0
        log.info(
            "history_fill_done",
            selectors=len(keys),
            failed=sum(1 for key in keys if key in failed),
            duration_seconds=round(time.perf_counter() - started, 3),
        )

    async def _fill_one(
        self,
        stream: Stream,
        plan: FillPlan,
        history: RangeSource,
        progress: Progress,
        failed: dict[str, BackendError],
    ) -> None:
        try:
            await fill(self.store, history, stream, plan, progress)
        except BackendError as err:
            failed[stream.key] = err
        except StoreError as err:
            failed[stream.key] = StoreFailure(str(err), query=stream.selector)

    async def _report(self, total: int) -> None:
        while True:
            await asyncio.sleep(PROGRESS_LOG_SECONDS)
            left = self.progress.remaining
            log.info(
                "history_fill_progress",
                remaining_seconds=round(left),
                done_ratio=round(1 - left / total, 3) if total else 1.0,
            )

    async def _maintain(self, wants: Mapping[str, Needs], at: int, interval: int) -> None:
        """Compact and prune every selector once per 5 minutes (the coarse tier moves by at
        least that much), spread over the cycles of those 5 minutes so no one cycle pays
        for all; a slice of selectors per transaction, yielding to the event loop between."""
        slot = floor_to(at, COARSE_WIDTHS[0])
        if not self._to_maintain:
            if slot == self._maintained_slot:
                return
            self._to_maintain = self.store.maintenance_rows()
            self._maintained_slot = slot
            cycles = max(COARSE_WIDTHS[0] // interval, 1)
            self._maintain_share = max(-(-len(self._to_maintain) // cycles), MAINTAIN_BATCH)
        share = self._maintain_share
        now, self._to_maintain = self._to_maintain[:share], self._to_maintain[share:]
        policies = {key: Retention(n.fine_span, n.retention, n.coarse) for key, n in wants.items()}
        pause = _Pauser()
        try:
            for chunk in _chunks(now, MAINTAIN_BATCH):
                self.store.maintain(policies, at, chunk)
                await pause.maybe()
        except StoreError as err:
            log.error("store_maintenance_failed", error=str(err))
            self._to_maintain, self._maintained_slot = [], None  # again from the start

    def _events(self, slo: SLO, stored: StoredSLI, at: int) -> dict[int, WindowEvents]:
        windows = slo.windows_at(at)
        numerator = self.store.window_sums(stored.numerator.key, at, windows)
        total = self.store.window_sums(stored.total.key, at, windows)
        if stored.bucket_check:
            self._check_bucket(stored, total[max(windows)], at)
        if stored.counts_bad:
            return {w: events_from_bad(numerator[w], total[w]) for w in windows}
        return {w: WindowEvents(good=numerator[w], total=total[w]) for w in windows}

    def _check_bucket(self, stored: StoredSLI, total: float, at: int) -> None:
        """A latency threshold that is no bucket bound would count every request as slow."""
        selector = stored.numerator.selector
        if total > 0 and self.store.series_count(selector) == 0:
            raise QueryError(
                f"no bucket matches {selector}: the threshold must be one of the "
                "histogram's bucket bounds (see the service's /metrics)",
                query=selector,
                at=at,
            )
