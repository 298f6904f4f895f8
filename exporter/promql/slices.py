"""PromQL that judges time slices: timeslice budgeting and the per-slice SLI kinds.

A window W is cut into slices of ``slice`` seconds with a subquery
``(<expr>)[<W - 1ms>:<slice>]``. Subquery steps are multiples of the slice
length since the epoch, so every evaluation sees the same slices; the range
is one millisecond shorter than W so the step at exactly T - W is left out
and an aligned window holds exactly W / slice slices (Prometheus 2 selects
ranges closed on the left, Prometheus 3 open: both agree on this range).

For each window the numerator is a count of good slices (or a sum of slice
SLIs) and the total a count of slices with data::

    good:   sum(sum_over_time((<slice is good, 1 or 0>)[W-1ms:slice]))
    total:  sum(count_over_time((<slice has data>)[W-1ms:slice]))

A slice without data yields no sample at all (a division by a filtered-out
zero total is empty, not NaN), so it is neither good nor counted. User
expressions (threshold, raw) are passed through :func:`numbers_only` for the
same reason: their ``0 / 0`` in a slice without traffic is NaN, which
``count_over_time`` would count and ``sum_over_time`` would turn the whole
window into.
"""

from __future__ import annotations

from exporter.domain.durations import format_duration


def subquery_range(window: int, step: int) -> str:
    """``[<window - 1ms>:<step>]``: the slices ending in (T - window, T]."""
    return f"[{window * 1000 - 1}ms:{format_duration(step)}]"


def over_time(function: str, expr: str, window: int, step: int) -> str:
    """``sum(<function>((<expr>)[W-1ms:step]))``."""
    return f"sum({function}(({expr}){subquery_range(window, step)}))"


def count_good(judged: str, window: int, step: int) -> str:
    """Slices where the 0/1 expression ``judged`` was 1."""
    return over_time("sum_over_time", judged, window, step)


def count_slices(expr: str, window: int, step: int) -> str:
    """Slices where ``expr`` had a value."""
    return over_time("count_over_time", expr, window, step)


def numbers_only(expr: str) -> str:
    """``expr`` without its NaN samples (NaN compares false to everything, even -Inf)."""
    return f"({expr}) >= -Inf"


def at_least_bool(expr: str, bound: float) -> str:
    """1 where ``expr >= bound``, else 0."""
    return f"({expr}) >= bool {bound!r}"


def at_most_bool(expr: str, bound: float) -> str:
    """1 where ``expr <= bound``, else 0."""
    return f"({expr}) <= bool {bound!r}"


_OPERATORS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def compare_bool(expr: str, op: str, value: float) -> str:
    """1 where ``expr <op> value`` (op one of lt, lte, gt, gte), else 0."""
    return f"({expr}) {_OPERATORS[op]} bool {value!r}"


def slice_ratio(good: str, total: str, counts_bad: bool) -> str:
    """A slice's own SLI from its good (or bad) and total event expressions.

    The numerator falls back to 0 when its series are missing (no errors at
    all is common); slices whose total is 0 give no sample.
    """
    ratio = f"(({good}) or vector(0)) / (({total}) > 0)"
    return f"1 - ({ratio})" if counts_bad else ratio
