"""What ``discover`` asks the backend: which series there are, which of them are native
histograms, whether the history reaches back far enough, and a histogram's buckets."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping

from exporter.discover.shapes import GRPC_STATUS, HISTOGRAM_PARTS, HTTP_STATUS
from exporter.domain.durations import format_duration
from exporter.promql.gate import QueryGate

GROUPING = ("__name__", "service", "job", *HTTP_STATUS, GRPC_STATUS, "le")
"""The labels a series' shape depends on; one answer row per combination of them."""
SUFFIXES = ("_total", *HISTOGRAM_PARTS, "_created", "_info")


def matchers(match: str | None) -> str:
    """The selector braces' content: every metric, within ``--match``."""
    everything = '__name__=~".+"'
    return everything if not match else f"{everything},{match}"


async def label_sets(gate: QueryGate, match: str | None, at: int) -> list[dict[str, str]]:
    """One label set per distinct combination of :data:`GROUPING` among the series present
    at ``at``."""
    query = f"count by ({', '.join(GROUPING)}) ({{{matchers(match)}}})"
    return [dict(labels) for labels, _ in await gate.series(query, at)]


async def native_histograms(gate: QueryGate, names: Iterable[str], at: int) -> set[str]:
    """Which of ``names`` hold native histogram samples at ``at``."""
    candidates = sorted({n for n in names if not n.endswith(SUFFIXES)})
    answers = await asyncio.gather(
        *(gate.query(f"count(histogram_count({name}))", at) for name in candidates)
    )
    return {name for name, answer in zip(candidates, answers, strict=True) if answer.series}


async def first_hour_empty(gate: QueryGate, selectors: list[str], start: int) -> bool:
    """True when none of ``selectors`` had a sample in the span's first hour: the backend's
    retention does not reach back to ``start``."""
    hour = format_duration(3600)
    found = await asyncio.gather(
        *(gate.query(f"count(count_over_time({s}[{hour}]))", start + 3600) for s in selectors)
    )
    return not any(answer.series for answer in found)


async def buckets(gate: QueryGate, duration: str, native: bool, span: int, at: int) -> Mapping[
    float, float
]:  # fmt: skip
    """Requests per ``le`` over the span ending at ``at`` (``inf`` for all of them): a classic
    histogram's buckets, or a native one's count under each of :data:`NATIVE_BOUNDS`."""
    window = format_duration(span)
    if not native:
        name, _, rest = duration.partition("{")
        query = f"sum by (le) (increase({name}_bucket{{{rest}[{window}]))"
        answer = await gate.series(query, at)
        return {float(labels["le"]): value for labels, value in answer if "le" in labels}
    counts: dict[float, float] = {}
    summed = f"sum(increase({duration}[{window}]))"
    total = await gate.query(f"histogram_count({summed})", at)
    counts[math.inf] = total.value
    shares = await asyncio.gather(
        *(gate.query(f"histogram_fraction(0, {b}, {summed})", at) for b in NATIVE_BOUNDS)
    )
    for bound, share in zip(NATIVE_BOUNDS, shares, strict=True):
        counts[bound] = share.value * total.value if share.series else 0.0
    return counts


NATIVE_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Thresholds tried for a native histogram: the Prometheus clients' default bucket bounds."""
