"""The PromQL that counts an SLI's events over one window.

Each SLI kind gives two instant queries per window, a numerator (good
events, or bad ones when the SLI is given as ``bad``) and a total:

* ratio: ``sum(increase(<selector>[<window>]))`` for each selector;
* latency: the same over ``<histogram>_bucket`` with an ``le`` matcher, the
  threshold's bucket for the numerator and the ``+Inf`` bucket for the total;
* query: the user's templates with ``{{window}}`` replaced;
* bool_gauge: ``sum(sum_over_time(...))`` / ``sum(count_over_time(...))`` of a 0/1 gauge;
* threshold, raw, throughput, freshness, and any SLI under timeslice
  budgeting: slices judged by a subquery (see :mod:`exporter.promql.slices`).

Windows are written by :func:`exporter.domain.durations.format_duration`.

The ``le`` label of a bucket is the bound as its client library spelled it:
Go writes ``1`` and ``1e-05``, Python ``1.0``, Java ``1.0E-5``, and
Prometheus 3 rewrites ``1`` as ``1.0`` on scrape. So the numerator matches
every spelling of the threshold with a regex alternation, each spelling's
regex metacharacters escaped: for 1 the regex is ``1|1\\.0``, which the
query writes as the PromQL string ``"1|1\\\\.0"``. PromQL anchors label
regexes at both ends, so ``1`` never matches ``10``. The ``+Inf`` bucket is
matched by the regex ``\\+Inf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import assert_never

from exporter.domain.budgeting import Budgeting, Method
from exporter.domain.durations import format_duration
from exporter.domain.model import (
    SLI,
    BoolGaugeSLI,
    FreshnessSLI,
    LatencySLI,
    QuerySLI,
    RatioSLI,
    RawSLI,
    ThresholdSLI,
    ThroughputSLI,
)
from exporter.promql import slices
from exporter.promql.selectors import MatchOp, Selector, parse_selector, render_template

__all__ = [
    "INF_REGEX",
    "CounterSelectors",
    "ParsedSelectors",
    "SLIQueries",
    "WindowQueries",
    "counter_selectors",
    "increase",
    "le_regex",
    "le_spellings",
    "over_time",
    "parse_selectors",
    "window_queries",
]

INF_REGEX = r"\+Inf"
"""The regex (not yet a PromQL string) matching the ``+Inf`` bucket's ``le``."""

# Go's regexp.QuoteMeta set.
_REGEX_SPECIAL = frozenset(r"\.+*?()|[]{}^$")


@dataclass(frozen=True)
class WindowQueries:
    """The two instant queries for one window.

    ``numerator`` counts good events, or bad ones when ``counts_bad``.
    """

    numerator: str
    total: str
    counts_bad: bool
    batchable: bool = False
    """Both are an aggregate of at most one sample that we wrote (``sum(...)`` of a
    counter's increase or a gauge's samples), so they may be batched with other such
    queries (:mod:`exporter.promql.batch`); a user's template may give anything."""


