"""Objectives suggested from achieved history: pure functions of event counts.

The rule: the strictest tier (:data:`exporter.config.tiers.TIERS`, by availability)
whose objective the history would have met with at least half of its error budget
left; ``best_effort`` when none would (the caller shows what it would have left). A
latency threshold is the smallest bucket bound under which so many requests finished
that the tiers' latency objective (99 %) keeps half of its budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter.domain import budget
from exporter.domain.budget import WindowEvents

SPARE = 0.5
"""Share of the error budget a suggested objective leaves over the history."""
TIER_OBJECTIVES: tuple[tuple[str, float], ...] = (
    ("critical", 99.95),
    ("essential", 99.9),
    ("standard", 99.5),
    ("best_effort", 99.0),
)
"""The tiers' availability objectives, strictest first (the table of ``config/tiers.py``)."""
LATENCY_OBJECTIVE = 99.0
"""Every tier's latency objective: 99 % of requests under the threshold."""


@dataclass(frozen=True)
class Suggestion:
    """A tier, its objective, the achieved SLI and the budget that objective would have left
    (``fits``: at least :data:`SPARE`)."""

    tier: str
    objective: float
    sli: float
    remaining_ratio: float
    fits: bool


def remaining(sli: float, objective: float) -> float:
    """Share of the error budget left after a period with ``sli`` under ``objective``."""
    left = budget.remaining_ratio(budget.burn_rate(sli, objective))
    assert left is not None  # a number in, a number out
    return left


def suggest_tier(events: WindowEvents) -> Suggestion | None:
    """The strictest tier the events would have met with :data:`SPARE` of the budget left,
    else ``best_effort`` (``fits`` False); None without traffic."""
    sli = budget.sli(budget.bounded(events))
    if sli is None:
        return None
    for tier, objective in TIER_OBJECTIVES:
        left = remaining(sli, objective)
        if left >= SPARE:
            return Suggestion(tier, objective, sli, left, True)
    tier, objective = TIER_OBJECTIVES[-1]
    return Suggestion(tier, objective, sli, remaining(sli, objective), False)


def suggest_threshold(buckets: Mapping[float, float]) -> float | None:
    """The smallest finite bucket bound under which enough requests finished for the
    latency objective to keep :data:`SPARE` of its budget (None: no bound does, or no
    requests). ``buckets`` maps each ``le`` (``inf`` included) to its count."""
    total = buckets.get(float("inf"), 0.0)
    if total <= 0:
        return None
    for bound in sorted(b for b in buckets if b != float("inf")):
        sli = min(buckets[bound] / total, 1.0)
        if remaining(sli, LATENCY_OBJECTIVE) >= SPARE:
            return bound
    return None
