"""One SLO's full result at time T, from the events counted in each window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter.domain import budget
from exporter.domain.alerts import AlertCondition, evaluate_rules
from exporter.domain.model import SLO, Status
from exporter.domain.status import status_of


@dataclass(frozen=True)
class WindowResult:
    """Events, SLI and burn rate over one window; the ratios are None without traffic."""

    window: int
    events: budget.WindowEvents
    sli: float | None
    burn_rate: float | None


@dataclass(frozen=True)
class SLOResult:
    """Everything the exporter shows about one SLO at ``evaluated_at``.

    The budget fields are None when the period had no traffic; then
    ``data_ok`` is False and the status is ``no_data``.
    ``exhaustion_seconds`` is ``math.inf`` when nothing burns.
    """

    slo: SLO
    evaluated_at: float
    windows: Mapping[int, WindowResult]
    consumed_ratio: float | None
    remaining_ratio: float | None
    remaining_events: float | None
    remaining_seconds: float | None
    exhaustion_seconds: float | None
    status: Status
    alerts: tuple[AlertCondition, ...]

    @property
    def period(self) -> WindowResult:
        """The result over the SLO's whole period."""
        return self.windows[self.slo.period]

    @property
    def data_ok(self) -> bool:
        """True when the period had traffic, so the budget numbers exist."""
        return self.remaining_ratio is not None


class MissingWindowError(KeyError):
    """The caller did not count events for a window the SLO needs."""


def window_result(window: int, events: budget.WindowEvents, objective: float) -> WindowResult:
    """SLI and burn rate of one window's events."""
    return WindowResult(
        window=window,
        events=events,
        sli=budget.sli(events),
        burn_rate=budget.burn_rate(events, objective),
    )


def evaluate_slo(
    slo: SLO, events: Mapping[int, budget.WindowEvents], evaluated_at: float
) -> SLOResult:
    """Compute windows, budget, alerts and status of ``slo`` at ``evaluated_at``.

    ``events`` maps every window of ``slo.windows`` (seconds) to the good and
    total events counted in (T - window, T].
    """
    missing = [w for w in slo.windows if w not in events]
    if missing:
        raise MissingWindowError(f"no events for windows {missing} of SLO {slo.name!r}")
    windows = {w: window_result(w, budget.bounded(events[w]), slo.objective) for w in slo.windows}
    period = windows[slo.period].events
    remaining = budget.remaining_ratio(period, slo.objective)
    burn_rates = {w: r.burn_rate for w, r in windows.items()}
    status_burn = burn_rates[slo.status.window]
    if remaining is None:
        remaining_events = remaining_seconds = exhaustion = None
    else:
        remaining_events = budget.remaining_events(period, slo.objective)
        remaining_seconds = budget.remaining_seconds(remaining, slo.objective, slo.period)
        exhaustion = budget.exhaustion_seconds(remaining, status_burn, slo.period)
    return SLOResult(
        slo=slo,
        evaluated_at=evaluated_at,
        windows=windows,
        consumed_ratio=budget.consumed_ratio(period, slo.objective),
        remaining_ratio=remaining,
        remaining_events=remaining_events,
        remaining_seconds=remaining_seconds,
        exhaustion_seconds=exhaustion,
        status=status_of(remaining, status_burn, slo.status),
        alerts=evaluate_rules(slo.alerts, burn_rates),
    )
