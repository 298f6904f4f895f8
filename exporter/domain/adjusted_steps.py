"""A report's per-step events without those inside budget adjustments.

A step ``(end - step, end]`` wholly inside an excluded span counts nothing;
a step the span's edge cuts loses the events of the part inside, which the
caller counts (:func:`cut_pieces` says which parts). So the period's events
are those of ``eval --at end`` with the adjustments taken out, and a
forgiven outage is no incident.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import replace

from exporter.domain.adjustments import Span
from exporter.domain.budget import WindowEvents
from exporter.domain.report import StepSeries


def _pieces(steps: StepSeries, spans: Sequence[Span]) -> dict[int, list[Span]]:
    """Per step index, the parts of ``spans`` inside it (steps without any: absent)."""
    out: dict[int, list[Span]] = {}
    if not spans or not len(steps):
        return out
    first = steps.ends[0] - steps.step
    for start, end in spans:
        lower = max(int((start - first) // steps.step), 0)
        upper = min(int((end - first) // steps.step) + 1, len(steps))
        for i in range(lower, upper):
            a, b = max(start, steps.ends[i] - steps.step), min(end, steps.ends[i])
            if b > a:
                out.setdefault(i, []).append((a, b))
    return out


def cut_pieces(steps: StepSeries, spans: Sequence[Span]) -> list[Span]:
    """The parts of ``spans`` inside steps they do not cover whole: to be counted."""
    whole = steps.step
    return sorted(
        piece
        for parts in _pieces(steps, spans).values()
        for piece in parts
        if piece[1] - piece[0] < whole
    )


def without_spans(
    steps: StepSeries, spans: Sequence[Span], cut: Mapping[Span, WindowEvents]
) -> StepSeries:
    """``steps`` with the events inside ``spans`` taken out (``cut``: the events of each
    piece :func:`cut_pieces` named); never below zero."""
    pieces = _pieces(steps, spans)
    if not pieces:
        return steps
    good, total = array("d", steps.good), array("d", steps.total)
    for i, parts in pieces.items():
        if sum(b - a for a, b in parts) >= steps.step:
            good[i] = total[i] = 0.0
            continue
        good[i] = max(good[i] - sum(cut[p].good for p in parts), 0.0)
        total[i] = max(total[i] - sum(cut[p].total for p in parts), 0.0)
        good[i] = min(good[i], total[i])
    return replace(steps, good=good, total=total)