def _quote_meta(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``abs(value) > 0`` and its decimal exponent.

    ``0.00125`` -> ``("125", -3)``, read as ``1.25 * 10**-3``.
    """
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)  # finite by the caller's check
    text = "".join(map(str, digits))
    return text, len(text) + exponent - 1


def _positional(digits: str, exp: int) -> str:
    point = exp + 1
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return f"{digits[:point]}.{digits[point:]}"


def _mantissa(digits: str, *, min_fraction: int = 0) -> str:
    fraction = digits[1:] or "0" * min_fraction
    return f"{digits[0]}.{fraction}" if fraction else digits[0]


def _go(digits: str, exp: int) -> str:
    # strconv.FormatFloat(v, 'g', -1, 64): exponent form below 1e-4 and from 1e6.
    if exp < -4 or exp >= 6:
        return f"{_mantissa(digits)}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return _positional(digits, exp)


def _with_point(text: str) -> str:
    return text if "." in text or "e" in text else text + ".0"


def _python(value: float) -> str:
    # prometheus_client.utils.floatToGoString, for a finite value.
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def _java(digits: str, exp: int) -> str:
    # Double.toString: plain from 1e-3 to below 1e7, else d.dddE<n>.
    if -3 <= exp < 7:
        return _with_point(_positional(digits, exp))
    return f"{_mantissa(digits, min_fraction=1)}E{exp}"


def _javascript(digits: str, exp: int) -> str:
    # Number.prototype.toString (prom-client): plain from 1e-6 to below 1e21.
    if -6 <= exp < 21:
        return _positional(digits, exp)
    return f"{_mantissa(digits)}e{'-' if exp < 0 else '+'}{abs(exp)}"


def le_spellings(threshold: float) -> tuple[str, ...]:
    """Every way client libraries write ``threshold`` in an ``le`` label.

    Go's ``%g`` (client_golang), the same with ``.0`` on whole numbers
    (OpenMetrics, Prometheus 3), Python's prometheus_client, Java's
    ``Double.toString`` and JavaScript's ``Number.toString`` (prom-client,
    which is plain decimal for any sensible bound); duplicates removed, in
    that order. ``1`` -> ``("1", "1.0")``; ``0.00001`` ->
    ``("1e-05", "1.0E-5", "0.00001")``.
    """
    if not math.isfinite(threshold):
        raise ValueError(f"a bucket bound must be finite, not {threshold}")
    value = float(threshold)
    if value == 0:
        return ("0", "0.0")
    digits, exp = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    go = _go(digits, exp)
    spellings = (
        sign + go,
        sign + _with_point(go),
        _python(value),
        sign + _java(digits, exp),
        sign + _javascript(digits, exp),
    )
    return tuple(dict.fromkeys(spellings))


def le_regex(threshold: float) -> str:
    """The regex (not yet a PromQL string) matching every spelling of ``threshold``."""
    return "|".join(_quote_meta(s) for s in le_spellings(threshold))


def _numerator(sli: RatioSLI | QuerySLI) -> tuple[str, bool]:
    """The good (or else bad) selector or template, and whether it counts bad events."""
    if sli.good is not None:
        return sli.good, False
    if sli.bad is not None:
        return sli.bad, True
    raise ValueError("the SLI gives neither good nor bad")


@dataclass(frozen=True)
class CounterSelectors:
    """The counters an event SLI's queries take ``increase()`` of.

    ``numerator`` selects good events, or bad ones when ``counts_bad``.
    """

    numerator: Selector
    total: Selector
    counts_bad: bool


def counter_selectors(sli: RatioSLI | LatencySLI) -> CounterSelectors:
    """The counter selectors of a ratio SLI or a classic-histogram latency SLI.

    For latency these are the ``_bucket`` series at the threshold (every
    spelling of it) and at ``+Inf``. Native histograms have no such counters.
    """
    if isinstance(sli, LatencySLI):
        if sli.native:
            raise ValueError("a native histogram has no bucket counters")
        histogram = parse_selector(sli.histogram)
        buckets = histogram.with_name(histogram.name + "_bucket")
        return CounterSelectors(
            numerator=buckets.with_matcher("le", MatchOp.REGEX, le_regex(sli.threshold)),
            total=buckets.with_matcher("le", MatchOp.REGEX, INF_REGEX),
            counts_bad=False,
        )
    numerator, counts_bad = _numerator(sli)
    return CounterSelectors(parse_selector(numerator), parse_selector(sli.total), counts_bad)


def _bare(selector: str) -> str:
    return parse_selector(selector).render()


@dataclass(frozen=True)
class ParsedSelectors:
    """An SLI's selectors, parsed and rendered once: the roles its kind has."""

    numerator: str = ""
    total: str = ""
    counts_bad: bool = False
    metric: str = ""
    """The one selector of a native histogram, a 0/1 gauge, a throughput counter or a
    freshness timestamp."""


def parse_selectors(sli: SLI) -> ParsedSelectors:
    """``sli``'s selectors parsed (``ValueError`` if one is not valid) and rendered."""
    match sli:
        case RatioSLI() | LatencySLI() if not (isinstance(sli, LatencySLI) and sli.native):
            selectors = counter_selectors(sli)
            return ParsedSelectors(
                selectors.numerator.render(), selectors.total.render(), selectors.counts_bad
            )
        case LatencySLI():
            return ParsedSelectors(metric=_bare(sli.histogram))
        case BoolGaugeSLI():
            return ParsedSelectors(metric=_bare(sli.metric))
        case ThroughputSLI():
            return ParsedSelectors(metric=_bare(sli.counter))
        case FreshnessSLI():
            return ParsedSelectors(metric=_bare(sli.timestamp))
        case _:
            return ParsedSelectors()


def increase(selector: str, window: str) -> str:
    """``sum(increase(<selector>[<window>]))``: a counter's events in the window."""
    return f"sum(increase({selector}[{window}]))"


def over_time(function: str, selector: str, window: int) -> str:
    """``sum(<function>(<selector>[<window - 1ms>]))``: a gauge's samples in (T - W, T].

    One millisecond short, so a sample exactly at T - W belongs to the window before
    (the same rule as time slices).
    """
    return f"sum({function}({selector}[{window * 1000 - 1}ms]))"


def _native_latency(sli: LatencySLI, histogram: str, window: str) -> WindowQueries:
    counted = increase(histogram, window)
    count = f"histogram_count({counted})"
    return WindowQueries(
        numerator=f"histogram_fraction(0, {sli.threshold!r}, {counted}) * {count}",
        total=count,
        counts_bad=False,
    )


