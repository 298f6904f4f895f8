"""Native mode's building block: one SLI's events in one step, as PromQL.

A recording rule evaluated every ``step`` seconds records the events of the
step that ended ``offset`` seconds ago; summing the last ``W / step`` of these
records gives the events of a window ``W`` without counting any twice.
``offset`` leaves scrapes time to land: a sample scraped just before a rule
evaluation but stored just after it would otherwise fall between two steps.

Counters (ratio SLIs, classic-histogram latency) use the exact difference of
the counter's values instead of ``increase()``::

    sum(
        (x offset o - last_over_time(x[10m] offset o+step) >= 0)
      or
        (x offset o < last_over_time(x[10m] offset o+step))
    ) or vector(0)

A step's record is the newest value at its end minus the newest value at its
start, so consecutive steps share their boundary values and add up exactly
to newest(T - o) - newest(T - o - W): what ``increase(x[W])`` counts without
extrapolation, whatever the scrape interval. ``last_over_time`` reaches over
failed scrapes (their staleness markers) and gaps of up to 10 minutes, so the
events of a gap land in the step after it. A counter that went down was
reset; its new value is what it counted since. ``increase()`` over each step
would instead extrapolate every step on its own (noisy for rare events) and
see nothing at all when a step holds a single scrape.

Query SLIs are opaque PromQL: the template is evaluated with ``{{window}}``
set to the step, so it needs at least two scrapes per step and carries
``increase()``'s extrapolation. Native-histogram latency likewise. 0/1 gauges
(``bool_gauge``) count samples in ``(t - o - step, t - o]``, which tiles exactly.

Every step record falls back to ``vector(0)``: a selector that matches
nothing counts no events, as in the exporter.
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser

from exporter.domain.model import (
    SLI,
    SLICED_KINDS,
    SLO,
    BoolGaugeSLI,
    LatencySLI,
    QuerySLI,
    RatioSLI,
)
from exporter.promql.selectors import Selector, parse_selector, render_template
from exporter.promql.sli_queries import counter_selectors
from exporter.rules.promql_text import duration, duration_ms, offset, offset_modifier

GAP_TOLERANCE = 600
"""Seconds over which a counter's previous value is still found (failed scrapes, restarts)."""


@dataclass(frozen=True)
class StepQueries:
    """PromQL for one step's events of an SLI.

    ``numerator`` counts good events, or bad ones when ``counts_bad``.
    ``presence`` is an instant vector that is empty exactly when the SLI's
    total events have no series at all (None when that cannot be told).
    """

    numerator: str
    total: str
    counts_bad: bool
    presence: str | None


def unsupported(slo: SLO, step: int) -> str | None:
    """Why native mode cannot evaluate ``slo`` with this step, or None when it can
    (a grouped SLO: see also :func:`exporter.rules.grouped_tiles.grouped_refusal`)."""
    if slo.sli_is_composite:
        return (
            "a composite SLO's events are worked out from other SLOs' at evaluation time; "
            "use --mode exporter"
        )
    if slo.calendar is not None:
        return "a calendar period starts at a moving point in time; native rules sum fixed windows"
    if isinstance(slo.sli, SLICED_KINDS):
        kind = type(slo.sli).__name__.removesuffix("SLI").lower()
        return f"a {kind} SLI is judged per time slice"
    if slo.budgeting.sliced:
        return "time-slice budgeting is not available in native mode"
    for window in slo.windows:
        if window % step:
            return (
                f"window {duration(window)} is not a multiple of alerting.native_interval "
                f"({duration(step)})"
            )
    return None


def counter_step(counter: Selector, step: int, delay: int, by: tuple[str, ...] = ()) -> str:
    """A counter's events in the step, summed (``by`` labels: per group, no fallback)."""
    rendered = counter.render()
    now = offset(rendered, delay)
    gap = duration(GAP_TOLERANCE)
    before = f"last_over_time({rendered}[{gap}] offset {duration(delay + step)})"
    summed = f"sum by ({', '.join(by)}) " if by else "sum"
    events = f"{summed}(\n    ({now} - {before} >= 0)\n  or\n    ({now} < {before})\n)"
    return events if by else f"{events}\nor vector(0)"


