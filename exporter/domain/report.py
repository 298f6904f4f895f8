"""A report period's figures from per-step event counts: pure functions of numbers.

A :class:`StepSeries` holds one SLO's good and total events per step
``(end - step, end]`` over a report period. From it come the period's
figures (through :mod:`exporter.domain.evaluate`'s ``window_result`` and
:mod:`exporter.domain.budget`, the same math as ``eval``), the incidents
and the daily burn-down. Nothing here reads a backend or a clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from exporter.domain import budget
from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import window_result
from exporter.domain.model import SLO

DAY = 86400


@dataclass(frozen=True)
class StepSeries:
    """Events per step: ``good[i]`` and ``total[i]`` counted in ``(ends[i] - step, ends[i]]``.

    ``first_present`` is the index of the first step the backend had a sample
    for (None: none had), so missing series tell apart from series that counted
    nothing. Plain float sequences (``array('d')``): a 30-day period of 5-minute
    steps is 8,640 of each per SLO.
    """

    step: int
    ends: Sequence[int]
    good: Sequence[float]
    total: Sequence[float]
    first_present: int | None = 0
    source: str = "backend"
    """Where the counts come from: ``backend`` or ``store``."""

    @classmethod
    def of(cls, step: int, ends: Sequence[int], events: Sequence[WindowEvents]) -> StepSeries:
        """A series from per-step events (every step present)."""
        return cls(step, ends, [e.good for e in events], [e.total for e in events])

    def __len__(self) -> int:
        return len(self.ends)

    def at(self, i: int) -> WindowEvents:
        """The events of step ``i``."""
        return WindowEvents(self.good[i], self.total[i])

    @property
    def first_data(self) -> int | None:
        """Start of the first step with a sample, or None when none had one."""
        if self.first_present is None or self.first_present >= len(self.ends):
            return None
        return self.ends[self.first_present] - self.step

    def total_events(self) -> WindowEvents:
        """The events of every step together."""
        return WindowEvents(good=math.fsum(self.good), total=math.fsum(self.total))


@dataclass(frozen=True)
class PeriodFigures:
    """An SLO's result over one whole report period (the budget fields None without data)."""

    events: WindowEvents
    sli: float | None
    met: bool | None
    consumed_ratio: float | None
    remaining_ratio: float | None
    remaining_events: float | None
    remaining_seconds: float | None


def period_figures(slo: SLO, events: WindowEvents, length: int) -> PeriodFigures:
    """SLI, met and budget over a period of ``length`` seconds with ``events`` in it.

    The same computation as ``eval`` over a period-long window: the no-data
    policy, then SLI, burn rate (= share of the budget consumed) and remaining budget.
    """
    result = window_result(
        length, events, slo.objective, slo.no_data, slo.budgeting, sliced=slo.sliced
    )
    remaining = budget.remaining_ratio(result.burn_rate)
    if remaining is None or result.sli is None:
        return PeriodFigures(result.events, result.sli, None, None, None, None, None)
    return PeriodFigures(
        events=result.events,
        sli=result.sli,
        met=remaining >= 0,
        consumed_ratio=result.burn_rate,
        remaining_ratio=remaining,
        remaining_events=budget.remaining_events(result.events, slo.objective),
        remaining_seconds=budget.remaining_seconds(remaining, slo.objective, length),
    )


@dataclass(frozen=True)
class Incident:
    """A maximal interval where the burn rate over the alerting window exceeded 1."""

    start: int
    end: int
    peak_burn_rate: float
    bad_events: float
    budget_consumed_ratio: float | None
    """Bad events / the period's allowed bad events (None when the period had no traffic)."""


def _burn(events: WindowEvents, objective: float) -> float | None:
    return budget.burn_rate(budget.sli(budget.bounded(events)), objective)


def _per_step(objective: float | Sequence[float], steps: int) -> Sequence[float]:
    """One objective per step: the same for all, or one given for each."""
    return [objective] * steps if isinstance(objective, int | float) else objective


