"""The types every reader of counter samples shares: the leaf of the package's imports.

A :class:`Source` answers one question per cycle: for each of these plain
vector selectors, what is the current value of every counter series it
matches at time T? A PromQL backend answers with an instant query of the
bare selector; a scrape source by scraping targets and matching the
selectors itself. A :class:`RangeSource` also reads the past, on a
:class:`Grid` of times: what the history store's backfill needs. Every
request a reader sends is counted in a :class:`QueryTally`.

This module imports nothing else of the package, so any layer may use it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

SeriesKey = frozenset[tuple[str, str]]
"""A series' full label set (metric name under ``__name__``)."""

MAX_STEPS = 10_000
"""Steps per range query: within Prometheus' limit of 11,000 points per series."""


@dataclass(frozen=True)
class Snapshot:
    """Counter values per matched series for every selector asked, at ``at``.

    A selector that matched nothing maps to an empty mapping. ``at`` is the
    time the values describe (the evaluation time for PromQL, the scrape
    time for a scrape source).
    """

    at: float
    values: Mapping[str, Mapping[SeriesKey, float]]


@dataclass(frozen=True)
class Grid:
    """The times ``first, first + step, ..., last`` (``last - first`` a multiple of ``step``)."""

    first: int
    last: int
    step: int

    def __post_init__(self) -> None:
        if self.step <= 0 or self.last < self.first or (self.last - self.first) % self.step:
            raise ValueError(f"not a grid: {self}")

    @property
    def points(self) -> range:
        """Every time of the grid, oldest first."""
        return range(self.first, self.last + 1, self.step)

    def __len__(self) -> int:
        return (self.last - self.first) // self.step + 1

    def chunks(self, max_steps: int = MAX_STEPS) -> list[Grid]:
        """Consecutive grids of at most ``max_steps + 1`` points that together are this one."""
        out: list[Grid] = []
        first = self.first
        while first <= self.last:
            last = min(first + max_steps * self.step, self.last)
            out.append(Grid(first, last, self.step))
            first = last + self.step
        return out


def single(t: int, step: int = 3600) -> Grid:
    """A grid of one point."""
    return Grid(t, t, step)


class Source(Protocol):
    """Something that can read counter values for selectors."""

    async def snapshot(self, selectors: Sequence[str], at: float) -> Snapshot:
        """Current values of every series matched by each selector (raises BackendError)."""
        ...


class RangeSource(Protocol):
    """A source that can also read the past: what backfill and gap filling need."""

    async def values(self, selector: str, points: Grid) -> Mapping[SeriesKey, Mapping[int, float]]:
        """Raw value of every series of ``selector`` at each point (absent where it had none)."""
        ...

    async def events(self, query: str, ends: Grid) -> Mapping[int, float]:
        """The value of an aggregate ``query`` evaluated at each end."""
        ...


@dataclass
class QueryTally:
    """Requests sent, by kind (``instant``, ``range``, ``scrape``), and failures by reason."""

    sent: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def copy(self) -> QueryTally:
        """A frozen copy, to subtract from later."""
        return QueryTally(Counter(self.sent), Counter(self.errors))

    def since(self, earlier: QueryTally) -> QueryTally:
        """What was sent and failed after ``earlier``."""
        return QueryTally(self.sent - earlier.sent, self.errors - earlier.errors)

    @property
    def total(self) -> int:
        """Every request counted."""
        return sum(self.sent.values())
