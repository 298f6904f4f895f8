"""One SLO's full result at time T, from the events counted in each window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.domain import budget
from exporter.domain.adjustments import active, excluded_seconds
from exporter.domain.alerts import AlertCondition, evaluate_rules
from exporter.domain.budgeting import Budgeting, NoData, fill_empty_slices, silent_sli
from exporter.domain.calendar import PeriodBounds
from exporter.domain.durations import format_duration
from exporter.domain.model import SLO, Status
from exporter.domain.status import status_of


@dataclass(frozen=True)
class WindowResult:
    """Events, SLI and burn rate over one window; the ratios are None without traffic
    (unless the SLO's no-data policy gives silence a meaning)."""

    window: int
    events: budget.WindowEvents
    sli: float | None
    burn_rate: float | None


@dataclass(frozen=True)
class SLOResult:
    """Everything the exporter shows about one SLO at ``evaluated_at``.

    ``windows`` holds the fixed windows (the period too when it is rolling);
    ``period`` is the budget's period, rolling or calendar. The budget fields
    are None when the period had no usable data; then ``data_ok`` is False
    and the status is ``no_data``. ``exhaustion_seconds`` is ``math.inf``
    when nothing burns.
    """

    slo: SLO
    evaluated_at: float
    windows: Mapping[int, WindowResult]
    period: WindowResult
    bounds: PeriodBounds
    consumed_ratio: float | None
    remaining_ratio: float | None
    remaining_events: float | None
    remaining_seconds: float | None
    exhaustion_seconds: float | None
    status: Status
    alerts: tuple[AlertCondition, ...]
    adjustments: Adjustments = field(default_factory=lambda: Adjustments((), 0.0))

    @property
    def data_ok(self) -> bool:
        """True when the period had data (or a no-data policy), so the budget numbers exist."""
        return self.remaining_ratio is not None

    def labelled_windows(self) -> list[tuple[str, WindowResult]]:
        """Every window with its label: ``5m``, ``30d``...; a calendar period as ``month``."""
        out = [(format_duration(w), r) for w, r in sorted(self.windows.items())]
        if self.slo.calendar is not None:
            out.append((self.slo.calendar.unit.value, self.period))
        return out

    @property
    def elapsed_ratio(self) -> float:
        """Share of the period gone by: 1 for a rolling period, less within a calendar one."""
        return self.bounds.elapsed_ratio(self.evaluated_at)


@dataclass(frozen=True)
class Adjustments:
    """The budget adjustments of an SLO at T: those in force, and the seconds of the
    period they take out (their events were taken out before evaluation)."""

    active: tuple[str, ...]
    excluded_seconds: float


def _adjustments(slo: SLO, bounds: PeriodBounds, at: float) -> Adjustments:
    if not slo.adjustments:
        return Adjustments((), 0.0)
    names = tuple(a.name for a in active(slo.adjustments, at))
    return Adjustments(names, excluded_seconds(slo.adjustments, bounds.start, at))


class MissingWindowError(KeyError):
    """The caller did not count events for a window the SLO needs."""


def window_result(
    window: int,
    events: budget.WindowEvents,
    objective: float,
    no_data: NoData = NoData.SKIP,
    budgeting: Budgeting | None = None,
    *,
    at: float | None = None,
    sliced: bool | None = None,
) -> WindowResult:
    """SLI and burn rate of one window's events, after the no-data policy.

    ``at`` (the evaluation time) and ``sliced`` (events are time slices) are
    passed on to :func:`~exporter.domain.budgeting.fill_empty_slices`.
    """
    counted = fill_empty_slices(
        budget.bounded(events), no_data, budgeting or Budgeting(), window, at=at, sliced=sliced
    )
    ratio = budget.sli(counted)
    if ratio is None:
        ratio = silent_sli(no_data)
    return WindowResult(
        window=window, events=counted, sli=ratio, burn_rate=budget.burn_rate(ratio, objective)
    )


def _enough_events(result: WindowResult, slo: SLO) -> bool:
    counted = result.events.total
    return counted >= slo.min_events or (counted == 0 and slo.no_data is not NoData.SKIP)


def slo_window(
    slo: SLO, window: int, events: budget.WindowEvents, evaluated_at: float
) -> WindowResult:
    """One window of ``slo`` at ``evaluated_at``: its objective, no-data policy and budgeting."""
    return window_result(
        window,
        events,
        slo.objective,
        slo.no_data,
        slo.budgeting,
        at=evaluated_at,
        sliced=slo.sliced,
    )


def _alert_burns(slo: SLO, windows: Mapping[int, WindowResult]) -> dict[int, float | None]:
    # Few events make noisy ratios, so such windows may not fire alerts; silence that a
    # no-data policy gave a meaning to is a clear signal and stays eligible.
    return {w: (r.burn_rate if _enough_events(r, slo) else None) for w, r in windows.items()}


def alert_conditions(
    slo: SLO, events: Mapping[int, budget.WindowEvents], evaluated_at: float
) -> tuple[AlertCondition, ...]:
    """Which of ``slo``'s burn-rate conditions hold at ``evaluated_at``: the alerts part of
    :func:`evaluate_slo`, from the events of the alerting windows only (``backtest``
    replays it at every evaluation time of a past period), with the objective in force then."""
    slo = slo.in_force(evaluated_at)
    windows = {
        w: slo_window(slo, w, events.get(w, budget.WindowEvents(0.0, 0.0)), evaluated_at)
        for w in {w for rule in slo.alerts for w in (rule.long_window, rule.short_window)}
    }
    return evaluate_rules(slo.alerts, _alert_burns(slo, windows))


def evaluate_slo(
    slo: SLO, events: Mapping[int, budget.WindowEvents], evaluated_at: float
) -> SLOResult:
    """Compute windows, budget, alerts and status of ``slo`` at ``evaluated_at``.

    ``events`` maps every window of ``slo.windows_at(evaluated_at)`` (seconds)
    to the good and total events counted in (T - window, T] (budget adjustments
    already taken out). The objective is the one in force at T: the result's
    ``slo`` is ``slo.in_force(evaluated_at)``.
    """
    slo = slo.in_force(evaluated_at)
    needed = slo.windows_at(evaluated_at)
    missing = [w for w in needed if w not in events]
    if missing:
        raise MissingWindowError(f"no events for windows {missing} of SLO {slo.name!r}")

    def result(window: int) -> WindowResult:
        return slo_window(
            slo, window, events.get(window, budget.WindowEvents(0.0, 0.0)), evaluated_at
        )

    windows = {w: result(w) for w in slo.windows}
    bounds = slo.period_bounds(evaluated_at)
    period_window = slo.period_window(evaluated_at)
    period = windows[period_window] if period_window in windows else result(period_window)

    remaining = budget.remaining_ratio(period.burn_rate)
    burn_rates = {w: r.burn_rate for w, r in windows.items()}
    alert_burns = _alert_burns(slo, windows)
    status_burn = burn_rates[slo.status.window]
    length = bounds.length
    if remaining is None:
        remaining_events = remaining_seconds = exhaustion = None
    else:
        remaining_events = budget.remaining_events(period.events, slo.objective)
        remaining_seconds = budget.remaining_seconds(remaining, slo.objective, length)
        exhaustion = budget.exhaustion_seconds(remaining, status_burn, length)
    return SLOResult(
        slo=slo,
        evaluated_at=evaluated_at,
        windows=windows,
        period=period,
        bounds=bounds,
        consumed_ratio=period.burn_rate,
        remaining_ratio=remaining,
        remaining_events=remaining_events,
        remaining_seconds=remaining_seconds,
        exhaustion_seconds=exhaustion,
        status=status_of(remaining, status_burn, slo.status),
        alerts=evaluate_rules(slo.alerts, alert_burns),
        adjustments=_adjustments(slo, bounds, evaluated_at),
    )
