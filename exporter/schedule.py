"""When the evaluation loop runs its next cycle, and at which time T.

Cycles run at the ticks of the interval grid (multiples of the interval
since the epoch), each evaluating T = tick - delay, so successive cycles
and ``eval --at`` describe the same instants whatever the moment the
process started.

A cycle that outlasts its interval is followed at once by a cycle at the
latest tick it ran past, not by a wait for the next tick: waiting would
leave the loop idle most of an interval and evaluate only every other
tick. The ticks in between get no cycle of their own; they are counted as
missed (in store mode their increments are still read by the next cycle,
so no event is lost, only that tick's published result).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def evaluation_time(now: float, interval: int, delay: int) -> float:
    """T for a cycle starting at ``now``: ``now`` aligned down to the grid, minus the delay."""
    return math.floor(now / interval) * interval - delay


@dataclass(frozen=True)
class NextCycle:
    """What the loop does after a cycle: wait ``wait_seconds``, then evaluate ``at``."""

    at: float
    wait_seconds: float
    missed: int
    """Ticks after the previous cycle's that get no cycle of their own."""


def next_cycle(previous: float, now: float, interval: int, delay: int) -> NextCycle:
    """The cycle after one that evaluated ``previous``, the clock now reading ``now``."""
    due = evaluation_time(now, interval, delay)
    if due > previous:  # the cycle ran past a tick: evaluate the latest one at once
        missed = max(math.ceil((due - previous) / interval) - 1, 0)
        return NextCycle(at=due, wait_seconds=0.0, missed=missed)
    tick = math.floor(now / interval) * interval + interval
    return NextCycle(at=tick - delay, wait_seconds=tick - now, missed=0)
