"""A Pyrra ``indicator`` to the native ``sli``.

=================================================  ==================================
Pyrra                                              native ``sli``
=================================================  ==================================
``ratio: {errors, total}``                         ``ratio: {bad, total}``
``latency: {success: X_bucket{le="T",...},``       ``latency: {histogram: X{...},``
``total: X_count{...}}``                           ``threshold: T}``
``latency`` of another shape                       ``ratio: {good: success, total}``
``latencyNative: {latency: 200ms, total: X}``      ``latency: {histogram: X,``
                                                   ``threshold: 0.2, native: true}``
``boolGauge`` (or ``bool_gauge``) ``{metric}``     ``bool_gauge: {metric}``
=================================================  ==================================

A classic ``latency`` becomes the native latency SLI when its two selectors
are the bucket and the count of one histogram with the same matchers: the
native SLI matches every spelling of the bucket bound (``1`` and ``1.0``),
and the ``+Inf`` bucket it counts equals ``_count``. Any other shape is
counted exactly as written. ``grouping`` (one SLO per label value) becomes the
native ``group_by`` of the SLO (:func:`group_by`).
"""

from __future__ import annotations

import re

from exporter.openslo import shape
from exporter.openslo.entries import Entry, leaf, mark
from exporter.openslo.located import Located
from exporter.promql.selectors import MatchOp, Selector, parse_selector

KINDS = ("ratio", "latency", "latencyNative", "boolGauge", "bool_gauge")
GROUPING = "grouping: expected a list of label names, such as [route]"
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(text: str) -> float:
    """A Prometheus duration (``200ms``, ``1m30s``) in seconds; ValueError otherwise."""
    parts = list(_DURATION.finditer(text.strip()))
    if not parts or "".join(part.group(0) for part in parts) != text.strip():
        raise ValueError(f"{text!r} is not a duration such as 200ms, 1s or 1m30s")
    return sum(int(part.group(1)) * _SECONDS[part.group(2)] for part in parts)


def _metric(node: Located, problems: shape.Problems) -> tuple[str, Located] | None:
    if not shape.mapping(node, ("metric",), problems, required=("metric",)):
        return None
    text = shape.text(node["metric"], problems)
    return None if text is None else (text.strip(), node["metric"])


def _grouping(node: Located, problems: shape.Problems) -> bool:
    value = node["grouping"].value
    if value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return True
    problems.append(node["grouping"].problem(GROUPING))
    return False


def group_by(node: Located) -> Entry | None:
    """The native ``group_by`` entry for the indicator's ``grouping``; None without one.

    Call it after :func:`indicator` accepted ``node`` (which checked the list).
    """
    for kind in KINDS:
        grouping = node[kind]["grouping"] if node[kind].present else None
        if grouping is not None and grouping.value:
            return leaf(("group_by",), list(grouping.value), grouping)
    return None


def _ratio(node: Located, problems: shape.Problems) -> list[Entry] | None:
    fields = ("errors", "total", "grouping")
    if not shape.mapping(node, fields, problems, required=("errors", "total")):
        return None
    grouped = _grouping(node, problems)
    errors, total = _metric(node["errors"], problems), _metric(node["total"], problems)
    if errors is None or total is None or not grouped:
        return None
    return [
        mark(("ratio",), node),
        leaf(("ratio", "bad"), errors[0], errors[1]),
        leaf(("ratio", "total"), total[0], total[1]),
    ]


def _histogram(success: str, total: str) -> tuple[str, float] | None:
    """The histogram and bound when ``success`` and ``total`` are its bucket and count."""
    try:
        good, count = parse_selector(success), parse_selector(total)
        bounds = good.on("le")
        if len(bounds) != 1 or bounds[0].op is not MatchOp.EQUAL:
            return None
        threshold = float(bounds[0].value)
    except ValueError:
        return None
    base = good.name.removesuffix("_bucket")
    others = tuple(m for m in good.matchers if m.label != "le")
    if base == good.name or count.name != f"{base}_count" or others != count.matchers:
        return None
    return Selector(base, others).render(), threshold


def _latency(node: Located, problems: shape.Problems) -> list[Entry] | None:
    fields = ("success", "total", "grouping")
    if not shape.mapping(node, fields, problems, required=("success", "total")):
        return None
    grouped = _grouping(node, problems)
    success, total = _metric(node["success"], problems), _metric(node["total"], problems)
    if success is None or total is None or not grouped:
        return None
    histogram = _histogram(success[0], total[0])
    if histogram is None:
        return [
            mark(("ratio",), node),
            leaf(("ratio", "good"), success[0], success[1]),
            leaf(("ratio", "total"), total[0], total[1]),
        ]
    return [
        mark(("latency",), node),
        leaf(("latency", "histogram"), histogram[0], success[1]),
        leaf(("latency", "threshold"), histogram[1], success[1]),
    ]


def _native(node: Located, problems: shape.Problems) -> list[Entry] | None:
    fields = ("latency", "total", "grouping")
    if not shape.mapping(node, fields, problems, required=("latency", "total")):
        return None
    grouped = _grouping(node, problems)
    total = _metric(node["total"], problems)
    latency = shape.text(node["latency"], problems)
    threshold = None
    if latency is not None:
        try:
            threshold = seconds(latency)
        except ValueError as error:
            problems.append(node["latency"].problem(str(error)))
    if total is None or threshold is None or not grouped:
        return None
    return [
        mark(("latency",), node),
        leaf(("latency", "histogram"), total[0], total[1]),
        leaf(("latency", "threshold"), threshold, node["latency"]),
        leaf(("latency", "native"), True, node),
    ]


def _bool_gauge(node: Located, problems: shape.Problems) -> list[Entry] | None:
    if not shape.mapping(node, ("metric", "grouping"), problems, required=("metric",)):
        return None
    grouped = _grouping(node, problems)
    metric = shape.text(node["metric"], problems)
    if metric is None or not grouped:
        return None
    return [
        mark(("bool_gauge",), node),
        leaf(("bool_gauge", "metric"), metric.strip(), node["metric"]),
    ]


def indicator(node: Located, problems: shape.Problems) -> list[Entry] | None:
    """The entries under the native ``sli``; None (with problems) when there are none."""
    if not shape.mapping(node, KINDS, problems):
        return None
    given = [kind for kind in KINDS if node[kind].present]
    if len(given) != 1:
        problems.append(
            node.problem("give exactly one of ratio, latency, latencyNative, boolGauge")
        )
        return None
    kind = given[0]
    if kind == "ratio":
        return _ratio(node[kind], problems)
    if kind == "latency":
        return _latency(node[kind], problems)
    if kind == "latencyNative":
        return _native(node[kind], problems)
    return _bool_gauge(node[kind], problems)
