"""Counter increments from raw values read at successive times, resets included.

Between two reads of a series the increment is ``new - old``; a value that
dropped means the counter restarted from 0, so the new value itself is the
increment (what Prometheus' ``increase()`` assumes too). A series read for
the first time only sets its baseline: like ``increase()``, its value
before that is not counted. A series missing from a read keeps its last
value, and its next read counts everything since.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass
class CounterDeltas(Generic[K]):
    """Increments per read time, and every series' last value and time after the reads."""

    increments: list[float]
    last: dict[K, tuple[float, int]] = field(default_factory=dict)
    resets: int = 0


def counter_deltas(
    baseline: Mapping[K, float],
    points: Sequence[int],
    values: Mapping[K, Mapping[int, float]],
) -> CounterDeltas[K]:
    """Sum of all series' increments into each read of ``points`` (oldest first).

    ``increments[k]`` is what the series gained between the read before
    ``points[k]`` and ``points[k]``. ``baseline`` holds the values of the
    read before ``points[0]``; ``values[series][t]`` is a series' value
    read at ``t`` (absent when the read did not see it). ``last`` holds the
    latest value and read time of every series seen in ``values``.
    """
    out: CounterDeltas[K] = CounterDeltas([0.0] * len(points))
    for key, read in values.items():
        previous = baseline.get(key)
        seen = -1
        for k, t in enumerate(points):
            value = read.get(t)
            if value is None:
                continue
            if previous is not None:
                if value >= previous:
                    out.increments[k] += value - previous
                else:
                    out.increments[k] += value
                    out.resets += 1
            previous, seen = value, t
        if previous is not None and seen >= 0:
            out.last[key] = (previous, seen)
    return out