def _query(sli: QuerySLI, window: str) -> WindowQueries:
    numerator, counts_bad = _numerator(sli)
    return WindowQueries(
        numerator=render_template(numerator, window),
        total=render_template(sli.total, window),
        counts_bad=counts_bad,
    )


def _event_queries(sli: SLI, parsed: ParsedSelectors, window: int) -> WindowQueries:
    """Occurrence counting: the events themselves over the window."""
    duration = format_duration(window)
    match sli:
        case LatencySLI() if sli.native:
            return _native_latency(sli, parsed.metric, duration)
        case RatioSLI() | LatencySLI():
            return WindowQueries(
                increase(parsed.numerator, duration),
                increase(parsed.total, duration),
                parsed.counts_bad,
                batchable=True,
            )
        case QuerySLI():
            return _query(sli, duration)
        case BoolGaugeSLI():
            return WindowQueries(
                over_time("sum_over_time", parsed.metric, window),
                over_time("count_over_time", parsed.metric, window),
                False,
                batchable=True,
            )
        case _:
            raise TypeError(f"{type(sli).__name__} is judged per time slice")


def _timesliced(
    sli: SLI, parsed: ParsedSelectors, window: int, budgeting: Budgeting
) -> WindowQueries:
    """Event SLIs under timeslice budgeting: each slice's own SLI, judged or averaged."""
    step = budgeting.slice
    per_slice = _event_queries(sli, parsed, step)
    if isinstance(sli, QuerySLI):  # a template may return labelled series: one number per slice
        per_slice = WindowQueries(
            f"sum({per_slice.numerator})", f"sum({per_slice.total})", per_slice.counts_bad
        )
    ratio = slices.slice_ratio(per_slice.numerator, per_slice.total, per_slice.counts_bad)
    has_data = f"({per_slice.total}) > 0"
    if budgeting.method is Method.RATIO_TIMESLICES:
        numerator = slices.over_time("sum_over_time", ratio, window, step)
    else:
        judged = slices.at_least_bool(ratio, budgeting.slice_target / 100.0)
        numerator = slices.count_good(judged, window, step)
    return WindowQueries(numerator, slices.count_slices(has_data, window, step), False)


def _per_slice(
    sli: ThresholdSLI | RawSLI | ThroughputSLI | FreshnessSLI,
    parsed: ParsedSelectors,
    window: int,
    step: int,
) -> WindowQueries:
    """The SLI kinds that are judged per time slice whatever the budgeting."""
    duration = format_duration(step)
    match sli:
        case ThresholdSLI():
            value = slices.numbers_only(sli.query)
            judged = slices.compare_bool(value, sli.op, sli.value)
        case ThroughputSLI():
            value = f"sum(rate({parsed.metric}[{duration}]))"
            judged = slices.at_least_bool(value, sli.floor)
        case FreshnessSLI():
            value = f"time() - max({parsed.metric})"
            judged = slices.at_most_bool(value, float(sli.max_age))
        case RawSLI():
            value = slices.numbers_only(sli.query)
            return WindowQueries(
                numerator=slices.over_time("sum_over_time", value, window, step),
                total=slices.count_slices(value, window, step),
                counts_bad=sli.failure,
            )
        case _:
            assert_never(sli)
    return WindowQueries(
        slices.count_good(judged, window, step), slices.count_slices(value, window, step), False
    )


class SLIQueries:
    """The window queries of one SLI, with its selectors parsed once.

    Built when a config is loaded (an invalid selector raises ``ValueError``, which
    the config loader has ruled out already); :meth:`window` then only writes text.
    """

    def __init__(self, sli: SLI, budgeting: Budgeting | None = None) -> None:
        self.sli = sli
        self.budgeting = budgeting or Budgeting()
        self.selectors = parse_selectors(sli)
        """The selectors, parsed once; the store's streams read them too."""

    def window(self, window: int) -> WindowQueries:
        """The numerator and total queries over ``window`` seconds."""
        sli = self.sli
        if isinstance(sli, ThresholdSLI | RawSLI | ThroughputSLI | FreshnessSLI):
            return _per_slice(sli, self.selectors, window, self.budgeting.slice)
        if self.budgeting.sliced:
            return _timesliced(sli, self.selectors, window, self.budgeting)
        return _event_queries(sli, self.selectors, window)


def window_queries(sli: SLI, window: int, budgeting: Budgeting | None = None) -> WindowQueries:
    """The numerator and total queries of ``sli`` over ``window`` seconds (one-off: a
    caller that asks for many windows keeps an :class:`SLIQueries`)."""
    return SLIQueries(sli, budgeting).window(window)