def _runs(series: StepSeries, objectives: Sequence[float]) -> list[tuple[int, int]]:
    """Index ranges [first, last] of consecutive steps whose burn rate exceeds 1.

    Burn > 1 is (1 - good/total) > error budget, i.e. bad > budget x total:
    compared without building an object per step (8,640 steps a month).
    """
    runs: list[tuple[int, int]] = []
    steps = zip(series.good, series.total, objectives, strict=True)
    for i, (good, counted, objective) in enumerate(steps):
        total = max(counted, 0.0)
        bad = total - min(max(good, 0.0), total)
        if total <= 0 or bad <= budget.error_budget(objective) * total:
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _merged(runs: list[tuple[int, int]], series: StepSeries, gap: int) -> list[tuple[int, int]]:
    """Join runs separated by less than ``gap`` seconds of calm steps."""
    out: list[tuple[int, int]] = []
    for run in runs:
        if out:
            calm = series.ends[run[0]] - series.step - series.ends[out[-1][1]]
            if calm < gap:
                out[-1] = (out[-1][0], run[1])
                continue
        out.append(run)
    return out


def find_incidents(
    series: StepSeries,
    objective: float | Sequence[float],
    period_total: float,
    merge_gap: int,
) -> list[Incident]:
    """Incidents of ``series``, the one that consumed most budget first.

    Each step is one window of ``series.step`` seconds (the SLO's shortest
    alerting window); an incident is a maximal run of steps burning faster
    than 1, runs separated by less than ``merge_gap`` seconds of calm merged
    (with steps as long as ``merge_gap``, runs of adjacent steps).
    Its share of the budget is its bad events over ``(1 - objective/100) x
    period_total``. ``objective`` is one for every step or one per step (a
    phased SLO's objective in force at each step's end): then each step's bad
    events count against the budget of its own objective.
    """
    objectives = _per_step(objective, len(series))
    found: list[Incident] = []
    for first, last in _merged(_runs(series, objectives), series, merge_gap):
        steps = [(series.at(i), objectives[i]) for i in range(first, last + 1)]
        bad = sum(budget.bounded(e).bad for e, _ in steps)
        spent = sum(budget.bounded(e).bad / budget.error_budget(o) for e, o in steps)
        peak = max((_burn(e, o) or 0.0) for e, o in steps)
        found.append(
            Incident(
                start=series.ends[first] - series.step,
                end=series.ends[last],
                peak_burn_rate=peak,
                bad_events=bad,
                budget_consumed_ratio=spent / period_total if period_total > 0 else None,
            )
        )
    found.sort(key=lambda i: (-i.bad_events, i.start))
    return found


@dataclass(frozen=True)
class Day:
    """One UTC day of the period: its SLI and the budget left at its end."""

    date: str
    sli: float | None
    budget_remaining_ratio: float | None


def _date(day: int) -> str:
    return datetime.fromtimestamp(day * DAY, UTC).date().isoformat()


def daily(series: StepSeries, objective: float, period_total: float) -> list[Day]:
    """SLI per UTC day and the period's budget remaining at each day's end (the burn-down).

    A step belongs to the day holding its last second. Remaining = 1 - bad
    events so far / the period's allowed bad events, so the last day's value
    is the period's remaining budget.
    """
    per_day: dict[int, list[float]] = {}
    for end, good, counted in zip(series.ends, series.good, series.total, strict=True):
        sums = per_day.setdefault((end - 1) // DAY, [0.0, 0.0])
        total = max(counted, 0.0)
        sums[0] += min(max(good, 0.0), total)
        sums[1] += total
    allowed = budget.error_budget(objective) * period_total
    bad_so_far = 0.0
    out: list[Day] = []
    for day_number, (good, total) in per_day.items():
        day = WindowEvents(good, total)
        bad_so_far += day.bad
        remaining = 1.0 - bad_so_far / allowed if allowed > 0 else None
        out.append(
            Day(date=_date(day_number), sli=budget.sli(day), budget_remaining_ratio=remaining)
        )
    return out


def closing_burn(series: StepSeries, objective: float, window: int) -> float | None:
    """The burn rate over the last ``window`` seconds of the period (whole steps, at least
    one): what the status window shows at the period's end."""
    count = max(1, -(-window // series.step))
    good = math.fsum(series.good[-count:])
    total = math.fsum(series.total[-count:])
    return budget.burn_rate(budget.sli(budget.bounded(WindowEvents(good, total))), objective)


def alerting_window(slo: SLO) -> int:
    """The SLO's shortest alerting window (its status window when it has no alerts)."""
    windows = [rule.short_window for rule in slo.alerts]
    return min(windows) if windows else slo.status.window
