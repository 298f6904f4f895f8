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


def slices_in(window: float, slice_seconds: int, at: float | None = None) -> int:
    """How many slices a window holds: slices end at multiples of ``slice_seconds``
    since the epoch, so the window (at - window, at] holds those ending in it.

    That is ``window // slice_seconds`` when the window is a whole number of
    slices; a calendar period (which starts at local midnight) or a window
    shorter than a slice can hold one more, depending on ``at``. Without
    ``at`` the whole-number count is returned.
    """
    if at is None:
        return int(window // slice_seconds)
    return int(at // slice_seconds - (at - window) // slice_seconds)


def fill_empty_slices(
    events: WindowEvents,
    policy: NoData,
    budgeting: Budgeting,
    window: float,
    *,
    at: float | None = None,
    sliced: bool | None = None,
) -> WindowEvents:
    """Time slices: count the window's slices without data as good or bad slices.

    ``sliced`` says whether events are slices (default: ``budgeting.sliced``;
    the per-slice SLI kinds are sliced whatever the budgeting). With ``good``
    or ``bad`` the window then holds every slice that ends in it (see
    :func:`slices_in`); with ``skip``, or when events are not slices, events
    are unchanged.
    """
    if sliced is None:
        sliced = budgeting.sliced
    if policy is NoData.SKIP or not sliced:
        return events
    missing = max(slices_in(window, budgeting.slice, at) - events.total, 0.0)
    good = events.good + (missing if policy is NoData.GOOD else 0.0)
    return WindowEvents(good=good, total=events.total + missing)


def silent_sli(policy: NoData) -> float | None:
    """The SLI of a window with no traffic at all: None (skip), 1 (good) or 0 (bad)."""
    if policy is NoData.GOOD:
        return 1.0
    if policy is NoData.BAD:
        return 0.0
    return None
