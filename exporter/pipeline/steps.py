"""Counting an SLO's events per step over a past period: the report's range reader.

The direct counter asks for a window's events at one time T; this reader
asks the same window queries (``CompiledSLO.queries(step)``, so the same
PromQL ``eval`` sends) as range queries, one value per step end, giving the
events of every consecutive ``(end - step, end]`` of a period. With steps
of whole minutes on a backend scraped every minute their sum is the
period-long window's count exactly. The numbers then go to
:mod:`exporter.domain.report`, which turns them into figures with the
budget math of :mod:`exporter.domain.evaluate`.
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Mapping, Sequence

from exporter.domain.backtest import WindowSeries
from exporter.domain.report import StepSeries
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import good_counts
from exporter.promql.gate import QueryGate
from exporter.samples import MAX_STEPS, Grid

Values = Mapping[int, float]

WINDOW_POINTS = 1_000_000
"""Window-steps one range query of :meth:`StepReader.window` covers at most (points x
window / step): a 3-day window every minute is 4,320 steps per point, so 231 points a
query, each as costly for the backend as one of a short window over a month."""


class StepReader:
    """Reads per-step events of SLOs through a generation's :class:`QueryGate`."""

    def __init__(self, gate: QueryGate) -> None:
        self._gate = gate

    async def _values(self, query: str, ends: Grid, max_steps: int) -> dict[int, float]:
        """The aggregate ``query`` at each end where it had a value (absent: no series)."""
        out: dict[int, float] = {}
        for chunk in ends.chunks(max_steps):
            if len(chunk) == 1:
                answer = await self._gate.query(query, chunk.first)
                if answer.series:
                    out[chunk.first] = answer.value
                continue
            matrix = await self._gate.range_series(query, chunk.first, chunk.last, chunk.step)
            for _, samples in matrix:
                for t, v in samples:
                    out[round(t)] = out.get(round(t), 0.0) + v
        return out

    async def _counted(
        self, slo: CompiledSLO, window: int, ends: Grid
    ) -> tuple[Sequence[float], Sequence[float], list[int]]:
        """Good and total events of ``window`` seconds ending at each end, and the indices
        of the ends the backend had a total for."""
        plan = slo.queries(window)
        most = min(MAX_STEPS, max(1, WINDOW_POINTS * ends.step // window))
        numerator, total = await asyncio.gather(
            self._values(plan.numerator, ends, most), self._values(plan.total, ends, most)
        )
        points = ends.points
        counted = array("d", (total.get(t, 0.0) for t in points))
        counts = array("d", (numerator.get(t, 0.0) for t in points))
        present = [i for i, t in enumerate(points) if t in total]
        return good_counts(counts, counted, counts_bad=plan.counts_bad), counted, present

    async def steps(self, slo: CompiledSLO, ends: Grid) -> StepSeries:
        """Good and total events of ``slo`` in each ``(end - step, end]`` of ``ends``."""
        good, counted, present = await self._counted(slo, ends.step, ends)
        return StepSeries(
            step=ends.step,
            ends=ends.points,
            good=good,
            total=counted,
            first_present=present[0] if present else None,
        )

    async def window(self, slo: CompiledSLO, window: int, ends: Grid) -> WindowSeries:
        """Good and total events of ``slo`` in ``(end - window, end]`` at each end of ``ends``:
        what ``eval --at end`` counts for that window, at every end (``backtest``)."""
        good, counted, _ = await self._counted(slo, window, ends)
        return WindowSeries(window=window, good=good, total=counted)
