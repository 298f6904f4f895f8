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
from exporter.domain.model import SLO, BoolGaugeSLI, LatencySLI, RatioSLI
from exporter.promql.queries import counter_selectors, increase, over_time
from exporter.promql.selectors import parse_selector
from exporter.store.plan import Needs
from exporter.store.tiers import HOUR, coarse_width

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

    @property
    def needs_range_reads(self) -> bool:
        """A 0/1 gauge's samples are counted by the backend (``sum_over_time``), so only
        a source that can read the past (a PromQL backend) can keep it."""
        return not self.numerator.raw


def stored_sli(slo: SLO) -> StoredSLI | None:
    """The streams of ``slo``'s events, or None when it needs direct window queries."""
    if slo.sliced:
        return None
    sli = slo.sli
    if isinstance(sli, RatioSLI) or (isinstance(sli, LatencySLI) and not sli.native):
        selectors = counter_selectors(sli)
        return StoredSLI(
            numerator=Stream(selectors.numerator.render(), Kind.COUNTER),
            total=Stream(selectors.total.render(), Kind.COUNTER),
            counts_bad=selectors.counts_bad,
            bucket_check=isinstance(sli, LatencySLI),
        )
    if isinstance(sli, BoolGaugeSLI):
        selector = parse_selector(sli.metric).render()
        return StoredSLI(
            numerator=Stream(selector, Kind.GAUGE_SUM),
            total=Stream(selector, Kind.GAUGE_COUNT),
            counts_bad=False,
            bucket_check=False,
        )
    return None


def _longest_period(slo: SLO) -> int:
    if slo.calendar is None:
        return slo.period
    return _LONGEST_CALENDAR[slo.calendar.unit] + HOUR  # a daylight saving hour


def _short_windows(slo: SLO) -> Iterable[int]:
    """The windows besides the period."""
    return (w for w in slo.windows if slo.calendar is not None or w != slo.period)


def needs(slos: Iterable[SLO], at: int, interval: int) -> Needs:
    """What the SLOs sharing a stream need at ``at``."""
    listed = list(slos)
    horizon = max(max(slo.windows_at(at)) for slo in listed)
    short = max((w for slo in listed for w in _short_windows(slo)), default=interval)
    longest = [max(_longest_period(slo), *slo.windows) for slo in listed]
    return Needs(
        horizon=horizon,
        fine_span=short + HOUR,
        retention=max(longest) + HOUR,
        coarse=min(coarse_width(period, interval) for period in longest),
    )
