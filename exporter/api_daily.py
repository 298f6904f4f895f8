"""An SLO's daily series for the JSON API: SLI per UTC day and the budget left at each
day's end, read from the history store (never from the backend).

The period ``(start, T]`` is cut at whole hours (every coarse bucket of the store
divides an hour, so each hour reads exactly); the first and the last piece take the
period's partial hours with them, so each is one to two hours long and the series adds
up to the whole period: the last day's budget is the period's. A piece belongs to the
UTC day its end falls in. Blocking reads: call in a worker thread.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Any

from exporter.domain import report as figures
from exporter.domain.evaluate import SLOResult
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.store_steps import StoreSteps
from exporter.samples import Grid

HOUR = 3600


@dataclass(frozen=True)
class Daily:
    """The daily series of an SLO, or (``days`` None) why there is none."""

    days: list[dict[str, Any]] | None
    unavailable: str | None


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def boundaries(start: int, at: int) -> list[int]:
    """``start``, the whole hours at least an hour from both ends, and ``at``."""
    first = -(-(start + HOUR) // HOUR) * HOUR
    return [start, *range(first, at - HOUR + 1, HOUR), at]


def grids(points: list[int]) -> list[Grid]:
    """The pieces between consecutive ``points``, runs of equal length as one grid each."""
    out: list[Grid] = []
    i = 0
    while i < len(points) - 1:
        step, j = points[i + 1] - points[i], i + 1
        while j + 1 < len(points) and points[j + 1] - points[j] == step:
            j += 1
        out.append(Grid(points[i] + step, points[j], step))
        i = j
    return out


def daily(
    compiled: CompiledSLO | None, result: SLOResult | None, store: StoreSteps | None
) -> Daily:
    """The daily series of the period of ``result``, or None with the reason."""
    if store is None:
        return Daily(None, "no history store (run with --data-dir)")
    if result is None or compiled is None:
        return Daily(None, "the SLO has not been evaluated yet")
    if compiled.stored is None:
        return Daily(None, "the history store does not keep this SLO's events (direct queries)")
    at, start = int(result.evaluated_at), int(result.bounds.start)
    if at <= start:
        return Daily(None, "the period has just begun")
    pieces = grids(boundaries(start, at))
    if not all(store.covers(compiled, grid) for grid in pieces):
        return Daily(None, "the history store does not cover the period yet")
    ends, good, total = array("q"), array("d"), array("d")
    for grid in pieces:
        steps = store.steps(compiled, grid)
        ends.extend(steps.ends)
        good.extend(steps.good)
        total.extend(steps.total)
    series = figures.StepSeries(HOUR, ends, good, total, source="store")
    days = figures.daily(series, compiled.slo.objective, series.total_events().total)
    return Daily(
        [
            {
                "date": d.date,
                "sli": _finite(d.sli),
                "budget_remaining_ratio": _finite(d.budget_remaining_ratio),
            }
            for d in days
        ],
        None,
    )