def _returns_scalar(expr: promql_parser.Expr) -> bool:
    """Whether a parsed expression gives a scalar rather than an instant vector."""
    if isinstance(expr, promql_parser.NumberLiteral):
        return True
    if isinstance(expr, promql_parser.ParenExpr | promql_parser.UnaryExpr):
        return _returns_scalar(expr.expr)
    if isinstance(expr, promql_parser.BinaryExpr):
        return _returns_scalar(expr.lhs) and _returns_scalar(expr.rhs)
    if isinstance(expr, promql_parser.Call):
        return bool(expr.func.return_type == promql_parser.ValueType.Scalar)
    return False


def _as_vector(query: str) -> tuple[str, bool]:
    """``query`` as an instant vector (scalars wrapped in ``vector()``), and whether it was one."""
    if _returns_scalar(promql_parser.parse(query)):
        return f"vector({query})", False
    return query, True


def _template_step(template: str, step: int, delay: int) -> str:
    """The template over one step, ``delay`` seconds ago, summed."""
    query, _ = _as_vector(render_template(template, duration(step)))
    # A subquery is the one way to shift a whole expression back in time.
    shifted = f"last_over_time(({query})[1s:1s] offset {duration(delay)})" if delay else query
    return f"sum({shifted}) or vector(0)"


def _template_presence(template: str) -> str | None:
    """The template over the gap tolerance: empty only when its series are really gone.

    (Over one step it can be empty between two scrapes.) None for a scalar template.
    """
    query, is_vector = _as_vector(render_template(template, duration(GAP_TOLERANCE)))
    return query if is_vector else None


def _native_histogram_step(sli: LatencySLI, step: int, delay: int) -> StepQueries:
    histogram = parse_selector(sli.histogram).render()
    increase = f"sum(increase({histogram}[{duration(step)}]{offset_modifier(delay)}))"
    count = f"histogram_count({increase})"
    return StepQueries(
        numerator=f"histogram_fraction(0, {sli.threshold!r}, {increase}) * {count} or vector(0)",
        total=f"{count} or vector(0)",
        counts_bad=False,
        presence=histogram,
    )


def step_queries(sli: SLI, step: int, delay: int) -> StepQueries:
    """The events of the step that ended ``delay`` seconds ago, for an SLI native mode supports."""
    match sli:
        case RatioSLI() | LatencySLI() if not (isinstance(sli, LatencySLI) and sli.native):
            counters = counter_selectors(sli)
            return StepQueries(
                numerator=counter_step(counters.numerator, step, delay),
                total=counter_step(counters.total, step, delay),
                counts_bad=counters.counts_bad,
                presence=counters.total.render(),
            )
        case LatencySLI():
            return _native_histogram_step(sli, step, delay)
        case QuerySLI():
            numerator, counts_bad = (sli.good, False) if sli.good is not None else (sli.bad, True)
            assert numerator is not None  # the config requires good or bad
            return StepQueries(
                numerator=_template_step(numerator, step, delay),
                total=_template_step(sli.total, step, delay),
                counts_bad=counts_bad,
                presence=_template_presence(sli.total),
            )
        case BoolGaugeSLI():
            metric = parse_selector(sli.metric).render()
            samples = f"{metric}[{duration_ms(step * 1000 - 1)}]{offset_modifier(delay)}"
            return StepQueries(
                numerator=f"sum(sum_over_time({samples})) or vector(0)",
                total=f"sum(count_over_time({samples})) or vector(0)",
                counts_bad=False,
                presence=metric,
            )
        case _:
            raise ValueError(f"native mode cannot count events of {type(sli).__name__}")
