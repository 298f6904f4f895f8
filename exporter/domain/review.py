"""Recommendations and the weekly-review status from a report's figures: explicit rules.

Each rule is a pure function of the figures it names and says which ones
triggered it (the README lists the rules):

- ``budget-exhausted``: the period's budget is used up (remaining <= 0):
  prioritise reliability work; the SLO's rank among the report's SLOs by
  budget consumed and its incident count are given.
- ``could-tighten``: met in this and the previous period, each consuming
  under ``TIGHTEN_BELOW`` of the budget: the objective was never at risk.
- ``noisy-alerts``: ``NOISY_MIN`` or more incidents that each consumed
  under ``NOISY_SHARE`` of the budget: short bursts that page while costing little.
- ``min-events``: fewer than ``FEW_EVENTS`` events per alerting window on
  average and no ``min_events`` set: burn rates over so few events are noise.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.domain.durations import format_duration
from exporter.domain.report import Incident, PeriodFigures

TIGHTEN_BELOW = 0.25
NOISY_SHARE = 0.01
NOISY_MIN = 3
FEW_EVENTS = 100.0
YELLOW_BELOW = 0.5
"""A service is yellow while an SLO has under half its budget left (and none is exhausted)."""


@dataclass(frozen=True)
class Recommendation:
    """One triggered rule and the sentence that explains it with its figures."""

    rule: str
    text: str


@dataclass(frozen=True)
class SLOFigures:
    """What the rules look at for one SLO."""

    name: str
    current: PeriodFigures
    previous: PeriodFigures
    incidents: Sequence[Incident]
    window: int
    steps: int
    min_events: float


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.1f} %"


def _exhausted(slo: SLOFigures, rank: int, of: int) -> Recommendation | None:
    remaining = slo.current.remaining_ratio
    if remaining is None or remaining > 0 or slo.current.consumed_ratio is None:
        return None
    return Recommendation(
        "budget-exhausted",
        f"budget exhausted ({_pct(slo.current.consumed_ratio)} consumed, rank {rank} of {of} "
        f"by budget consumed, {len(slo.incidents)} incidents): prioritise reliability work "
        "over features until it recovers",
    )


def _tighten(slo: SLOFigures) -> Recommendation | None:
    now, before = slo.current.consumed_ratio, slo.previous.consumed_ratio
    if now is None or before is None or max(now, before) >= TIGHTEN_BELOW:
        return None
    return Recommendation(
        "could-tighten",
        f"objective never at risk: {_pct(before)} then {_pct(now)} of the budget consumed "
        f"in the last 2 periods (under {_pct(TIGHTEN_BELOW)}): the objective could be tightened",
    )


def _noisy(slo: SLOFigures) -> Recommendation | None:
    cheap = [
        i
        for i in slo.incidents
        if i.budget_consumed_ratio is not None and i.budget_consumed_ratio < NOISY_SHARE
    ]
    if len(cheap) < NOISY_MIN:
        return None
    return Recommendation(
        "noisy-alerts",
        f"{len(cheap)} of {len(slo.incidents)} incidents each consumed under "
        f"{_pct(NOISY_SHARE)} of the budget: alerts on the "
        f"{format_duration(slo.window)} window fire while spending little; "
        "consider longer windows or min_events",
    )


def _few_events(slo: SLOFigures) -> Recommendation | None:
    if slo.min_events > 0 or slo.steps == 0 or slo.current.events.total == 0:
        return None
    per_window = slo.current.events.total / slo.steps
    if per_window >= FEW_EVENTS:
        return None
    return Recommendation(
        "min-events",
        f"{per_window:.1f} events per {format_duration(slo.window)} window on average "
        f"(under {FEW_EVENTS:g}): set min_events so a handful of failures cannot page",
    )


def recommendations(slos: Sequence[SLOFigures]) -> dict[str, list[Recommendation]]:
    """Every triggered rule per SLO name, in the order of the module's list."""
    ranked = sorted(slos, key=lambda s: -(s.current.consumed_ratio or 0.0))
    rank = {s.name: i + 1 for i, s in enumerate(ranked)}
    out: dict[str, list[Recommendation]] = {}
    for slo in slos:
        found = (
            _exhausted(slo, rank[slo.name], len(slos)),
            _tighten(slo),
            _noisy(slo),
            _few_events(slo),
        )
        out[slo.name] = [r for r in found if r is not None]
    return out


class ReviewStatus(enum.StrEnum):
    """The weekly review's traffic light."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def review_status(remaining: Sequence[float | None]) -> ReviewStatus:
    """Red if any SLO's budget is exhausted, yellow if any has under half left, else green."""
    known = [r for r in remaining if r is not None]
    if any(r <= 0 for r in known):
        return ReviewStatus.RED
    if any(r < YELLOW_BELOW for r in known):
        return ReviewStatus.YELLOW
    return ReviewStatus.GREEN
