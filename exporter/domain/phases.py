"""Progressive objectives: an SLO's objective changing at given times.

An SLO may list phases, each an objective in force until a time; after the
last phase the SLO's own ``objective`` holds. The budget math always uses
the objective in force at the evaluation time T.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """``objective`` (percent) is in force for evaluations before ``until`` (unix seconds)."""

    objective: float
    until: float
    name: str = ""


def phase_at(phases: Sequence[Phase], at: float) -> Phase | None:
    """The phase in force at ``at``: the first whose ``until`` lies after it (None: after all)."""
    for phase in phases:
        if at < phase.until:
            return phase
    return None
