"""The store's two tiers of resolution, and where window edges cut buckets.

**Fine tier.** Each cycle at T appends one bucket (T - interval, T] per
selector, so recent history has one bucket per evaluation interval. A
window (T - W, T] whose W is a multiple of the interval is then an exact
sum of whole buckets.

**Coarse tier.** Buckets that end at or before ``known_until - fine_span``
(floored to the coarse width) are merged: all buckets whose end falls in
the same slot of the coarse width (multiples of it since the epoch) become
one bucket spanning them. ``fine_span`` is the longest window an SLO of
the selector shows besides its period, plus an hour, so every such window
stays on fine buckets. The coarse width (:func:`coarse_width`) is the
largest of 5, 10, 15, 20, 30 and 60 minutes that still cuts the longest
period into at least :data:`COARSE_PER_PERIOD` buckets: 5 min for 7 days,
20 min for 30 days, 1 h for 90 days. So a selector holds about
``fine_span / interval + 2000`` buckets whatever its period. Merging only
joins whole buckets that follow each other: it adds numbers, never splits
one, and loses nothing but resolution (whatever the evaluation delay,
which shifts bucket ends off the slot grid). Backfilled coarse history is
read in aligned buckets of the coarse width directly.

**Window boundaries.** A window (lo, T] counts the cumulative level at T
minus the level at lo, and inside a bucket the level rises linearly
(:func:`level_at`). So a bucket (s, e] that the window only partly covers
counts with the share of its length inside the window:
``events * (min(e, T) - max(s, lo)) / (e - s)``. Only the period's window
reaches into the coarse tier, and only its oldest edge can cut a coarse
bucket. The error is at most the events of that one bucket that sat on
the other side of the cut from where linear apportioning put them: zero
when traffic within the bucket was even, and never more than one bucket's
events, about 1/2000 (0.05 %) of the period's events for steady traffic.
"""

from __future__ import annotations

from exporter.samples import Grid

HOUR = 3600
COARSE_WIDTHS = (300, 600, 900, 1200, 1800, 3600)
"""Coarse bucket widths to choose from: each divides an hour."""
COARSE_PER_PERIOD = 2000
"""A period holds at least this many coarse buckets (unless they would be under 5 min)."""


def floor_to(t: int, width: int) -> int:
    """The multiple of ``width`` at or before ``t``."""
    return t // width * width


def ceil_to(t: int, width: int) -> int:
    """The multiple of ``width`` at or after ``t``."""
    return -(-t // width) * width


def grid_after(lo: int, at: int, interval: int) -> Grid:
    """The points ``at - k * interval`` (k >= 0) that are later than ``lo`` (``lo < at``)."""
    steps = (at - lo - 1) // interval
    return Grid(at - steps * interval, at, interval)


def coarse_width(period: int, interval: int) -> int:
    """The coarse bucket width for a period: see the module docstring.

    It is never narrower than the evaluation interval (up to an hour).
    """
    fitting = [w for w in COARSE_WIDTHS if period // w >= COARSE_PER_PERIOD]
    width = fitting[-1] if fitting else COARSE_WIDTHS[0]
    wide_enough = [w for w in COARSE_WIDTHS if w >= interval]
    return max(width, wide_enough[0] if wide_enough else HOUR)


def level_at(t: int, start: int, end: int, events: float, cumulative: float) -> float:
    """Cumulative events at ``t`` by the bucket (start, end] that holds ``events`` and ends
    at level ``cumulative``: linear inside it, the bucket's own levels outside."""
    if t >= end:
        return float(cumulative)
    if t <= start:
        return float(cumulative - events)
    return float(cumulative - events * (end - t) / (end - start))
