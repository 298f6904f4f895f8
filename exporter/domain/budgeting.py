"""How events are counted against the budget, and what silence means.

Budgeting methods (OpenSLO names in brackets):

- ``occurrences`` [Occurrences]: every event counts; good / total events.
- ``timeslices`` [Timeslices]: time is cut into slices (e.g. 5m); a slice is
  good when its own SLI meets ``slice_target``; the SLI is good slices /
  slices with data. Budget and events are then counted in slices.
- ``ratio_timeslices`` [RatioTimeslices]: the SLI is the mean of the
  slices' own SLIs, each slice with data weighing the same.

No-data policies for a window whose total is zero (for timeslices: for the
slices without data): ``skip`` leaves the ratio out, ``good`` counts the
silence as good, ``bad`` as bad.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from exporter.domain.budget import WindowEvents


class Method(enum.StrEnum):
    """Budgeting method."""

    OCCURRENCES = "occurrences"
    TIMESLICES = "timeslices"
    RATIO_TIMESLICES = "ratio_timeslices"


class NoData(enum.StrEnum):
    """What a window (or slice) without traffic means."""

    SKIP = "skip"
    GOOD = "good"
    BAD = "bad"


@dataclass(frozen=True)
class Budgeting:
    """The method, and for timeslices the slice length (s) and per-slice target (%)."""

    method: Method = Method.OCCURRENCES
    slice: int = 300
    slice_target: float = 99.0

    @property
    def sliced(self) -> bool:
        """True for the two timeslice methods."""
        return self.method is not Method.OCCURRENCES


def fill_empty_slices(
    events: WindowEvents, policy: NoData, budgeting: Budgeting, window: float
) -> WindowEvents:
    """Timeslices: count the window's slices without data as good or bad slices.

    With ``good`` or ``bad`` the window then always holds ``window // slice``
    slices; with ``skip`` (or occurrences budgeting) events are unchanged.
    """
    if policy is NoData.SKIP or not budgeting.sliced:
        return events
    missing = max(window // budgeting.slice - events.total, 0.0)
    good = events.good + (missing if policy is NoData.GOOD else 0.0)
    return WindowEvents(good=good, total=events.total + missing)


def silent_sli(policy: NoData) -> float | None:
    """The SLI of a window with no traffic at all: None (skip), 1 (good) or 0 (bad)."""
    if policy is NoData.GOOD:
        return 1.0
    if policy is NoData.BAD:
        return 0.0
    return None
