"""The seam between counter samples and the incremental history store.

A :class:`Source` answers one question per cycle: for each of these plain
vector selectors, what is the current value of every counter series it
matches at time T? The store turns successive answers into increments
(handling counter resets) and sums them per window. A PromQL backend
answers with an instant query of the bare selector; a scrape source
answers by scraping targets and matching the selectors itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

SeriesKey = frozenset[tuple[str, str]]
"""A series' full label set (metric name under ``__name__``)."""


@dataclass(frozen=True)
class Snapshot:
    """Counter values per matched series for every selector asked, at ``at``.

    A selector that matched nothing maps to an empty mapping. ``at`` is the
    time the values describe (the evaluation time for PromQL, the scrape
    time for a scrape source).
    """

    at: float
    values: Mapping[str, Mapping[SeriesKey, float]]


class Source(Protocol):
    """Something that can read counter values for selectors."""

    async def snapshot(self, selectors: Sequence[str], at: float) -> Snapshot:
        """Current values of every series matched by each selector (raises BackendError)."""
        ...
