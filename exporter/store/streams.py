"""Which SLIs the store can count, and the streams of events it keeps for them.

A stream is what the store keeps one history for, keyed by its selector so
that SLOs sharing a selector share the history:

* a counter selector (``ratio`` good/bad/total, a classic histogram's
  ``_bucket`` series at the threshold and at ``+Inf``): increments of raw
  values, reset-aware;
* a 0/1 gauge (``bool_gauge``): its samples' sum (good events) and count
  (all events), from ``sum_over_time``/``count_over_time``, which count
  samples exactly and need a PromQL backend.

Query templates, native histograms, the per-slice kinds and timeslice
budgeting cannot be split into per-interval increments; those SLOs keep
their direct window queries.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from exporter.domain.calendar import CalendarUnit
from exporter.domain.durations import format_duration
from exporter.domain.model import (
    SLO,
    BoolGaugeSLI,
    FreshnessSLI,
    LatencySLI,
    QuerySLI,
    RatioSLI,
    RawSLI,
    ThresholdSLI,
    ThroughputSLI,
)
from exporter.promql.sli_queries import ParsedSelectors, increase, over_time
from exporter.store.plan import Needs
from exporter.store.resolution import HOUR, coarse_width, edge_width

_LONGEST_CALENDAR = {
    CalendarUnit.WEEK: 7 * 86400,
    CalendarUnit.MONTH: 31 * 86400,
    CalendarUnit.QUARTER: 92 * 86400,
}


class Kind(enum.Enum):
    """How a stream's increments are read."""

    COUNTER = "counter"
    GAUGE_SUM = "sum_over_time"
    GAUGE_COUNT = "count_over_time"


@dataclass(frozen=True)
class Stream:
    """One history in the store: ``key`` names it, ``selector`` is the PromQL it reads."""

    selector: str
    kind: Kind

    @property
    def key(self) -> str:
        """The store's name for it: the selector, or ``sum_over_time(<selector>)`` for a gauge."""
        if self.kind is Kind.COUNTER:
            return self.selector
        return f"{self.kind.value}({self.selector})"

    @property
    def raw(self) -> bool:
        """True when fine buckets come from raw values (counters)."""
        return self.kind is Kind.COUNTER

    def windowed(self, seconds: int) -> str:
        """PromQL for the stream's events in (t - seconds, t], evaluated at t."""
        if self.kind is Kind.COUNTER:
            return increase(self.selector, format_duration(seconds))
        return over_time(self.kind.value, self.selector, seconds)


@dataclass(frozen=True)
class StoredSLI:
    """The two streams an SLO's events come from."""

    numerator: Stream
    total: Stream
    counts_bad: bool
    bucket_check: bool
    """A latency SLI: a threshold that is no bucket bound must be reported."""


_PROMQL = "is PromQL, which needs a backend"
_KIND_REFUSALS: dict[type, str] = {
    QuerySLI: f"a query SLI {_PROMQL}",
    ThresholdSLI: f"a threshold SLI {_PROMQL}",
    RawSLI: f"a raw SLI {_PROMQL}",
    ThroughputSLI: "a throughput SLI judges time slices with PromQL, which needs a backend",
    FreshnessSLI: "a freshness SLI judges time slices with PromQL, which needs a backend",
}
_GAUGE_REFUSAL = "a bool_gauge SLI is counted with sum_over_time, which needs a backend"


@dataclass(frozen=True)
class Refusal:
    """Why the store cannot count an SLO from raw counter values, and which part of the
    SLO is the reason: ``kind`` (its SLI kind), ``native`` (a native histogram) or
    ``method`` (time-slice budgeting)."""

    part: str
    reason: str


def refusal(slo: SLO, *, gauges: bool) -> Refusal | None:
    """Why the store cannot keep ``slo``'s events, or None when it can.

    This is the one answer to "can the store count this SLO?": the store
    counter routes by it and the config loader refuses a ``source: scrape``
    config by it. ``gauges`` says whether 0/1 gauges can be kept too (their
    samples are counted by a PromQL backend).
    """
    sli = slo.sli
    why = _KIND_REFUSALS.get(type(sli))
    if why is None and isinstance(sli, BoolGaugeSLI) and not gauges:
        why = _GAUGE_REFUSAL
    if why is not None:
        return Refusal("kind", why)
    if isinstance(sli, LatencySLI) and sli.native:
        return Refusal(
            "native",
            "native histograms are not in the text formats a scrape reads; "
            "use a classic histogram (its _bucket series)",
        )
    if slo.budgeting.sliced:
        return Refusal(
            "method",
            f"{slo.budgeting.method.value} budgeting judges time slices with PromQL, "
            "which needs a backend",
        )
    return None


def stored_sli(slo: SLO, parsed: ParsedSelectors) -> StoredSLI | None:
    """The streams of ``slo``'s events, or None when the store cannot count it.

    ``parsed`` are the SLI's selectors as its queries parsed them
    (:attr:`~exporter.promql.sli_queries.SLIQueries.selectors`): each is parsed once.
    """
    if refusal(slo, gauges=True) is not None:
        return None
    sli = slo.sli
    if isinstance(sli, RatioSLI) or (isinstance(sli, LatencySLI) and not sli.native):
        return StoredSLI(
            numerator=Stream(parsed.numerator, Kind.COUNTER),
            total=Stream(parsed.total, Kind.COUNTER),
            counts_bad=parsed.counts_bad,
            bucket_check=isinstance(sli, LatencySLI),
        )
    if isinstance(sli, BoolGaugeSLI):
        selector = parsed.metric
        return StoredSLI(
            numerator=Stream(selector, Kind.GAUGE_SUM),
            total=Stream(selector, Kind.GAUGE_COUNT),
            counts_bad=False,
            bucket_check=False,
        )
    raise AssertionError(f"refusal() accepted an SLI the store has no streams for: {sli}")


def _longest_period(slo: SLO) -> int:
    if slo.calendar is None:
        return slo.period
    return _LONGEST_CALENDAR[slo.calendar.unit] + HOUR  # a daylight saving hour


def _short_windows(slo: SLO) -> Iterable[int]:
    """The windows besides the period."""
    return (w for w in slo.windows if slo.calendar is not None or w != slo.period)


def needs(slos: Iterable[SLO], at: int, interval: int) -> Needs:
    """What the SLOs sharing a stream need at ``at``: fine buckets back the longest short
    window that needs fine edges, a middle tier for each wider edge width the other
    short windows allow (:func:`~exporter.store.resolution.edge_width`), then coarse."""
    listed = list(slos)
    horizon = max(max(slo.windows_at(at)) for slo in listed)
    longest = [max(_longest_period(slo), *slo.windows) for slo in listed]
    width = min(coarse_width(period, interval) for period in longest)
    spans: dict[int, int] = {interval: interval}
    for window in (w for slo in listed for w in _short_windows(slo)):
        edge = edge_width(window, interval)
        if edge < width:
            spans[edge] = max(spans.get(edge, 0), window)
    fine = max(span for edge, span in spans.items() if edge <= interval)
    tiers = tuple((edge, span + HOUR) for edge, span in sorted(spans.items()) if interval < edge)
    return Needs(
        horizon=horizon,
        fine_span=fine + HOUR,
        retention=max(longest) + HOUR,
        coarse=width,
        tiers=tiers,
    )
