"""Error-budget arithmetic over counted events.

All functions take plain numbers. A window with no events has no SLI:
functions that need one return ``None`` rather than NaN, so nothing
downstream ever has to guess what a sentinel meant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowEvents:
    """Good and total events counted in (T - W, T]."""

    good: float
    total: float

    @property
    def bad(self) -> float:
        """Events that missed the objective."""
        return self.total - self.good

    @property
    def has_traffic(self) -> bool:
        """True when there is at least some traffic to judge."""
        return self.total > 0


def events_from_bad(bad: float, total: float) -> WindowEvents:
    """Events of an SLI that counts bad instead of good events."""
    return WindowEvents(good=total - bad, total=total)


def bounded(events: WindowEvents) -> WindowEvents:
    """Keep good events within [0, total].

    Good and total come from separate queries; counters scraped a moment
    apart can put good a hair above total (or bad above total). An SLI above
    100 % or below 0 % means nothing, so the excess is dropped.
    """
    total = max(events.total, 0.0)
    return WindowEvents(good=min(max(events.good, 0.0), total), total=total)


def error_budget(objective: float) -> float:
    """The allowed share of bad events for an objective given in percent."""
    return 1.0 - objective / 100.0


def sli(events: WindowEvents) -> float | None:
    """Good / total, or None when there was no traffic."""
    if not events.has_traffic:
        return None
    return events.good / events.total


def burn_rate(sli: float | None, objective: float) -> float | None:
    """How many times faster than sustainable the budget burns at this SLI.

    (1 - SLI) / (1 - objective): 1 spends exactly the budget over the
    period, 0 spends nothing. None when there is no SLI (no traffic).
    The period's burn rate is also the share of its budget consumed, which
    exceeds 1 once the objective is missed.
    """
    if sli is None:
        return None
    return (1.0 - sli) / error_budget(objective)


def remaining_ratio(consumed: float | None) -> float | None:
    """1 - consumed; negative once the budget is overspent (never clamped)."""
    if consumed is None:
        return None
    return 1.0 - consumed


def remaining_events(period_events: WindowEvents, objective: float) -> float:
    """Bad events still allowed in the period: budget x total - bad (may be negative)."""
    return error_budget(objective) * period_events.total - period_events.bad


def remaining_seconds(remaining: float, objective: float, period: float) -> float:
    """The remaining budget as seconds of full outage (negative when overspent).

    The whole period's budget is ``(1 - objective) x period`` seconds of full
    outage. Exact for steady traffic; with uneven traffic it is the outage
    length that would spend the remaining budget at the period's average rate.
    """
    return remaining * error_budget(objective) * period


def exhaustion_seconds(remaining: float, current_burn: float | None, period: float) -> float:
    """Time until the budget is gone if the current burn rate holds.

    A burn rate of 1 spends a whole budget in one period, so the remaining
    share lasts remaining x period / burn. Zero when already exhausted;
    ``math.inf`` when nothing is burning (no traffic counts as not burning).
    """
    if remaining <= 0:
        return 0.0
    if current_burn is None or current_burn <= 0:
        return math.inf
    return remaining * period / current_burn
