"""Exact ground truth for time slices, gauge SLIs and calendar periods, from History alone.

Nothing here imports the exporter: every number is computed from the increments and gauge
samples that ``history.py`` generated (and wrote into Prometheus), with the semantics the
exporter documents, written out again independently:

* A window W ending at T holds the slices that end at the multiples of the slice length
  ``s`` since the epoch lying in ``(T - W, T]``; the slice ending at ``e`` covers
  ``(e - s, e]`` (its counters' increments sampled at timestamps in that range, its gauge
  samples taken there, its instant values read at ``e``).
* A slice has data when its total is above zero (ratio SLIs), when it holds a gauge sample
  (bool gauge), or when its instant value exists and is a number (threshold, raw,
  throughput, freshness).
* Judgements are exact: slice values are :class:`fractions.Fraction` and bounds are read from
  their decimal text, so "99 %" means 99/100, not the nearest double.  Prometheus compares
  doubles; the two agree unless a slice's value lies within float rounding of the bound
  without being equal to it, which :func:`judge` refuses (it raises, naming the slice), so a
  test can never pass or fail on a rounding accident.

Calendar periods are computed with plain ``datetime``/``zoneinfo`` arithmetic on local dates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from history import History, LabelMatcher

Labels = dict[str, LabelMatcher]
Value = Fraction | None
"""A slice's exact value, or None when the slice has no data."""

# --------------------------------------------------------------------------- slices


