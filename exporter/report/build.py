"""Build a report: read each SLO's per-step events, then compute every figure.

The reading is :class:`~exporter.pipeline.steps.StepReader` (the same
window queries ``eval`` sends, as range queries); the figures are
:mod:`exporter.domain.report` and :mod:`exporter.domain.review`. The
outputs (:mod:`exporter.report.documents`, :mod:`exporter.report.html`)
only format a :class:`Report`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from exporter.domain import report as figures
from exporter.domain import review
from exporter.domain.adjustments import Adjustment, Span, excluded
from exporter.domain.budget import WindowEvents
from exporter.domain.decision import Decision, Risk, Standing, decide, default_policy
from exporter.domain.durations import format_duration
from exporter.domain.status import status_of
from exporter.errors import SLOExporterError
from exporter.pipeline.adjusted_reads import steps_without_adjustments, window_at
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.steps import StepReader
from exporter.pipeline.store_steps import StoreSteps
from exporter.promql.gate import QueryGate
from exporter.samples import Grid


class ReportError(SLOExporterError):
    """The period cannot be reported (one line: what is missing or wrong)."""


@dataclass(frozen=True)
class ReportedAdjustment:
    """A budget adjustment of an SLO and its spans within the period."""

    adjustment: Adjustment
    spans: tuple[Span, ...]

    @property
    def seconds(self) -> float:
        """How long it took out of the period."""
        return sum(end - start for start, end in self.spans)


@dataclass(frozen=True)
class SLOReport:
    """Every figure of one SLO over the period and the one before it."""

    compiled: CompiledSLO
    current: figures.PeriodFigures
    previous: figures.PeriodFigures
    incidents: list[figures.Incident]
    days: list[figures.Day]
    recommendations: list[review.Recommendation]
    data_from: int | None
    """When its data starts, if after the period's start (an SLO added mid-period)."""
    series: figures.StepSeries
    adjustments: tuple[ReportedAdjustment, ...] = ()
    """The budget adjustments whose events the figures leave out, with their spans."""


@dataclass(frozen=True)
class ServiceReview:
    """The weekly-review block of one service, with the release gate's default decision
    for a medium-risk change at the period's end."""

    service: str
    status: review.ReviewStatus
    budget_remaining_ratio: float | None
    key_issues: list[tuple[str, figures.Incident]]
    decision: Decision


@dataclass(frozen=True)
class Report:
    """The whole report of ``[start, end)``."""

    start: int
    end: int
    slos: list[SLOReport]
    services: list[ServiceReview]


def rfc3339(t: float) -> str:
    """``2026-11-01T00:00:00Z``."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


KEY_ISSUES = 3
"""Incidents listed per service in the review block: those that consumed most budget."""


def grid_for(slo: CompiledSLO, start: int, end: int) -> Grid:
    """Step ends of ``slo``'s shortest alerting window over ``(start, end]``."""
    step = figures.alerting_window(slo.slo)
    if (end - start) % step or end - start < step:
        raise ReportError(
            f"the period {rfc3339(start)} to {rfc3339(end)} is not a whole number of "
            f"SLO {slo.name!r}'s {format_duration(step)} alerting windows: choose --from/--to "
            "on such boundaries (or use --period / --last)"
        )
    return Grid(start + step, end, step)


def reported_adjustments(slo: CompiledSLO, start: int, end: int) -> tuple[ReportedAdjustment, ...]:
    """Each of the SLO's budget adjustments with its spans inside ``(start, end]``."""
    out = []
    for adjustment in slo.slo.adjustments:
        spans = excluded([adjustment], start, end)
        if spans:
            out.append(ReportedAdjustment(adjustment, tuple(spans)))
    return tuple(out)


def check_coverage(
    series: Sequence[figures.StepSeries], start: int, end: int, command: str = "report"
) -> None:
    """Refuse a period the backend holds no samples for, or only the later part of."""
    firsts = [f for f in (s.first_data for s in series) if f is not None]
    if not firsts:
        raise ReportError(
            f"the backend has no samples of any selected SLO's counters between "
            f"{rfc3339(start)} and {rfc3339(end)}: nothing to {command} "
            "(is the period within the backend's retention?)"
        )
    earliest = min(firsts)
    if earliest > start:
        raise ReportError(
            f"the backend has no samples of any selected SLO's counters before "
            f"{rfc3339(earliest)} but the period starts {rfc3339(start)}: it lies beyond "
            f"the backend's retention; {command} a later period (--from, --last or --period)"
        )


