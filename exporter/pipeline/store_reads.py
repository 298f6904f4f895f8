"""The store's steady path: one snapshot at T, one bucket (known_until, T] per stream.

A few missed evaluation times (a slow cycle, a short outage) are read the
same way, one snapshot per missed time, instead of a range query per
selector. A stream whose read or write fails is marked failed; its
``known_until`` stays, so the next good cycle reads the gap.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporter.errors import BackendError
from exporter.pipeline.pause import Pauser, chunks
from exporter.samples import Source
from exporter.store.appends import Bucket, label_key
from exporter.store.deltas import counter_deltas
from exporter.store.file_format import StoreError
from exporter.store.fill import Progress
from exporter.store.history import HistoryStore
from exporter.store.plan import FillPlan, Raw, StreamState
from exporter.store.streams import Stream

CATCH_UP_POINTS = 10
"""Missed evaluation times read by snapshots (beyond that, by range queries)."""
APPEND_BATCH = 100
"""Streams appended per store transaction (about 30 ms of work)."""


class StoreFailure(BackendError):
    """The history store could not be written; the SLOs of that stream fail this cycle."""

    reason = "store"


def catch_up_points(plan: FillPlan) -> tuple[int, ...] | None:
    """The evaluation times a plan reads from the stored last values, when there are at
    most :data:`CATCH_UP_POINTS` of them and nothing else to read."""
    if plan.prepend or len(plan.steps) != 1:
        return None
    step = plan.steps[0]
    if isinstance(step, Raw) and step.baseline is None and len(step.points) <= CATCH_UP_POINTS:
        return tuple(step.points.points)
    return None


class SnapshotReads:
    """Reads streams with snapshots and appends their increments to the store."""

    def __init__(
        self,
        store: HistoryStore,
        source: Source,
        progress: Progress,
        failed: dict[str, BackendError],
    ) -> None:
        self._store = store
        self._source = source
        self._progress = progress
        self.failed = failed

    async def points(
        self, streams: Mapping[str, Stream], keys: list[str], points: tuple[int, ...]
    ) -> None:
        """Catch up point by point: a snapshot at each missed evaluation time, in order."""
        previous = points[0] - (points[1] - points[0]) if len(points) > 1 else None
        for t in points:
            live = [key for key in keys if key not in self.failed]
            if not live:
                return
            await self.read(streams, live, t)
        if previous is not None:  # a gap, counted like one a range query fills
            done = sum(1 for key in keys if key not in self.failed)
            self._progress.filled += (points[-1] - previous) * done

    async def read(self, streams: Mapping[str, Stream], keys: list[str], at: int) -> None:
        """One snapshot of ``keys``' selectors at ``at``, appended to each stream."""
        selectors = [streams[key].selector for key in keys]
        try:
            snapshot = await self._source.snapshot(selectors, at)
        except BackendError as err:
            self.failed.update(dict.fromkeys(keys, err))
            return
        seen_at = round(snapshot.at)
        pause = Pauser()
        for chunk in chunks(keys, APPEND_BATCH):
            try:
                with self._store.batch():
                    for key in chunk:
                        stream = streams[key]
                        reads = {
                            label_key(series): {seen_at: value}
                            for series, value in snapshot.values.get(stream.selector, {}).items()
                        }
                        try:
                            self._append(key, reads, seen_at)
                        except StoreError as err:
                            self.failed[key] = StoreFailure(str(err), query=stream.selector, at=at)
            except StoreError as err:  # the commit: nothing of the chunk was kept
                for key in chunk:
                    self.failed[key] = StoreFailure(str(err), query=streams[key].selector, at=at)
            await pause.maybe()

    def _append(self, key: str, reads: dict[str, dict[int, float]], seen_at: int) -> None:
        state = self._store.state(key)
        if state is None:
            values = {k: (read[seen_at], seen_at) for k, read in reads.items()}
            new = StreamState(seen_at, seen_at, seen_at)
            self._store.record(key, [], expect=None, state=new, values=values, replace_values=True)
            return
        if seen_at <= state.known_until:
            return
        deltas = counter_deltas(self._store.last_values(key), [seen_at], reads)
        bucket = Bucket(state.known_until, seen_at, deltas.increments[0])
        new = StreamState(state.known_from, seen_at, seen_at)
        self._store.record(key, [bucket], expect=state, state=new, values=deltas.last)
        self._progress.resets += deltas.resets
