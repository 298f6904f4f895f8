"""Per-window events of a past period from the history store (``report --data-dir``).

The store answers for an SLO when it holds both of its streams over the
whole period (``known_from``/``known_until``) in buckets no wider than the
report's window, so each window's events are sums of whole buckets, as the
backend's range reads give them; otherwise the report reads the backend.
Events are differences of the cumulative level at consecutive window ends.
"""

from __future__ import annotations

from array import array

from exporter.domain.report import StepSeries
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import window_events
from exporter.samples import Grid
from exporter.store.history import HistoryStore
from exporter.store.streams import Stream


class StoreSteps:
    """Reads per-window events of the SLOs a store covers (blocking: call in a thread)."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def _holds(self, stream: Stream, ends: Grid) -> bool:
        state = self._store.state(stream.key)
        start = ends.first - ends.step
        return (
            state is not None
            and state.known_from <= start
            and state.known_until >= ends.last
            and self._store.widest_bucket(stream.key, start, ends.last) <= ends.step
        )

    def covers(self, slo: CompiledSLO, ends: Grid) -> bool:
        """True when the store holds ``slo``'s events over the grid at its resolution."""
        stored = slo.stored
        return stored is not None and all(
            self._holds(s, ends) for s in (stored.numerator, stored.total)
        )

    def steps(self, slo: CompiledSLO, ends: Grid) -> StepSeries:
        """Events of ``slo`` in each ``(end - step, end]`` of ``ends`` (it :meth:`covers` them)."""
        stored = slo.stored
        assert stored is not None
        points = [ends.first - ends.step, *ends.points]
        numerator = self._store.levels(stored.numerator.key, points)
        total = self._store.levels(stored.total.key, points)
        good, counted = array("d"), array("d")
        for i in range(len(points) - 1):
            events = window_events(
                numerator[i + 1] - numerator[i],
                total[i + 1] - total[i],
                counts_bad=stored.counts_bad,
            )
            good.append(events.good)
            counted.append(events.total)
        return StepSeries(ends.step, ends.points, good, counted, source="store")
