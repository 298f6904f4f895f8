"""Small PromQL writers the rule generators share: numbers, durations, selectors."""

from __future__ import annotations

from decimal import Decimal

from exporter.domain.durations import format_duration
from exporter.promql.selectors import Matcher, MatchOp, Selector


def number(value: float) -> str:
    """A float as PromQL reads it, to 12 significant digits: 14.4, 0.233333333333."""
    return f"{value:.12g}"


def error_budget(objective: float) -> str:
    """``1 - objective/100`` in decimal: 99.9 gives ``0.001`` (not 0.0010000000000000009)."""
    budget = (Decimal(100) - Decimal(repr(objective))) / Decimal(100)
    return format(budget.normalize(), "f")


def duration(seconds: int) -> str:
    """Whole seconds as a PromQL duration: 300 -> ``5m``."""
    return format_duration(seconds)


def duration_ms(millis: int) -> str:
    """Milliseconds as a PromQL duration: 3570000 -> ``59m30s``, 59999 -> ``59s999ms``."""
    seconds, rest = divmod(millis, 1000)
    if not rest:
        return format_duration(seconds)
    return (format_duration(seconds) if seconds else "") + f"{rest}ms"


def selector(name: str, labels: dict[str, str]) -> str:
    """``name{k="v",...}`` with every label matched exactly, values escaped."""
    matchers = tuple(Matcher(k, MatchOp.EQUAL, v) for k, v in labels.items())
    return Selector(name, matchers).render()


def offset(expr: str, seconds: int) -> str:
    """``expr offset <seconds>``, or ``expr`` itself for 0."""
    return expr + offset_modifier(seconds)


def offset_modifier(seconds: int) -> str:
    """`` offset <seconds>`` to append to a selector or range, or nothing for 0."""
    return f" offset {duration(seconds)}" if seconds else ""
