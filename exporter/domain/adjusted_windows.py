"""A backtest's replayed windows without the events inside budget adjustments.

``backtest`` counts each alerting window ``(T - W, T]`` at every evaluation time T.
At each T the part of an excluded span ``(s, e]`` inside the window is
``(max(s, T - W), min(e, T)]``: its ends are the span's own ends or evaluation
times shifted by whole windows. All of them lie on a grid of ``gcd(step, windows)``
seconds anchored at the evaluations, apart from the span's ends: so the events
from ``s`` to every such point (:class:`SpanTotals`, cumulative) answer every
window's part by one subtraction, ``eval --at T``'s count of that part
(:mod:`exporter.pipeline.adjusting`). The caller reads the grid's whole steps with
one range query per span and counts the two edge pieces directly
(:func:`span_points`, :func:`split_pieces`).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from exporter.domain.adjustments import Span
from exporter.domain.backtest import WindowSeries
from exporter.domain.budget import WindowEvents


def fine_step(step: int, windows: Sequence[int]) -> int:
    """The grid every window's start and end fall on: gcd of the step and the windows."""
    return math.gcd(step, *windows)


def span_points(span: Span, anchor: int, fine: int) -> list[float]:
    """``s``, the grid points strictly inside ``(s, e)`` (``anchor + k * fine``), ``e``."""
    start, end = span
    first = anchor + math.floor((start - anchor) / fine + 1) * fine
    inside = range(int(first), math.ceil(end), fine)
    return [start, *(p for p in inside if start < p < end), end]


def split_pieces(points: Sequence[float], anchor: int, fine: int) -> tuple[list[int], list[Span]]:
    """The parts between consecutive ``points``: the ends of those that are whole grid steps
    (read together by one range query) and the others, the span's edges (counted apart)."""
    whole: list[int] = []
    edges: list[Span] = []
    for a, b in pairwise(points):
        if b - a == fine and (a - anchor) % fine == 0:
            whole.append(int(b))
        else:
            edges.append((a, b))
    return whole, edges


@dataclass(frozen=True)
class SpanTotals:
    """Events from a span's start to each of its points: ``good[i]``, ``total[i]`` in
    ``(points[0], points[i]]``."""

    points: Sequence[float]
    good: Sequence[float]
    total: Sequence[float]

    @classmethod
    def of(cls, points: Sequence[float], pieces: Mapping[Span, WindowEvents]) -> SpanTotals:
        """Summed from the events of each part between consecutive points."""
        good, total = array("d", [0.0]), array("d", [0.0])
        for a, b in pairwise(points):
            events = pieces[(a, b)]
            good.append(good[-1] + events.good)
            total.append(total[-1] + events.total)
        return cls(points, good, total)

    @property
    def span(self) -> Span:
        """The span ``(start, end]``."""
        return self.points[0], self.points[-1]

    def between(self, index: Mapping[float, int], a: float, b: float) -> tuple[float, float]:
        """Good and total events in ``(a, b]`` (both points of this span; ``index`` maps
        each point to its position)."""
        i, j = index[a], index[b]
        return self.good[j] - self.good[i], self.total[j] - self.total[i]


def without_spans(
    series: WindowSeries, times: Sequence[int], spans: Sequence[SpanTotals]
) -> WindowSeries:
    """``series`` (one window at each of ``times``) less the events inside ``spans`` at each
    time, never below zero; a window wholly inside a span counts nothing."""
    window = series.window
    good, total = array("d", series.good), array("d", series.total)
    for totals in spans:
        start, end = totals.span
        index = {p: i for i, p in enumerate(totals.points)}
        for i in range(bisect_right(times, start), bisect_left(times, end + window)):
            at = times[i]
            a, b = max(start, at - window), min(end, at)
            if b - a >= window:
                good[i] = total[i] = 0.0
                continue
            inside_good, inside_total = totals.between(index, a, b)
            good[i] = max(good[i] - inside_good, 0.0)
            total[i] = max(total[i] - inside_total, 0.0)
    return WindowSeries(window=window, good=good, total=total)
