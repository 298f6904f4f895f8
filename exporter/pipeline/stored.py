"""Counting events from the history store, keeping it filled from a source.

At T, for the distinct streams (selectors) of the SLOs it counts:

1. plan what each stream lacks (:func:`~exporter.store.plan.plan_fill`): in a
   steady cycle that is the one point T;
2. read the steady streams with one snapshot (:mod:`~exporter.pipeline.store_reads`)
   and fill everything else, cold starts, gaps after a restart or an outage and
   history a longer period now needs, from the range side of the source, exactly
   (:mod:`~exporter.pipeline.store_fills`);
3. sum every window, the period included, from the store.

A stream whose reads fail fails its SLOs for this cycle only: ``known_until``
stays, and the next good cycle fills the gap, so no bucket swallows an outage.

A counter made with ``behind=True`` (``run`` with a PromQL backend) does not wait
for range fills: it starts them in the background (:mod:`~exporter.pipeline.fills_behind`)
and returns the SLOs of streams not covered yet in :attr:`Counted.later`, for the
pipeline to count another way this cycle; each SLO comes back to the store the first
cycle its streams are covered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exporter.domain.adjustments import Span
from exporter.domain.budget import WindowEvents
from exporter.errors import BackendError
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import Counted, WindowCounts, check_threshold_bucket, window_events
from exporter.pipeline.fills_behind import FillsBehind
from exporter.pipeline.pause import Pauser
from exporter.pipeline.store_fills import RangeFills
from exporter.pipeline.store_reads import SnapshotReads, catch_up_points
from exporter.pipeline.store_upkeep import Upkeep
from exporter.samples import QueryTally, RangeSource, Source
from exporter.store.fill import Progress
from exporter.store.history import HistoryStore
from exporter.store.plan import FillPlan, Needs, plan_fill
from exporter.store.streams import StoredSLI, Stream, needs, refusal


class HistoryKeeper:
    """What outlives a config generation: the store, fill progress and maintenance."""

    def __init__(self, store: HistoryStore, progress: Progress | None = None) -> None:
        self.store = store
        self.progress = progress if progress is not None else Progress()
        self.upkeep = Upkeep(store)
        self.behind = FillsBehind()


@dataclass
class _Streams:
    """The SLOs a store counter counts and the streams they read."""

    slos: list[tuple[CompiledSLO, StoredSLI]] = field(default_factory=list)
    streams: dict[str, Stream] = field(default_factory=dict)
    users: dict[str, list[CompiledSLO]] = field(default_factory=dict)
    rolling: dict[str, Needs] = field(default_factory=dict)
    """Needs of the streams whose SLOs all have rolling periods: the same at every T, so
    worked out once (at 10,000 SLOs they were 6 % of a cycle)."""


def _streams_of(slos: Sequence[CompiledSLO]) -> _Streams:
    out = _Streams()
    for slo in slos:
        stored = slo.stored
        assert stored is not None, "the router gives a store counter only SLOs it can count"
        out.slos.append((slo, stored))
        for stream in (stored.numerator, stored.total):
            out.streams[stream.key] = stream
            out.users.setdefault(stream.key, []).append(slo)
    return out


async def _needs(sorted_: _Streams, t: int, interval: int) -> dict[str, Needs]:
    """What each stream needs at ``t`` (the rolling ones' worked out once, see
    :attr:`_Streams.rolling`)."""
    pause = Pauser()
    wants: dict[str, Needs] = {}
    for key, users in sorted_.users.items():
        known = sorted_.rolling.get(key)
        if known is None:
            known = needs((u.slo for u in users), t, interval)
            if all(u.slo.calendar is None for u in users):
                sorted_.rolling[key] = known
            await pause.maybe()
        wants[key] = known
    return wants


def _span_events(store: HistoryStore, stored: StoredSLI, span: Span) -> WindowEvents:
    start, end = round(span[0]), round(span[1])
    length = max(end - start, 1)
    numerator = store.window_sums(stored.numerator.key, end, [length])[length]
    total = store.window_sums(stored.total.key, end, [length])[length]
    return window_events(numerator, total, counts_bad=stored.counts_bad)


class StoreCounter:
    """Counts the SLOs whose events the store can keep, from ``source`` (and, for
    backfill and gaps, its range side ``history``; None: a gap becomes one bucket)."""

    path = "store"

    def __init__(
        self,
        keeper: HistoryKeeper,
        source: Source,
        history: RangeSource | None,
        tally: QueryTally,
        *,
        interval: int,
        concurrency: int,
        behind: bool = False,
    ) -> None:
        self.keeper, self._behind = keeper, behind
        self._source, self._history, self._tally = source, history, tally
        self._interval, self._concurrency = interval, concurrency
        self._sorted: tuple[Sequence[CompiledSLO], _Streams] | None = None
        self._reported = tally.copy()

    def can_count(self, slo: CompiledSLO) -> bool:
        """SLOs of counters; of 0/1 gauges too when the source can read the past."""
        return slo.stored is not None and refusal(slo.slo, gauges=self._history is not None) is None

    async def count(self, slos: Sequence[CompiledSLO], at: float) -> Counted:
        """Bring every stream up to ``at`` (whole seconds), then sum its windows.

        Fills started behind wait until the SLOs returned as ``later`` have been counted
        by the next counter (``Counted.handed_over``), so they do not slow that count.
        """
        return await _fills_held(self.keeper.behind, self._count(slos, at), hold=self._behind)

    async def _count(self, slos: Sequence[CompiledSLO], at: float) -> Counted:
        if at != int(at):
            raise ValueError(f"the store evaluates at whole seconds, not {at}")
        t, sorted_ = int(at), self._sort(slos)
        pause = Pauser()
        wants = await _needs(sorted_, t, self._interval)
        failed, waiting = await self._update(sorted_.streams, wants, t)
        if not self.keeper.behind.filling:  # merging and pruning never race a fill's writes
            await self.keeper.upkeep.run(wants, t, self._interval)
        counted = Counted(complete=not failed)
        for slo, stored in sorted_.slos:
            if stored.numerator.key in waiting or stored.total.key in waiting:
                counted.later.append(slo)
                continue
            error = failed.get(stored.numerator.key) or failed.get(stored.total.key)
            if error is not None:
                counted.failures[slo.name] = error
                continue
            try:
                counted.events[slo.name] = _window_counts(self.keeper.store, slo, stored, t)
            except BackendError as err:
                counted.failures[slo.name] = err
            await pause.maybe()
        counted.tally = self._tally.since(self._reported)  # the fills behind included
        self._reported = self._tally.copy()
        return counted

    async def count_spans(
        self, slo: CompiledSLO, spans: Sequence[Span], at: float, tally: QueryTally
    ) -> dict[Span, WindowEvents]:
        """Each span ``(start, end]`` summed from the store, like a window ending at ``end``."""
        assert slo.stored is not None, "the router gives a store counter only SLOs it can count"
        return {span: _span_events(self.keeper.store, slo.stored, span) for span in spans}

    def _sort(self, slos: Sequence[CompiledSLO]) -> _Streams:
        """The streams of ``slos``, kept while the router passes the same SLOs."""
        cached = self._sorted
        if cached is not None and cached[0] is slos:
            return cached[1]
        sorted_ = _streams_of(slos)
        self._sorted = (slos, sorted_)
        return sorted_

    async def _update(
        self, streams: Mapping[str, Stream], wants: Mapping[str, Needs], at: int
    ) -> tuple[dict[str, BackendError], set[str]]:
        """Bring every stream up to ``at``: the streams that failed, with their error, and
        those filling in the background."""
        store, progress = self.keeper.store, self.keeper.progress
        plans: dict[str, FillPlan] = {}
        waiting = {key for key in streams if self.keeper.behind.busy(key)}
        pause = Pauser()
        for key, stream in streams.items():
            if key in waiting:
                continue
            plans[key] = plan_fill(store.state(key), at, wants[key], self._interval, raw=stream.raw)
            await pause.maybe()
        failed: dict[str, BackendError] = {}
        reads = SnapshotReads(store, self._source, progress, failed)
        if self._history is None:
            steady = [k for k, p in plans.items() if p.steps]
            jobs: list[Coroutine[Any, Any, None]] = (
                [reads.read(streams, steady, at)] if steady else []
            )
        else:
            fills = RangeFills(store, self._history, progress, failed)
            jobs = self._reads_and_fills(streams, plans, reads, fills, waiting)
        tasks = [asyncio.ensure_future(job) for job in jobs]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return failed, waiting

    def _reads_and_fills(
        self,
        streams: Mapping[str, Stream],
        plans: Mapping[str, FillPlan],
        reads: SnapshotReads,
        fills: RangeFills,
        waiting: set[str],
    ) -> list[Coroutine[Any, Any, None]]:
        """Snapshot reads for the steady and the few missed points, range fills for the rest
        (``behind``: started in the background, their streams put in ``waiting``)."""
        points: dict[tuple[int, ...], list[str]] = {}
        for key, plan in plans.items():
            grid = catch_up_points(plan) if streams[key].raw else None
            if grid is not None:
                points.setdefault(grid, []).append(key)
        caught = {key for keys in points.values() for key in keys}
        jobs: list[Coroutine[Any, Any, None]] = [
            reads.points(streams, keys, grid) for grid, keys in points.items()
        ]
        # a gauge's steady cycle is one windowed count; it is no backfill
        quiet = [k for k, p in plans.items() if p.steady and not streams[k].raw]
        jobs.extend(fills.one(streams[k], plans[k], Progress()) for k in quiet)
        filling = [
            k
            for k, p in plans.items()
            if k not in caught and not p.steady and (p.steps or p.prepend)
        ]
        if filling and self._behind and self._history is not None:  # failures not this cycle's
            alone = RangeFills(self.keeper.store, self._history, self.keeper.progress, {})
            self.keeper.behind.start(filling, alone.all(streams, plans, filling, self._concurrency))
            waiting.update(filling)
        elif filling:
            jobs.append(fills.all(streams, plans, filling, self._concurrency))
        return jobs


async def _fills_held(
    behind: FillsBehind, counting: Coroutine[Any, Any, Counted], *, hold: bool
) -> Counted:
    """``counting``'s result, fills started meanwhile held (``hold``) until the pipeline
    has counted the SLOs it hands over (at once when there are none, or it fails)."""
    if hold:
        behind.hold()
    try:
        counted = await counting
    except BaseException:
        behind.release()
        raise
    if counted.later:
        counted.handed_over.append(behind.release)
    else:
        behind.release()
    return counted


def _window_counts(
    store: HistoryStore, slo: CompiledSLO, stored: StoredSLI, at: int
) -> WindowCounts:
    """Every window of ``slo`` at ``at``, summed from the store."""
    windows = slo.slo.windows_at(at)
    numerator = store.window_sums(stored.numerator.key, at, windows)
    total = store.window_sums(stored.total.key, at, windows)
    if stored.bucket_check:
        longest = total[max(windows)]
        if longest > 0:
            series = store.series_count(stored.numerator.selector)
            check_threshold_bucket(slo.slo, series, longest, at)
    return {w: window_events(numerator[w], total[w], counts_bad=stored.counts_bad) for w in windows}
