"""Budget adjustments: time an SLO's budget does not count, good and bad events alike.

An adjustment is one interval, or recurring ones (the config expands an RFC 5545
``RRULE`` into the start of every occurrence, see :mod:`exporter.config.recurrence`),
selecting some SLOs. For an SLO, the events inside its adjustments are taken out of
every window and the period at any T, retroactively: the pipeline counts the events
of each :class:`Span` a window overlaps and :func:`adjusted` takes them out before
:func:`~exporter.domain.evaluate.evaluate_slo`. Spans are ``(start, end]`` in unix
seconds, like the windows ``(T - W, T]``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from exporter.domain.budget import WindowEvents

Span = tuple[float, float]
"""Events at times t with ``start < t <= end``."""


@dataclass(frozen=True)
class Adjustment:
    """Events of the selected SLOs in ``(s, s + length]`` for each ``s`` of ``starts``
    (just ``start`` for a one-off) do not count."""

    name: str
    start: float
    length: float
    reason: str = ""
    recurrence: str = ""
    """The ``RRULE`` the starts come from (empty: happens once)."""
    starts: tuple[float, ...] = field(default=(), repr=False)
    """Every occurrence's start, in time order (empty: just ``start``)."""

    def spans(self, after: float, until: float) -> list[Span]:
        """Occurrences overlapping ``(after, until]``, whole (not clipped), in time order."""
        starts = self.starts or (self.start,)
        first = bisect.bisect_right(starts, after - self.length)
        last = bisect.bisect_left(starts, until)
        return [(s, s + self.length) for s in starts[first:last]]


def merged(spans: Iterable[Span]) -> list[Span]:
    """``spans`` in time order, overlapping or touching ones joined."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def excluded(adjustments: Sequence[Adjustment], after: float, until: float) -> list[Span]:
    """The time of ``adjustments`` inside ``(after, until]``, merged and clipped."""
    spans = (s for a in adjustments for s in a.spans(after, until))
    return [(max(s, after), min(e, until)) for s, e in merged(spans)]


def active(adjustments: Sequence[Adjustment], at: float) -> tuple[Adjustment, ...]:
    """The adjustments in force at ``at`` (an occurrence with ``start < at <= end``)."""
    return tuple(a for a in adjustments if any(s < at <= e for s, e in a.spans(at - 1, at)))


def window_spans(
    adjustments: Sequence[Adjustment], windows: Iterable[int], at: float
) -> dict[int, list[Span]]:
    """Per window, the excluded spans inside ``(at - window, at]`` (windows with none: absent)."""
    out: dict[int, list[Span]] = {}
    for window in windows:
        spans = excluded(adjustments, at - window, at)
        if spans:
            out[window] = spans
    return out


def adjusted(
    events: Mapping[int, WindowEvents],
    spans: Mapping[int, Sequence[Span]],
    inside: Mapping[Span, WindowEvents],
) -> dict[int, WindowEvents]:
    """Each window's events less those ``inside`` its excluded ``spans`` (never below 0)."""
    out = dict(events)
    for window, taken in spans.items():
        counted = events.get(window)
        if counted is None:
            continue
        good = counted.good - sum(inside[s].good for s in taken)
        total = counted.total - sum(inside[s].total for s in taken)
        out[window] = WindowEvents(good=max(good, 0.0), total=max(total, 0.0))
    return out


def excluded_seconds(adjustments: Sequence[Adjustment], after: float, until: float) -> float:
    """How long ``(after, until]`` is excluded, in seconds."""
    return sum(end - start for start, end in excluded(adjustments, after, until))
