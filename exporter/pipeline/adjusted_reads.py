"""Past events read without those inside budget adjustments: ``report`` and ``backtest``.

The same numbers ``eval --at`` evaluates (:mod:`exporter.pipeline.adjusting`), read
three ways: one window at one time (:func:`window_at`), a report's per-step events
(:func:`steps_without_adjustments`) and a backtest's windows at every evaluation time
(:func:`windows_without_adjustments`). Parts of steps an adjustment's edge cuts are
counted with the direct counter's queries; the arithmetic is in :mod:`exporter.domain`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from exporter.domain import adjusted_windows
from exporter.domain.adjusted_steps import cut_pieces, without_spans
from exporter.domain.adjustments import Span, adjusted, excluded, window_spans
from exporter.domain.backtest import WindowSeries
from exporter.domain.budget import WindowEvents
from exporter.domain.report import StepSeries
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import window_events
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.steps import StepReader
from exporter.promql.gate import QueryGate
from exporter.samples import Grid, QueryTally


async def window_at(gate: QueryGate, slo: CompiledSLO, length: int, at: int) -> WindowEvents:
    """Events of the ``length``-second window ending at ``at``: ``eval --at``'s count
    (budget adjustments taken out)."""
    plan = slo.queries(length)
    numerator, total = await asyncio.gather(
        gate.query(plan.numerator, at), gate.query(plan.total, at)
    )
    events = window_events(numerator.value, total.value, counts_bad=plan.counts_bad)
    spans = window_spans(slo.slo.adjustments, [length], at)
    if not spans:
        return events
    inside = await DirectCounter(gate).count_spans(slo, spans[length], at, QueryTally())
    return adjusted({length: events}, spans, inside)[length]


async def steps_without_adjustments(
    gate: QueryGate, slo: CompiledSLO, steps: StepSeries
) -> StepSeries:
    """``steps`` without the events inside the SLO's budget adjustments; the parts of
    steps an adjustment's edge cuts are counted with direct queries."""
    if not slo.slo.adjustments or not len(steps):
        return steps
    spans = excluded(slo.slo.adjustments, steps.ends[0] - steps.step, steps.ends[-1])
    pieces = cut_pieces(steps, spans)
    end = steps.ends[-1]
    cut = await DirectCounter(gate).count_spans(slo, pieces, end, QueryTally()) if pieces else {}
    return without_spans(steps, spans, cut)


async def _span_totals(
    gate: QueryGate, slo: CompiledSLO, span: Span, anchor: int, fine: int
) -> adjusted_windows.SpanTotals:
    """Events from the span's start to each grid point in it: whole grid steps from one
    range read, the edge pieces from direct queries."""
    points = adjusted_windows.span_points(span, anchor, fine)
    whole, edges = adjusted_windows.split_pieces(points, anchor, fine)
    pieces = await DirectCounter(gate).count_spans(slo, edges, span[1], QueryTally())
    if whole:
        read = await StepReader(gate).steps(slo, Grid(whole[0], whole[-1], fine))
        for end, good, total in zip(read.ends, read.good, read.total, strict=True):
            pieces[(end - fine, end)] = WindowEvents(good, total)
    return adjusted_windows.SpanTotals.of(points, pieces)


async def windows_without_adjustments(
    gate: QueryGate, slo: CompiledSLO, series: Sequence[WindowSeries], times: Grid
) -> list[WindowSeries]:
    """Each of ``series`` (a window at every time of ``times``) without the events inside
    the SLO's budget adjustments: what ``eval --at`` counts at each time."""
    if not slo.slo.adjustments or not series:
        return list(series)
    longest = max(s.window for s in series)
    spans = excluded(slo.slo.adjustments, times.first - longest, times.last)
    if not spans:
        return list(series)
    fine = adjusted_windows.fine_step(times.step, [s.window for s in series])
    totals = await asyncio.gather(
        *(_span_totals(gate, slo, span, times.first, fine) for span in spans)
    )
    return await asyncio.to_thread(
        lambda: [adjusted_windows.without_spans(s, times.points, totals) for s in series]
    )
