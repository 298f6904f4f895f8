"""Multiwindow, multi-burn-rate alert conditions (Google SRE workbook, ch. 5).

A condition holds when the burn rate exceeds its factor over both a long
window (it is significant) and a short window (it is still happening).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from exporter.domain.model import BurnRateRule

# The workbook's defaults for a 30-day period, as the share of the period's
# budget each one spends before it fires: (severity, long, short, share).
WORKBOOK_RULES: tuple[tuple[str, int, int, float], ...] = (
    ("page", 3600, 300, 0.02),
    ("page", 6 * 3600, 1800, 0.05),
    ("ticket", 86400, 2 * 3600, 0.10),
    ("ticket", 3 * 86400, 6 * 3600, 0.10),
)


def scaled_factor(budget_share: float, period: int, long_window: int) -> float:
    """Burn-rate threshold that spends ``budget_share`` of the budget in ``long_window``.

    budget share x period / long window: for 30 days, 2 % in 1 h gives 14.4,
    5 % in 6 h gives 6, 10 % in 1 d gives 3 and 10 % in 3 d gives 1.
    """
    return budget_share * period / long_window


@cache
def workbook_rules(period: int) -> tuple[BurnRateRule, ...]:
    """The workbook's four conditions, scaled to ``period`` (worked out once per period:
    every SLO of a config without alerts of its own shares them)."""
    return tuple(
        BurnRateRule(severity, long, short, scaled_factor(share, period, long))
        for severity, long, short, share in WORKBOOK_RULES
    )


@dataclass(frozen=True)
class AlertCondition:
    """A rule and whether it holds at T."""

    rule: BurnRateRule
    firing: bool


def condition_holds(rule: BurnRateRule, burn_rates: Mapping[int, float | None]) -> bool:
    """Burn rate > factor over both windows; a window with no traffic never fires."""
    long_burn = burn_rates.get(rule.long_window)
    short_burn = burn_rates.get(rule.short_window)
    if long_burn is None or short_burn is None:
        return False
    return long_burn > rule.factor and short_burn > rule.factor


def evaluate_rules(
    rules: tuple[BurnRateRule, ...], burn_rates: Mapping[int, float | None]
) -> tuple[AlertCondition, ...]:
    """Every rule with whether it fires, in the order given."""
    return tuple(AlertCondition(rule, condition_holds(rule, burn_rates)) for rule in rules)
