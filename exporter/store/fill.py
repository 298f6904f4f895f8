"""Carry out a :class:`~exporter.store.plan.FillPlan`: range queries in, buckets out.

Each range query's answer (at most :data:`~exporter.samples.MAX_STEPS` steps
of aggregates, :data:`RAW_STEPS` of raw values) is written in its own
transaction together with the new ``known_until``, oldest first (prepended
history newest first), so a fill cut short by a crash or a backend failure
resumes where it stopped and never counts anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from exporter.samples import Grid, RangeSource, single
from exporter.store.appends import Bucket, label_key
from exporter.store.deltas import counter_deltas
from exporter.store.history import HistoryStore
from exporter.store.plan import FillPlan, Raw, StreamState, Windowed
from exporter.store.streams import Stream

RAW_STEPS = 1000
"""Points per range query of raw values, fewer than a query may hold: an answer's
increments are counted and written in one go on the event loop (it is decoded off it),
so its size bounds how long probes and scrapes wait behind a cold fill."""


@dataclass
class Progress:
    """Seconds of history still to fetch in the running fills, and fetched so far."""

    remaining: float = 0.0
    filled: float = 0.0
    resets: int = 0

    def done(self, seconds: float) -> None:
        """``seconds`` more of one selector's history are in the store."""
        self.remaining = max(self.remaining - seconds, 0.0)
        self.filled += seconds


class _Writer:
    """Writes one stream's buckets, tracking the state the next write expects."""

    def __init__(self, store: HistoryStore, stream: Stream, state: StreamState | None) -> None:
        self.store = store
        self.key = stream.key
        self.state = state

    def write(
        self,
        buckets: list[Bucket],
        new: StreamState,
        values: dict[str, tuple[float, int]] | None = None,
        *,
        replace_values: bool = False,
    ) -> None:
        self.store.record(
            self.key,
            buckets,
            expect=self.state,
            state=new,
            values=values,
            replace_values=replace_values,
        )
        self.state = new

    def known_from(self, plan: FillPlan) -> int:
        return self.state.known_from if self.state else plan.known_from

    def until(self, plan: FillPlan) -> int:
        return self.state.known_until if self.state else plan.start


async def _prepend(
    source: RangeSource, stream: Stream, plan: FillPlan, writer: _Writer, progress: Progress
) -> None:
    for step in reversed(plan.prepend):
        for chunk in reversed(step.ends.chunks()):
            got = await source.events(stream.windowed(step.width), chunk)
            start = chunk.first - step.width
            assert writer.state is not None
            buckets = [Bucket(end - step.width, end, v) for end, v in got.items()]
            writer.write(buckets, replace(writer.state, known_from=start))
            progress.done(len(chunk) * step.width)


async def _windowed(
    source: RangeSource,
    stream: Stream,
    step: Windowed,
    writer: _Writer,
    plan: FillPlan,
    progress: Progress,
) -> None:
    for chunk in step.ends.chunks():
        got = await source.events(stream.windowed(step.width), chunk)
        before = writer.until(plan)
        buckets = [Bucket(end - step.width, end, v) for end, v in got.items()]
        values_at = writer.state.values_at if writer.state else None
        writer.write(buckets, StreamState(writer.known_from(plan), chunk.last, values_at))
        progress.done(chunk.last - before)


async def _raw(
    source: RangeSource,
    stream: Stream,
    step: Raw,
    writer: _Writer,
    plan: FillPlan,
    progress: Progress,
) -> None:
    last: dict[str, float] | None = None
    for k, chunk in enumerate(step.points.chunks(RAW_STEPS)):
        before = writer.until(plan)
        baseline: dict[str, tuple[float, int]] = {}
        fresh = k == 0 and step.baseline is not None
        if fresh:
            at = before
            assert step.baseline == at, "a plan reads its baseline where the last step ended"
            if at == chunk.first - chunk.step:
                fetched = await source.values(stream.selector, Grid(at, chunk.last, chunk.step))
            else:
                fetched = {**await source.values(stream.selector, single(at))}
                for key, read in (await source.values(stream.selector, chunk)).items():
                    fetched[key] = {**fetched.get(key, {}), **read}
            baseline = {
                label_key(key): (read[at], at) for key, read in fetched.items() if at in read
            }
            last = {key: value for key, (value, _) in baseline.items()}
        else:
            fetched = await source.values(stream.selector, chunk)
            if last is None:
                last = writer.store.last_values(writer.key)
        reads = {label_key(key): read for key, read in fetched.items()}
        deltas = counter_deltas(last, chunk.points, reads)
        points = [before, *chunk.points]
        buckets = [
            Bucket(points[i], points[i + 1], increment)
            for i, increment in enumerate(deltas.increments)
        ]
        writer.write(
            buckets,
            StreamState(writer.known_from(plan), chunk.last, chunk.last),
            {**baseline, **deltas.last},
            replace_values=fresh,
        )
        last.update({key: value for key, (value, _) in deltas.last.items()})
        progress.resets += deltas.resets
        progress.done(chunk.last - before)


async def fill(
    store: HistoryStore,
    source: RangeSource,
    stream: Stream,
    plan: FillPlan,
    progress: Progress,
) -> None:
    """Fetch and write everything ``plan`` asks for (raises ``BackendError`` midway)."""
    writer = _Writer(store, stream, store.state(stream.key))
    if plan.prepend:
        await _prepend(source, stream, plan, writer, progress)
    for step in plan.steps:
        if isinstance(step, Windowed):
            await _windowed(source, stream, step, writer, plan, progress)
        else:
            await _raw(source, stream, step, writer, plan, progress)
    if plan.compacted_until is not None:
        store.mark_compacted(stream.key, plan.compacted_until)
