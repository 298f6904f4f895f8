"""Service tiers: default objectives and latency thresholds by criticality.

| tier          | availability objective | latency: 99 % of requests under |
|---------------|------------------------|---------------------------------|
| critical      | 99.95 %                | 100 ms                          |
| essential     | 99.9 %                 | 500 ms                          |
| standard      | 99.5 %                 | 1 s                             |
| best_effort   | 99.0 %                 | 2 s                             |

A tier only fills in what an SLO leaves out: an SLO with ``tier:`` and no
``objective`` gets the tier's availability objective, or 99 % for a latency
SLI (the tiers' latency targets are p99s); a latency SLI without
``threshold`` gets the tier's. Anything written explicitly wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    """One row of the tier table."""

    availability: float
    latency_threshold: float
    latency_objective: float = 99.0


TIERS: dict[str, Tier] = {
    "critical": Tier(availability=99.95, latency_threshold=0.1),
    "essential": Tier(availability=99.9, latency_threshold=0.5),
    "standard": Tier(availability=99.5, latency_threshold=1.0),
    "best_effort": Tier(availability=99.0, latency_threshold=2.0),
}


def objective_for(tier: str, latency: bool) -> float:
    """The tier's default objective: its availability, or the p99 for a latency SLI."""
    row = TIERS[tier]
    return row.latency_objective if latency else row.availability


def threshold_for(tier: str) -> float:
    """The tier's default latency threshold in seconds."""
    return TIERS[tier].latency_threshold
