"""The typed SLO model the evaluation works on.

These objects are built once, by the config loader, from an already
validated config; they carry no defaults of their own and do no checking.
Durations are whole seconds (see :mod:`exporter.domain.durations`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class RatioSLI:
    """Good (or bad) and total events from counter selectors.

    Exactly one of ``good`` and ``bad`` is set; each is a PromQL vector
    selector such as ``http_requests_total{code!~"5.."}``.
    """

    total: str
    good: str | None = None
    bad: str | None = None


@dataclass(frozen=True)
class LatencySLI:
    """Requests faster than ``threshold`` seconds, from a classic histogram.

    ``histogram`` is the selector of the histogram's base name; good events
    are its ``_bucket{le=threshold}`` and total events its ``_bucket{le="+Inf"}``.
    """

    histogram: str
    threshold: float


@dataclass(frozen=True)
class QuerySLI:
    """Arbitrary PromQL returning event counts; ``{{window}}`` stands for the window."""

    total: str
    good: str | None = None
    bad: str | None = None


SLI = RatioSLI | LatencySLI | QuerySLI


@dataclass(frozen=True)
class BurnRateRule:
    """One multiwindow, multi-burn-rate alert condition.

    It holds when the burn rate exceeds ``factor`` over both the long and the
    short window. ``factor`` is final: scaling to the SLO's period has been
    done already (see :func:`exporter.domain.alerts.scaled_factor`).
    """

    severity: str
    long_window: int
    short_window: int
    factor: float


@dataclass(frozen=True)
class StatusPolicy:
    """Burn-rate thresholds, over ``window``, that name an SLO's status."""

    window: int
    critical: float = 2.0
    warning: float = 1.5
    attention: float = 1.0


class Status(enum.StrEnum):
    """What an SLO's budget looks like right now, best to worst."""

    HEALTHY = "healthy"
    ATTENTION = "attention"
    WARNING = "warning"
    CRITICAL = "critical"
    EXHAUSTED = "exhausted"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class SLO:
    """One service level objective, ready to evaluate.

    ``objective`` is a percentage of good events (0 < objective < 100);
    ``period`` is the rolling window the budget counts over, in seconds;
    ``windows`` lists every window to evaluate, in seconds, sorted and
    including the period and every window the alerts and the status use.
    """

    name: str
    service: str
    objective: float
    period: int
    sli: SLI
    windows: tuple[int, ...]
    alerts: tuple[BurnRateRule, ...]
    status: StatusPolicy
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def error_budget(self) -> float:
        """The allowed share of bad events: 1 - objective/100."""
        return 1.0 - self.objective / 100.0
