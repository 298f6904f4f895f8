"""When an exhausted budget recovers: old bad events leaving a rolling period.

At ``T + d`` a rolling period of length ``P`` holds the events counted over the
window ``P - d`` that ends at ``T`` (the oldest ``d`` seconds have left it) plus
``d`` seconds of new traffic. The assumption: new traffic arrives at the rate
counted over the status window at ``T``, good and bad events alike. The budget
has recovered at the first ``d`` where ``bad < error_budget * total``.

``d`` is searched on a grid, coarse over the whole period and then fine
between the last coarse shift that had not recovered and the first that had:
:func:`shift_grid` gives each grid, whole minutes apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter.domain.budget import WindowEvents

PARTS = 24
"""Shifts per grid: the wait is found to within period / PARTS² (about 1.25 h for 30 days)."""


@dataclass(frozen=True)
class Recovery:
    """How long until the budget recovers, and on what assumption.

    ``seconds`` is None when the budget does not recover within the period at
    the current rate; ``resolution`` is the grid step the wait was found on.
    """

    seconds: int | None
    resolution: int
    assumption: str


def shift_grid(start: int, stop: int, parts: int = PARTS) -> tuple[int, ...]:
    """Shifts in ``(start, stop]``, a ``parts``-th of it apart (whole minutes), ``stop`` last."""
    step = max(60, (stop - start) // parts // 60 * 60)
    return (*range(start + step, stop, step), stop)


def has_recovered(
    kept: WindowEvents, shift: int, rate: WindowEvents, rate_window: int, error_budget: float
) -> bool:
    """True when the period ``shift`` seconds on has budget left, under the rate assumption."""
    bad = kept.bad + rate.bad * shift / rate_window
    total = kept.total + rate.total * shift / rate_window
    return total > 0 and bad < error_budget * total


def first_recovery(
    kept: Mapping[int, WindowEvents], rate: WindowEvents, rate_window: int, error_budget: float
) -> int | None:
    """The smallest shift of ``kept`` (shift -> events kept) at which the budget has recovered."""
    for shift in sorted(kept):
        if has_recovered(kept[shift], shift, rate, rate_window, error_budget):
            return shift
    return None


def format_wait(seconds: int) -> str:
    """``~5 h``, ``~40 min``, ``~3 d 4 h``: a wait rounded for people."""
    if seconds < 3600:
        return f"~{max(1, round(seconds / 60))} min"
    hours = round(seconds / 3600)
    if hours < 48:
        return f"~{hours} h"
    return f"~{hours // 24} d {hours % 24} h"
