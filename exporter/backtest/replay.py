"""Replay an SLO's alert conditions over a past period through the report's range reader.

For every alerting window the same window queries ``eval`` sends go out as
range queries, one value per evaluation time (:meth:`StepReader.window`), so
each time sees exactly the events ``eval --at`` that time would count: budget
adjustments taken out (:mod:`exporter.pipeline.adjusted_reads`), the objective in
force at that time. The pure :mod:`exporter.domain.backtest` turns them into alerts and checks them
against the incidents the report finds (:func:`exporter.domain.report.find_incidents`
on the report's own per-step reading).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.domain import backtest as findings
from exporter.domain import report as figures
from exporter.domain.durations import format_duration
from exporter.domain.model import SLO
from exporter.pipeline.adjusted_reads import (
    steps_without_adjustments,
    window_at,
    windows_without_adjustments,
)
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.steps import StepReader
from exporter.promql.gate import QueryGate
from exporter.report.build import (
    ReportedAdjustment,
    ReportError,
    check_coverage,
    grid_for,
    reported_adjustments,
    rfc3339,
)
from exporter.samples import Grid


class BacktestError(ReportError):
    """The period cannot be replayed (one line: what is missing or wrong)."""


@dataclass(frozen=True)
class SLOBacktest:
    """One SLO's replay: its alerts with the budget spent when each began, its incidents."""

    name: str
    alerts: list[findings.Alert]
    budget_spent: list[float | None]
    """Share of the period's error budget spent at each alert's start (None: no traffic)."""
    incidents: list[findings.CheckedIncident]
    min_incident_budget: float
    """Share of a period's budget an incident had to spend to count."""
    smaller_incidents: int
    """Incidents the report found that spent less (left out of ``incidents`` and recall)."""
    precision: float | None
    recall: float | None
    adjustments: tuple[ReportedAdjustment, ...] = ()
    """The budget adjustments whose events the replay left out, with their spans."""


@dataclass(frozen=True)
class Backtest:
    """The replay of ``(start, end]`` at every ``step`` seconds."""

    start: int
    end: int
    step: int
    step_source: str
    """Where the step came from: ``evaluation.interval`` or ``--step``."""
    slos: list[SLOBacktest]


def evaluation_times(start: int, end: int, step: int) -> Grid:
    """The evaluation times ``start + step, ..., end`` (raises BacktestError if uneven)."""
    if (end - start) % step or end - start < step:
        raise BacktestError(
            f"the period {rfc3339(start)} to {rfc3339(end)} is not a whole number of "
            f"{format_duration(step)} steps: choose --from/--to or --step to fit"
        )
    return Grid(start + step, end, step)


def check_period(slos: Sequence[SLO], start: int, end: int, step: int) -> None:
    """Refuse a period that is no whole number of steps, or of an SLO's shortest alerting
    window (the report's incident step), with one line (BacktestError)."""
    evaluation_times(start, end, step)
    for slo in slos:
        window = figures.alerting_window(slo)
        if (end - start) % window or end - start < window:
            raise BacktestError(
                f"the period {rfc3339(start)} to {rfc3339(end)} is not a whole number of "
                f"SLO {slo.name!r}'s {format_duration(window)} alerting windows: choose "
                "--from/--to on such boundaries (or use --period / --last)"
            )


async def _budget_spent(gate: QueryGate, slo: CompiledSLO, at: int) -> float | None:
    """Share of the budget spent over the period ending at ``at``: ``eval --at``'s count
    (budget adjustments taken out) against the objective in force then."""
    model = slo.slo.in_force(at)
    events = await window_at(gate, slo, model.period_window(at), at)
    length = model.period_bounds(at).length
    return figures.period_figures(model, events, int(length)).consumed_ratio


async def _alerts(gate: QueryGate, slo: CompiledSLO, times: Grid) -> list[findings.Alert]:
    """The alerts of every evaluation time, from each alerting window's events then."""
    reader = StepReader(gate)
    model = slo.slo
    alerting = sorted({w for r in model.alerts for w in (r.long_window, r.short_window)})
    series = await asyncio.gather(*(reader.window(slo, w, times) for w in alerting))
    series = await windows_without_adjustments(gate, slo, series, times)
    windows = {s.window: s for s in series}
    return await asyncio.to_thread(findings.fired_alerts, model, times.points, windows)


def _applied(
    slo: CompiledSLO, times: Grid, alerts: Sequence[findings.Alert]
) -> tuple[ReportedAdjustment, ...]:
    """The adjustments whose events the replay left out: those inside the alerting windows
    at every time, the incidents' steps and the period behind each alert's budget spent."""
    model = slo.slo
    reach = max((w for r in model.alerts for w in (r.long_window, r.short_window)), default=0)
    earliest = times.first - reach
    for alert in alerts:
        earliest = min(
            earliest, alert.start - model.in_force(alert.start).period_window(alert.start)
        )
    return reported_adjustments(slo, earliest, times.last)


async def _replay(
    gate: QueryGate,
    slo: CompiledSLO,
    times: Grid,
    steps: figures.StepSeries,
    min_share: float | None,
) -> SLOBacktest:
    model = slo.slo
    alerts = await _alerts(gate, slo, times)
    starts = sorted({a.start for a in alerts})
    spent = dict(
        zip(
            starts,
            await asyncio.gather(*(_budget_spent(gate, slo, t) for t in starts)),
            strict=True,
        )
    )
    steps = await steps_without_adjustments(gate, slo, steps)
    # Each step judged by the objective in force at its end, like the conditions.
    objectives = findings.objectives_at(model, steps.ends)
    found = figures.find_incidents(
        steps, objectives, steps.total_events().total, merge_gap=steps.step
    )
    share = findings.smallest_alert_share(model) if min_share is None else min_share
    observed = times.last - times.first + times.step
    incidents = findings.significant(found, share, observed, model.period)
    checked = findings.check_incidents(incidents, alerts)
    return SLOBacktest(
        name=slo.name,
        alerts=alerts,
        budget_spent=[spent[a.start] for a in alerts],
        incidents=checked,
        min_incident_budget=share,
        smaller_incidents=len(found) - len(incidents),
        precision=findings.precision(alerts, incidents),
        recall=findings.recall(checked),
        adjustments=_applied(slo, times, alerts),
    )


async def run_backtest(
    gate: QueryGate,
    slos: Sequence[CompiledSLO],
    start: int,
    end: int,
    step: int,
    step_source: str,
    min_share: float | None = None,
) -> Backtest:
    """Replay ``slos`` over ``(start, end]`` every ``step`` seconds (raises BackendError,
    BacktestError). Incidents count when they spent ``min_share`` of a period's budget
    (None: each SLO's :func:`~exporter.domain.backtest.smallest_alert_share`)."""
    times = evaluation_times(start, end, step)
    grids = [grid_for(s, start, end) for s in slos]
    reader = StepReader(gate)
    steps = await asyncio.gather(*(reader.steps(s, g) for s, g in zip(slos, grids, strict=True)))
    check_coverage(steps, start, end, "backtest")
    replays = await asyncio.gather(
        *(_replay(gate, slo, times, s, min_share) for slo, s in zip(slos, steps, strict=True))
    )
    return Backtest(start, end, step, step_source, list(replays))
