"""An SLO's ``objectives`` and ``budgetingMethod`` to the native objective and budgeting.

- exactly one objective; ``target`` (a ratio) becomes ``objective`` in
  percent, ``targetPercent`` is taken as it is;
- ``op`` and ``value`` belong to a ``thresholdMetric`` SLI and go there;
- ``Occurrences`` is the native default (no ``budgeting`` written),
  ``Timeslices`` -> ``{method: timeslices, slice, slice_target}`` (from
  ``timeSliceWindow`` and ``timeSliceTarget`` in percent),
  ``RatioTimeslices`` -> ``{method: ratio_timeslices, slice}``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from exporter.openslo import shape
from exporter.openslo.entries import Entry, leaf, mark
from exporter.openslo.located import Located
from exporter.openslo.shorthand_durations import fixed_duration, native

OBJECTIVE_FIELDS = (
    "displayName",
    "op",
    "value",
    "target",
    "targetPercent",
    "timeSliceTarget",
    "timeSliceWindow",
)
_COMPOSITE = (
    "composite SLOs are not supported: give the SLO one indicator in spec.indicator "
    "or spec.indicatorRef, and one objective"
)
REFUSED = {"indicator": _COMPOSITE, "indicatorRef": _COMPOSITE, "compositeWeight": _COMPOSITE}
METHODS = ("Occurrences", "Timeslices", "RatioTimeslices")
OPS = ("lt", "lte", "gt", "gte")


@dataclass(frozen=True)
class Objective:
    """The entries of ``objective``, of ``budgeting`` and of ``sli.threshold`` (op, value)."""

    objective: Entry
    budgeting: tuple[Entry, ...]
    threshold: tuple[Entry, ...]


def percent(ratio: float) -> float:
    """``0.999`` -> ``99.9`` exactly as written (decimal arithmetic, no 99.89999...)."""
    value = float(Decimal(str(ratio)) * 100)
    return int(value) if value.is_integer() else value


def _target(objective: Located, problems: shape.Problems) -> Entry | None:
    ratio, pct = objective["target"], objective["targetPercent"]
    if ratio.present and pct.present:
        problems.append(objective.problem("give either target or targetPercent, not both"))
        return None
    if ratio.present:
        return _target_ratio(ratio, problems)
    if pct.present:
        return _target_percent(pct, problems)
    problem = objective.problem("give target (a ratio, e.g. 0.999) or targetPercent (e.g. 99.9)")
    problems.append(replace(problem, missing="target"))  # quiet when 'tagret' was written
    return None


def _target_ratio(ratio: Located, problems: shape.Problems) -> Entry | None:
    value = shape.number(ratio, problems)
    if value is None:
        return None
    if not 0 < value < 1:
        hint = f"; for a percentage write targetPercent: {value:g}" if 1 < value < 100 else ""
        problems.append(
            ratio.problem(
                f"target is a ratio between 0 and 1 (both excluded), e.g. 0.999; "
                f"got {value:g}{hint}"
            )
        )
        return None
    return leaf(("objective",), percent(value), ratio)


def _target_percent(pct: Located, problems: shape.Problems) -> Entry | None:
    value = shape.number(pct, problems)
    if value is None:
        return None
    if not 0 < value < 100:
        problems.append(
            pct.problem(
                f"targetPercent is a percentage between 0 and 100 (both excluded), "
                f"e.g. 99.9; got {value:g}"
            )
        )
        return None
    return leaf(("objective",), value, pct)


def _threshold(
    objective: Located, sli_kind: str | None, problems: shape.Problems
) -> tuple[Entry, ...] | None:
    op, value = objective["op"], objective["value"]
    if sli_kind is None:
        return ()
    if sli_kind != "threshold":
        for node in (op, value):
            if node.present:
                problems.append(node.problem("op and value only apply to a thresholdMetric SLI"))
        return None if op.present or value.present else ()
    hint = "a thresholdMetric SLI needs op and value: a slice is good when `query op value`"
    if not op.present or not value.present:
        problems.extend(shape.missing(node, hint) for node in (op, value) if not node.present)
        return None
    chosen = shape.choice(op, OPS, problems)
    number = shape.number(value, problems)
    if chosen is None or number is None:
        return None
    return (
        leaf(("threshold", "op"), chosen, op),
        leaf(("threshold", "value"), number, value),
    )


def _slice_target(node: Located, problems: shape.Problems) -> float | None:
    value = shape.number(node, problems)
    if value is None:
        return None
    if not 0 < value <= 1:
        problems.append(
            node.problem(
                "timeSliceTarget is the share of good events that makes a slice good, above 0 "
                f"and at most 1, e.g. 0.95; got {value:g}"
            )
        )
        return None
    return percent(value)


def _budgeting(
    spec: Located, objective: Located, problems: shape.Problems
) -> tuple[Entry, ...] | None:
    method_node = spec["budgetingMethod"]
    method = shape.choice(method_node, METHODS, problems, required=False)
    if method_node.present and method is None:
        return None
    window, target = objective["timeSliceWindow"], objective["timeSliceTarget"]
    if method in (None, "Occurrences"):
        return _occurrences(window, target, problems)
    seconds = fixed_duration(window, problems)
    if method == "RatioTimeslices":
        return _ratio_timeslices(method_node, window, target, seconds, problems)
    slice_target = _slice_target(target, problems)
    if seconds is None or slice_target is None:
        return None
    return (
        mark(("budgeting",), method_node),
        leaf(("budgeting", "method"), "timeslices", method_node),
        leaf(("budgeting", "slice"), native(seconds), window),
        leaf(("budgeting", "slice_target"), slice_target, target),
    )


def _occurrences(
    window: Located, target: Located, problems: shape.Problems
) -> tuple[Entry, ...] | None:
    """Nothing to add; the time-slice fields must not be there."""
    for node in (window, target):
        if node.present:
            problems.append(
                node.problem(
                    f"only used with budgetingMethod Timeslices"
                    f"{' or RatioTimeslices' if node is window else ''}; "
                    "Occurrences counts every event"
                )
            )
    return None if window.present or target.present else ()


def _ratio_timeslices(
    method_node: Located,
    window: Located,
    target: Located,
    seconds: int | None,
    problems: shape.Problems,
) -> tuple[Entry, ...] | None:
    if target.present:
        problems.append(
            target.problem(
                "not used by RatioTimeslices, which averages the slices' own ratios; "
                "remove it, or use Timeslices"
            )
        )
        return None
    if seconds is None:
        return None
    return (
        mark(("budgeting",), method_node),
        leaf(("budgeting", "method"), "ratio_timeslices", method_node),
        leaf(("budgeting", "slice"), native(seconds), window),
    )


def objective(spec: Located, sli_kind: str | None, problems: shape.Problems) -> Objective | None:
    """The objective and budgeting of an SLO's ``spec``; ``sli_kind`` None if the SLI failed."""
    objectives = shape.sequence(spec["objectives"], problems)
    if not objectives:
        if isinstance(spec["objectives"].value, list):
            problems.append(spec["objectives"].problem("give one objective"))
        return None
    if len(objectives) > 1:
        problems.append(
            objectives[1].problem(
                "several objectives are not supported: write one SLO per objective"
            )
        )
        return None
    first = objectives[0]
    if not shape.mapping(first, OBJECTIVE_FIELDS, problems, refused=REFUSED):
        return None
    shape.text(first["displayName"], problems, required=False)
    target = _target(first, problems)
    threshold = _threshold(first, sli_kind, problems)
    budgeting = _budgeting(spec, first, problems)
    if target is None or threshold is None or budgeting is None:
        return None
    return Objective(target, budgeting, threshold)