def slice_ends(t: int, window: int, s: int) -> range:
    """The ends of the slices of length ``s`` in the window ``(t - window, t]``: every
    multiple of ``s`` since the epoch in that range, oldest first."""
    first = (t - window) // s * s + s
    return range(first, t // s * s + 1, s)


class CounterSum:
    """The matching counters of ``history`` summed, with O(1) exact increases.

    ``increase(t, w)`` is the sum of the increments sampled at timestamps in ``(t - w, t]``
    (what ``sum(increase(...[w]))`` returns at a whole-minute ``t`` on this data);
    ``has_value(t, w)`` says whether ``increase``/``rate`` over ``[t - w, t]`` returns a
    sample at all, which needs two samples in that range.
    """

    def __init__(self, history: History, name: str, labels: Labels | None = None) -> None:
        self.history = history
        series = history.select(name, labels)
        if not series:
            raise ValueError(f"no counter {name}{labels}")
        sums = [sum(column) for column in zip(*(s.increments for s in series), strict=True)]
        if not all(isinstance(x, int) for x in sums):
            raise ValueError(f"{name}{labels}: slice truth needs integer increments")
        self._prefix = [0]
        for increment in sums:
            self._prefix.append(self._prefix[-1] + increment)

    def increase(self, t: float, window: float) -> int:
        hi = self.history.index_at_or_before(t)
        lo = self.history.index_at_or_before(t - window)
        return self._prefix[hi + 1] - self._prefix[lo + 1]

    def has_value(self, t: float, window: float) -> bool:
        h = self.history
        first = max(h.start, math.ceil((t - window) / h.step) * h.step)
        last = min(h.end, t // h.step * h.step)
        return last - first >= h.step


@dataclass(frozen=True)
class Counts:
    """Good and total events of a window, before any no-data policy.

    For time slices ``good`` is the number of good slices (or, for a mean of slice SLIs,
    their sum) and ``total`` the number of slices with data.
    """

    good: Fraction
    total: int

    def __post_init__(self) -> None:
        assert 0 <= self.good <= self.total, self


def judge(value: Fraction, op: str, bound: Fraction, where: object, exact_ties: bool) -> bool:
    """``value <op> bound`` exactly (op: lt, lte, gt, gte).

    Raises when Prometheus' doubles could judge otherwise: a value within 1e-9 (relative)
    of the bound but not equal to it, or equal to it when the PromQL expression is not one
    correctly rounded operation on exact numbers (``exact_ties=False``).
    """
    near = abs(value - bound) <= abs(bound) * Fraction(1, 10**9)
    if near and (value != bound or not exact_ties):
        raise AssertionError(
            f"slice {where}: value {value} = {float(value)!r} sits on the bound {bound}; "
            "float rounding could judge it either way, choose another bound"
        )
    return {
        "lt": value < bound,
        "lte": value <= bound,
        "gt": value > bound,
        "gte": value >= bound,
    }[op]


def count_judged(
    values: Iterable[tuple[int, Value]], op: str, bound: Fraction, exact_ties: bool = True
) -> Counts:
    """Good slices (``value <op> bound``) and slices with data among ``(end, value)``."""
    good = total = 0
    for end, value in values:
        if value is None:
            continue
        total += 1
        good += judge(value, op, bound, end, exact_ties)
    return Counts(Fraction(good), total)


def mean_parts(values: Iterable[tuple[int, Value]]) -> Counts:
    """Sum of the slice values and slices with data (their mean is the SLI)."""
    present = [v for _, v in values if v is not None]
    return Counts(sum(present, Fraction(0)), len(present))


# --------------------------------------------------------------------------- per-slice values


def ratio_values(
    good: CounterSum, total: CounterSum, t: int, window: int, s: int
) -> list[tuple[int, Value]]:
    """Each slice's own SLI: its good increase over its total increase (None without
    traffic)."""
    out: list[tuple[int, Value]] = []
    for end in slice_ends(t, window, s):
        denominator = total.increase(end, s)
        out.append((end, Fraction(good.increase(end, s), denominator) if denominator else None))
    return out


def bool_gauge_values(
    history: History, name: str, labels: Labels | None, t: int, window: int, s: int
) -> list[tuple[int, Value]]:
    """Each slice's share of 1-samples of a 0/1 gauge (None without samples)."""
    out: list[tuple[int, Value]] = []
    for end in slice_ends(t, window, s):
        samples = history.gauge_samples(name, labels, end, s)
        out.append((end, Fraction(int(sum(samples)), len(samples)) if samples else None))
    return out


def instant_values(
    t: int, window: int, s: int, value: Callable[[int], Value]
) -> list[tuple[int, Value]]:
    """``value(end)`` at the end of every slice of the window."""
    return [(end, value(end)) for end in slice_ends(t, window, s)]


def freshness_value(history: History, name: str, labels: Labels | None) -> Callable[[int], Value]:
    """Age in seconds at ``end`` of the freshest timestamp gauge: ``end - max(gauge)``."""

    def age(end: int) -> Value:
        values = history.gauge_at(name, labels, end)
        return Fraction(end) - Fraction(max(values)) if values else None

    return age


def rate_value(counter: CounterSum, s: int) -> Callable[[int], Value]:
    """Per-second rate of the counter over the ``s`` seconds before ``end``."""

    def rate(end: int) -> Value:
        return Fraction(counter.increase(end, s), s) if counter.has_value(end, s) else None

    return rate


def increase_ratio_value(
    numerator: CounterSum, denominator: CounterSum, s: int
) -> Callable[[int], Value]:
    """``increase(numerator) / increase(denominator)`` over the ``s`` seconds before ``end``;
    None without traffic (PromQL's 0/0 is NaN: no number, so no data)."""

    def ratio(end: int) -> Value:
        total = denominator.increase(end, s)
        return Fraction(numerator.increase(end, s), total) if total else None

    return ratio


# --------------------------------------------------------------------------- events


def bool_gauge_events(
    history: History, name: str, labels: Labels | None, t: int, window: int
) -> Counts:
    """Occurrences of a 0/1 gauge: samples equal to 1 and all samples in ``(t - W, t]``."""
    samples = history.gauge_samples(name, labels, t, window)
    assert set(samples) <= {0, 1}
    return Counts(Fraction(int(sum(samples))), len(samples))


def counter_events(good: CounterSum, total: CounterSum, t: int, window: int) -> Counts:
    """Occurrences from counters: good and total increases over ``(t - W, t]``."""
    return Counts(Fraction(good.increase(t, window)), total.increase(t, window))


def with_no_data(counts: Counts, policy: str, t: int, window: int, s: int | None) -> Counts:
    """Apply a no-data policy (skip, good, bad).

    Time slices (``s`` given): every slice of the window without data counts as good or
    bad, so the window holds all ``len(slice_ends(t, window, s))`` slices.  Occurrences
    (``s`` None): events are unchanged (a silent window's SLI is set by :func:`sli`).
    """
    if policy == "skip" or s is None:
        return counts
    missing = len(slice_ends(t, window, s)) - counts.total
    assert missing >= 0
    good = counts.good + (missing if policy == "good" else 0)
    return Counts(good, counts.total + missing)


def sli(counts: Counts, policy: str) -> Fraction | None:
    """good / total; without any events None (skip), 1 (good) or 0 (bad)."""
    if counts.total > 0:
        return counts.good / counts.total
    return {"skip": None, "good": Fraction(1), "bad": Fraction(0)}[policy]


def burn_rate(ratio: Fraction | None, objective: str) -> Fraction | None:
    """(1 - SLI) / (1 - objective), the objective a decimal percentage such as "99.9"."""
    if ratio is None:
        return None
    return (1 - ratio) / (1 - Fraction(objective) / 100)


# --------------------------------------------------------------------------- calendar


def calendar_period(unit: str, zone: str, t: float) -> tuple[float, float]:
    """Start and end (unix seconds) of the week (Monday 00:00) or month (the 1st, 00:00)
    containing ``t``, both at local midnight in ``zone``; ``t`` exactly at a start begins
    that period."""
    tz = ZoneInfo(zone)
    today = datetime.fromtimestamp(t, tz).date()
    if unit == "week":
        first = today - timedelta(days=today.isoweekday() - 1)
        following = first + timedelta(weeks=1)
    elif unit == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=31)).replace(day=1)
    else:
        raise ValueError(unit)
    start = datetime.combine(first, time(0), tzinfo=tz).timestamp()
    end = datetime.combine(following, time(0), tzinfo=tz).timestamp()
    return start, end


__all__ = [
    "CounterSum",
    "Counts",
    "bool_gauge_events",
    "bool_gauge_values",
    "burn_rate",
    "calendar_period",
    "count_judged",
    "counter_events",
    "freshness_value",
    "increase_ratio_value",
    "instant_values",
    "judge",
    "mean_parts",
    "rate_value",
    "ratio_values",
    "sli",
    "slice_ends",
    "with_no_data",
]
