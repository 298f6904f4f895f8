"""What to ask the backend so a selector's history covers what its SLOs need at T.

A plan is a list of steps in time order, each a query shape the backend
can answer exactly:

* :class:`Windowed`: one aggregate per bucket end, e.g.
  ``sum(increase(sel[20m]))`` at every multiple of 20 minutes: the coarse
  tier, and the fine tier of a 0/1 gauge (``sum_over_time``/
  ``count_over_time`` never extrapolate, so they are exact at any width);
* :class:`Raw`: the raw value of every series at every point of a grid on
  the evaluation times; the store turns successive values into reset-aware
  increments, which for points on the evaluation grid are exactly the
  increments of the samples in each bucket.

Cold start: coarse buckets from the horizon (the longest window, period
included), each middle tier's buckets over its stretch (see
:mod:`~exporter.store.resolution`), then the fine tier on the evaluation grid
from ``T - fine_span`` up to T (raw values for a counter); every cut between
tiers is floored to the coarser tier's width. Later: only the gap since
``known_until`` (a steady cycle's gap is one point at T: a single instant
query), read by tier the same way when it reaches further back than the fine
tier. History that a longer period now needs is prepended with coarse
buckets.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.samples import Grid, single
from exporter.store.resolution import HOUR, ceil_to, floor_to, grid_after, tier_cuts


@dataclass(frozen=True)
class StreamState:
    """What the store holds for a selector: buckets cover (known_from, known_until].

    ``values_at`` is the time the stored per-series last values describe
    (None until raw values were read: always for a 0/1 gauge's streams).
    """

    known_from: int
    known_until: int
    values_at: int | None


@dataclass(frozen=True)
class Needs:
    """How much history a selector's SLOs need at T (seconds)."""

    horizon: int
    """The longest window at T, the period included: the backfill reaches back this far."""
    fine_span: int
    """The fine tier covers at least this far back from ``known_until``."""
    retention: int
    """Buckets older than this (the longest the period can get, plus margin) are dropped."""
    coarse: int = HOUR
    """Width of the coarse buckets (see :func:`~exporter.store.resolution.coarse_width`)."""
    tiers: tuple[tuple[int, int], ...] = ()
    """Middle tiers between fine and coarse as ``(width, span)``, narrowest first: buckets
    within ``span`` of ``known_until`` are at most ``width`` wide."""

    def cuts(self, until: int) -> list[tuple[int, int]]:
        """Where the tiers meet with the history up to ``until`` (see :func:`tier_cuts`)."""
        return tier_cuts(until, self.fine_span, self.tiers, self.coarse)


@dataclass(frozen=True)
class Windowed:
    """Events of (end - width, end] at every end of ``ends``, one aggregate each."""

    ends: Grid
    width: int


@dataclass(frozen=True)
class Raw:
    """Raw counter values at every point of ``points``.

    ``baseline`` is the time of the values the first increment starts from:
    read from the backend, or None to start from the store's last values.
    """

    baseline: int | None
    points: Grid


Step = Windowed | Raw


@dataclass(frozen=True)
class FillPlan:
    """Steps that extend a selector's history; ``prepend`` goes before ``known_from``."""

    prepend: tuple[Windowed, ...]
    steps: tuple[Step, ...]
    known_from: int
    """``known_from`` once the prepend is done."""
    start: int
    """The steps fill (start, at]: ``known_until`` before them, the horizon when cold."""
    at: int
    compacted_until: int | None = None
    """A cold fill writes every tier aligned as merging at ``known_until`` = this would:
    nothing there to merge."""

    @property
    def seconds(self) -> int:
        """History the plan fetches, in seconds (prepended and appended)."""
        prepended = sum(len(w.ends) * w.width for w in self.prepend)
        return prepended + (self.at - self.start if self.steps else 0)

    @property
    def steady(self) -> bool:
        """True for a plain cycle: one point at ``at`` (raw, from the stored last values)."""
        if self.prepend or len(self.steps) != 1:
            return False
        step = self.steps[0]
        if isinstance(step, Raw):
            return step.baseline is None and len(step.points) == 1
        return len(step.ends) == 1


def coarse(lo: int, hi: int, width: int = HOUR) -> list[Windowed]:
    """Windowed steps covering (lo, hi] with aligned buckets of ``width``, partial at the ends."""
    out: list[Windowed] = []
    first = ceil_to(lo, width)
    if first >= hi:
        return [Windowed(single(hi, width), hi - lo)]
    if first > lo:
        out.append(Windowed(single(first, width), first - lo))
    last = floor_to(hi, width)
    if last > first:
        out.append(Windowed(Grid(first + width, last, width), width))
    if hi > last:
        out.append(Windowed(single(hi, width), hi - last))
    return out


def fine(lo: int, at: int, interval: int, *, raw: bool, baseline: int | None) -> list[Step]:
    """Steps covering (lo, at] with one bucket per evaluation interval ending on ``at``'s grid.

    The first bucket is shorter when ``lo`` is not on that grid.
    """
    grid = grid_after(lo, at, interval)
    if raw:
        return [Raw(baseline, grid)]
    out: list[Step] = []
    if grid.first - lo != interval:
        out.append(Windowed(single(grid.first, interval), grid.first - lo))
        if grid.first == at:
            return out
        grid = Grid(grid.first + interval, at, interval)
    out.append(Windowed(grid, interval))
    return out


def tiered(lo: int, hi: int, cuts: list[tuple[int, int]]) -> list[Windowed]:
    """Windowed steps covering (lo, hi], each stretch in its tier's width (``cuts`` of
    :meth:`Needs.cuts`; ``hi`` is at or before the first cut), oldest first."""
    out: list[Windowed] = []
    for k in reversed(range(len(cuts))):
        width, top = cuts[k]
        bottom = max(cuts[k + 1][1] if k + 1 < len(cuts) else lo, lo)
        top = min(top, hi)
        if top > bottom:
            out += coarse(bottom, top, width)
    return out


def plan_fill(
    state: StreamState | None, at: int, needs: Needs, interval: int, *, raw: bool
) -> FillPlan:
    """The steps that bring a selector's history up to ``at`` (see the module docstring).

    ``raw`` selects raw values for the fine tier (counters); otherwise fine
    buckets are windowed aggregates too (0/1 gauges).
    """
    width = needs.coarse
    horizon_start = floor_to(at - needs.horizon, width)
    cuts = needs.cuts(at)
    fine_start = cuts[0][1]
    if state is None:
        fine_start = min(max(fine_start, horizon_start), at - 1)
        steps: list[Step] = []
        if fine_start > horizon_start:
            steps += tiered(horizon_start, fine_start, cuts)
        steps += fine(fine_start, at, interval, raw=raw, baseline=fine_start)
        merged = at if fine_start > horizon_start else None
        return FillPlan((), tuple(steps), horizon_start, horizon_start, at, merged)
    prepend: tuple[Windowed, ...] = ()
    if horizon_start < state.known_from:
        prepend = tuple(coarse(horizon_start, state.known_from, width))
    known_from = min(horizon_start, state.known_from)
    until = state.known_until
    if until >= at:
        return FillPlan(prepend, (), known_from, until, at)
    if until < fine_start:
        steps = [
            *tiered(until, fine_start, cuts),
            *fine(fine_start, at, interval, raw=raw, baseline=fine_start),
        ]
    else:
        known = state.values_at == until
        steps = fine(until, at, interval, raw=raw, baseline=None if known else until)
    return FillPlan(prepend, tuple(steps), known_from, until, at)
