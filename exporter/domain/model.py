"""The typed SLO model the evaluation works on.

These objects are built once, by the config loader, from an already
validated config; they carry no defaults of their own and do no checking.
Durations are whole seconds (see :mod:`exporter.domain.durations`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from exporter.domain.adjustments import Adjustment
from exporter.domain.budgeting import Budgeting, NoData
from exporter.domain.calendar import CalendarPeriod, PeriodBounds, period_bounds
from exporter.domain.composite import Component, CompositeMethod
from exporter.domain.grouping import Grouping
from exporter.domain.phases import Phase, phase_at


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
    native: bool = False


@dataclass(frozen=True)
class QuerySLI:
    """Arbitrary PromQL returning event counts; ``{{window}}`` stands for the window."""

    total: str
    good: str | None = None
    bad: str | None = None


@dataclass(frozen=True)
class BoolGaugeSLI:
    """A 0/1 gauge such as ``probe_success``: each sample is one event, good when 1."""

    metric: str


@dataclass(frozen=True)
class ThresholdSLI:
    """An instant expression judged per time slice: a slice is good when ``query op value``."""

    query: str
    op: str
    value: float


@dataclass(frozen=True)
class RawSLI:
    """An expression that already returns the SLI (or, with ``failure``, the error ratio).

    It is averaged per time slice: each slice with data weighs the same.
    """

    query: str
    failure: bool = False


@dataclass(frozen=True)
class ThroughputSLI:
    """A slice is good when the counter's per-second rate over the slice is >= ``floor``."""

    counter: str
    floor: float


@dataclass(frozen=True)
class FreshnessSLI:
    """A slice is good when ``time() - timestamp`` is at most ``max_age`` seconds."""

    timestamp: str
    max_age: int


@dataclass(frozen=True)
class CompositeSLI:
    """Events worked out from other SLOs' (:mod:`exporter.domain.composite`), not queried."""

    method: CompositeMethod
    components: tuple[Component, ...]
    parts: Mapping[str, SLO] = field(default_factory=lambda: MappingProxyType({}))
    """Every SLO the composite is made of, nested composites' components too, by name."""

    def leaves(self) -> tuple[SLO, ...]:
        """The SLOs whose events are counted for it: its parts that are no composites."""
        return tuple(p for p in self.parts.values() if not isinstance(p.sli, CompositeSLI))


SLI = (
    RatioSLI
    | LatencySLI
    | QuerySLI
    | BoolGaugeSLI
    | ThresholdSLI
    | RawSLI
    | ThroughputSLI
    | FreshnessSLI
    | CompositeSLI
)
SLICED_KINDS = (ThresholdSLI, RawSLI, ThroughputSLI, FreshnessSLI)
"""SLI kinds that are judged per time slice whatever the budgeting method."""


@dataclass(frozen=True)
class BurnRateRule:
    """One multiwindow, multi-burn-rate alert condition.

    It holds when the burn rate exceeds ``factor`` over both the long and the
    short window. ``factor`` is final: scaling to the SLO's period has been
    done already (see :func:`exporter.domain.alerts.scaled_factor`).
    ``labels`` and ``annotations`` are extra ones for the alert rule of its
    severity, as (name, value) pairs.
    """

    severity: str
    long_window: int
    short_window: int
    factor: float
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StatusPolicy:
    """Burn-rate thresholds, over ``window``, that name an SLO's status."""

    window: int
    critical: float = 2.0
    warning: float = 1.5
    attention: float = 1.0


class Status(enum.StrEnum):
    """What an SLO's budget looks like right now, best to worst; then the two states that
    judge no budget: ``no_data`` (the period had no traffic) and ``unknown`` (the SLO's
    latest evaluation failed or none has succeeded yet; any numbers shown are the last good
    ones). The budget math never names ``unknown``: the outputs do, for an SLO without a
    current result."""

    HEALTHY = "healthy"
    ATTENTION = "attention"
    WARNING = "warning"
    CRITICAL = "critical"
    EXHAUSTED = "exhausted"
    NO_DATA = "no_data"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SLO:
    """One service level objective, ready to evaluate.

    ``objective`` is a percentage of good events (0 < objective < 100);
    ``period`` is the rolling window the budget counts over, in seconds (for
    a calendar period: its nominal length, used to scale alert factors);
    ``windows`` lists every fixed window to evaluate, in seconds, sorted and
    including every window the alerts and the status use, and the period
    when it is rolling. ``min_events`` is the traffic an alert window needs
    before its burn rate may fire an alert. ``runbook_url`` and
    ``dashboard_url`` (empty when not configured) go into its alerts.
    ``phases`` are earlier objectives in force until given times (see
    :meth:`in_force`); ``phase`` is the phase an :meth:`in_force` copy took
    its objective from (None: the SLO's own objective). Events inside
    ``adjustments`` do not count (:mod:`exporter.domain.adjustments`).
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
    calendar: CalendarPeriod | None = None
    budgeting: Budgeting = field(default_factory=Budgeting)
    no_data: NoData = NoData.SKIP
    min_events: float = 0.0
    description: str = ""
    runbook_url: str = ""
    dashboard_url: str = ""
    alert_name: str = ""
    """The burn alerts' name in rule files; empty for the default."""
    grouping: Grouping | None = None
    """Set on a grouped SLO (``group_by``): it is evaluated as one SLO per group."""
    group: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """One group's label values (empty unless this SLO is a group of a grouped one)."""
    group_of: str = ""
    """The grouped SLO this is one group of (``slo`` label of its series); else empty."""
    phases: tuple[Phase, ...] = ()
    phase: Phase | None = None
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def sli_is_composite(self) -> bool:
        """True for a composite SLO (its events come from other SLOs')."""
        return isinstance(self.sli, CompositeSLI)

    @property
    def family(self) -> str:
        """The name its series carry as ``slo``: the grouped SLO's for a group, else its own."""
        return self.group_of or self.name

    def in_force(self, at: float) -> SLO:
        """The SLO as it stands at ``at``: the objective of the phase in force then."""
        if not self.phases:
            return self
        phase = phase_at(self.phases, at)
        if phase is None:
            return replace(self, phases=())
        return replace(self, objective=phase.objective, phases=(), phase=phase)

    @property
    def error_budget(self) -> float:
        """The allowed share of bad events: 1 - objective/100."""
        return 1.0 - self.objective / 100.0

    @property
    def sliced(self) -> bool:
        """True when events are time slices (timeslice budgeting or a per-slice SLI kind)."""
        return self.budgeting.sliced or isinstance(self.sli, SLICED_KINDS)

    def period_bounds(self, at: float) -> PeriodBounds:
        """The budget's period at ``at``: [at - period, at] rolling, or the calendar period."""
        if self.calendar is None:
            return PeriodBounds(start=at - self.period, end=at)
        return period_bounds(self.calendar, at)

    def period_window(self, at: float) -> int:
        """Seconds of the period that lie before ``at`` (whole seconds, at least 0)."""
        if self.calendar is None:
            return self.period
        return max(int(at - self.period_bounds(at).start), 0)

    def windows_at(self, at: float) -> tuple[int, ...]:
        """Every window to count events for at ``at``, the period's included (none empty)."""
        period = self.period_window(at)
        return tuple(sorted({*self.windows, period} - {0}))
