"""The store's two tiers of resolution, and where window edges cut buckets.

**Fine tier.** Each cycle at T appends one bucket (T - interval, T] per
selector, so recent history has one bucket per evaluation interval. A
window (T - W, T] whose W is a multiple of the interval is then an exact
sum of whole buckets.

**Coarse tier.** Buckets that end at or before ``known_until - fine_span``
(floored to the next tier's width) are merged: all buckets whose end falls in
the same slot of that width (multiples of it since the epoch) become one
bucket spanning them. ``fine_span`` is the longest window that needs fine
edges (below), plus an hour, so every such window stays on fine buckets.
The coarse width (:func:`coarse_width`) is the largest of 5, 10, 15, 20, 30
and 60 minutes that still cuts the longest period into at least
:data:`COARSE_PER_PERIOD` buckets: 5 min for 7 days, 20 min for 30 days, 1 h
for 90 days. Merging only joins whole buckets that follow each other: it
adds numbers, never splits one, and loses nothing but resolution (whatever
the evaluation delay, which shifts bucket ends off the slot grid).
Backfilled coarse history is read in aligned buckets of the coarse width
directly.

**Middle tiers.** Only short windows need fine edges. A window W other than
the period reads its oldest edge from buckets of :func:`edge_width`: the
widest of :data:`TIER_WIDTHS` that is wider than the evaluation interval and
at most ``W / EDGE_BUCKETS`` (none: fine buckets). The widths are whole
minutes that divide 5 minutes or are multiples of it, and divide an hour, so
buckets stay on the minute grid of the samples (a windowed ``increase()``
over them is exact) and inside the 5-minute steps of a report. At a 30 s
interval the default windows up to 1d stay fine, 3d reads 1-minute buckets
and the 30-day period 20-minute ones: a cold start reads raw values for a day
instead of three, and 1d + 1h to 3d + 1h holds half the buckets. At a 60 s
interval no width fits between the interval and 3d/2000, so 3d stays fine.
Each such width is a tier reaching back the longest window that uses it, plus
an hour; older buckets merge into the next tier's slots the same way.

**Window boundaries.** A window (lo, T] counts the cumulative level at T
minus the level at lo, and inside a bucket the level rises linearly
(:func:`level_at`). So a bucket (s, e] that the window only partly covers
counts with the share of its length inside the window:
``events * (min(e, T) - max(s, lo)) / (e - s)``. Only a window's oldest
edge can cut a bucket wider than the interval (the period's a coarse one, a
long window's one of its middle tier). The error is at most the events of
that one bucket that sat on the other side of the cut from where linear
apportioning put them: zero when traffic within the bucket was even, and
never more than one bucket's events; a bucket is at most 1/2000 of the
window, so for steady traffic that is 0.05 % of the window's events, and it
stays within the project's 0.1 % unless a bucket at the edge held more than
twice the window's average rate. Windows of at most ``EDGE_BUCKETS``
intervals (16.7 hours at 30 s, 33 hours at 60 s) are always exact, and so is
1d at 30 s (no width lies between 30 s and 1d/2000 = 43 s).
"""

from __future__ import annotations

from exporter.samples import Grid

HOUR = 3600
COARSE_WIDTHS = (300, 600, 900, 1200, 1800, 3600)
"""Coarse bucket widths to choose from: each divides an hour."""
COARSE_PER_PERIOD = 2000
"""A period holds at least this many coarse buckets (unless they would be under 5 min)."""
EDGE_BUCKETS = 2000
"""A window other than the period reads its oldest edge from buckets at most this many
times narrower than itself (or from fine buckets)."""
TIER_WIDTHS = (60, 300, 600, 900, 1200, 1800, 3600)
"""Middle tier widths to choose from: whole minutes that divide 5 minutes or are multiples
of it, and divide an hour."""


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


def edge_width(window: int, interval: int) -> int:
    """The widest bucket the oldest edge of ``window`` may cut (see the module docstring):
    ``interval`` when the window needs fine edges."""
    fitting = [w for w in TIER_WIDTHS if interval < w <= window // EDGE_BUCKETS]
    return fitting[-1] if fitting else interval


def tier_cuts(
    until: int, fine_span: int, tiers: tuple[tuple[int, int], ...], coarse: int
) -> list[tuple[int, int]]:
    """``(width, cut)`` of every tier above the fine one, narrowest first: with the
    history up to ``until``, buckets ending at or before ``cut`` are merged into slots of
    ``width`` (or of a wider tier's, further back). ``tiers`` are the middle tiers as
    ``(width, span)``; each cut is floored to its tier's width and never after the one
    before it."""
    spans = [fine_span, *(span for _, span in tiers)]
    widths = [*(width for width, _ in tiers), coarse]
    out: list[tuple[int, int]] = []
    bound = until
    for span, width in zip(spans, widths, strict=True):
        bound = min(bound, floor_to(until - span, width))
        out.append((width, bound))
    return out


def level_at(t: int, start: int, end: int, events: float, cumulative: float) -> float:
    """Cumulative events at ``t`` by the bucket (start, end] that holds ``events`` and ends
    at level ``cumulative``: linear inside it, the bucket's own levels outside."""
    if t >= end:
        return float(cumulative)
    if t <= start:
        return float(cumulative - events)
    return float(cumulative - events * (end - t) / (end - start))