async def _read(
    gate: QueryGate, store: StoreSteps | None, slos: Sequence[CompiledSLO], grids: list[Grid]
) -> list[figures.StepSeries]:
    """Each SLO's per-window events: from the store where it covers them, else the backend."""
    reader = StepReader(gate)

    async def one(slo: CompiledSLO, grid: Grid) -> figures.StepSeries:
        if store is not None and await asyncio.to_thread(store.covers, slo, grid):
            return await asyncio.to_thread(store.steps, slo, grid)
        return await reader.steps(slo, grid)

    return list(await asyncio.gather(*(one(s, g) for s, g in zip(slos, grids, strict=True))))


async def build_report(
    gate: QueryGate,
    slos: Sequence[CompiledSLO],
    start: int,
    end: int,
    store: StoreSteps | None = None,
) -> Report:
    """Read and compute the report of ``slos`` over ``[start, end)`` (raises BackendError,
    ReportError); with ``store``, SLOs it covers are read from it. A phased SLO is
    reported with the objective in force at ``end``."""
    slos = [replace(s, slo=s.slo.in_force(end)) for s in slos]
    grids = [grid_for(s, start, end) for s in slos]
    series = await _read(gate, store, slos, grids)
    check_coverage(series, start, end)
    pairs = zip(slos, series, strict=True)
    series = list(
        await asyncio.gather(*(steps_without_adjustments(gate, s, steps) for s, steps in pairs))
    )
    length = end - start
    priors = await asyncio.gather(*(window_at(gate, s, length, start) for s in slos))
    # Seconds of arithmetic for 1,000 SLOs: off the event loop, like rendering in `run`.
    parts = await asyncio.to_thread(
        lambda: [
            _figures(slo, steps, prior, length)
            for slo, steps, prior in zip(slos, series, priors, strict=True)
        ]
    )
    advice = review.recommendations([p for p, _ in parts])
    reports = [
        SLOReport(
            compiled=slo,
            current=p.current,
            previous=p.previous,
            incidents=list(p.incidents),
            days=days,
            recommendations=advice[slo.name],
            data_from=_late_start(steps, start),
            series=steps,
            adjustments=reported_adjustments(slo, start, end),
        )
        for slo, (p, days), steps in zip(slos, parts, series, strict=True)
    ]
    return Report(start=start, end=end, slos=reports, services=services(reports))


def _late_start(steps: figures.StepSeries, start: int) -> int | None:
    first = steps.first_data
    return first if first is not None and first > start else None


def _figures(
    slo: CompiledSLO, steps: figures.StepSeries, prior: WindowEvents, length: int
) -> tuple[review.SLOFigures, list[figures.Day]]:
    model = slo.slo
    current = figures.period_figures(model, steps.total_events(), length)
    total = current.events.total
    incidents = figures.find_incidents(steps, model.objective, total, merge_gap=steps.step)
    figs = review.SLOFigures(
        name=slo.name,
        current=current,
        previous=figures.period_figures(model, prior, length),
        incidents=incidents,
        window=steps.step,
        steps=len(steps),
        min_events=model.min_events,
    )
    return figs, figures.daily(steps, model.objective, total)


def services(reports: Sequence[SLOReport]) -> list[ServiceReview]:
    """One review block per service, in the order the services first appear."""
    by_service: dict[str, list[SLOReport]] = {}
    for r in reports:
        by_service.setdefault(r.compiled.slo.service, []).append(r)
    out = []
    for service, members in by_service.items():
        remaining = [r.current.remaining_ratio for r in members]
        known = [x for x in remaining if x is not None]
        issues = [(r.compiled.name, i) for r in members for i in r.incidents]
        issues.sort(key=lambda pair: -pair[1].bad_events)
        out.append(
            ServiceReview(
                service=service,
                status=review.review_status(remaining),
                budget_remaining_ratio=min(known) if known else None,
                key_issues=issues[:KEY_ISSUES],
                decision=decide([standing(r) for r in members], DECISION_RISK, default_policy()),
            )
        )
    return out


DECISION_RISK = Risk.MEDIUM
"""The review block shows the default matrix's decision for a change of this risk."""


def standing(r: SLOReport) -> Standing:
    """An SLO at the period's end as the release gate sees it: its status from the period's
    remaining budget and the burn rate over its status window at the end."""
    slo = r.compiled.slo
    burn = figures.closing_burn(r.series, slo.objective, slo.status.window)
    status = status_of(r.current.remaining_ratio, burn, slo.status)
    return Standing(
        name=slo.name,
        status=status.value,
        remaining_ratio=r.current.remaining_ratio,
        burn_rate=burn,
        burn_window=format_duration(slo.status.window),
    )
