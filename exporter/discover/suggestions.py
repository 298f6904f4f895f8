"""Achieved SLIs through the one pipeline, and the suggestions made from them.

The discovered services are written as a candidate config (every tier
``best_effort``), loaded by the ordinary loader and compiled; each SLO's
events over the span are then counted with its own window queries at the span's
end, exactly as ``eval --at`` counts a window that long. Only the latency
threshold is chosen first, from the histogram's buckets.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from exporter.config.loader import load_config
from exporter.discover import probe
from exporter.discover.render import Planned, render
from exporter.domain import budget, suggest
from exporter.domain.budget import WindowEvents
from exporter.pipeline.compiled import CompiledSLO, compile_slo
from exporter.pipeline.counts import window_events
from exporter.promql.gate import QueryGate
from exporter.settings import Settings


async def _events(gate: QueryGate, slo: CompiledSLO, span: int, at: int) -> WindowEvents:
    plan = slo.queries(span)
    numerator, total = await asyncio.gather(
        gate.query(plan.numerator, at), gate.query(plan.total, at)
    )
    return window_events(numerator.value, total.value, counts_bad=plan.counts_bad)


def load_text(text: str) -> Settings:
    """``text`` through the ordinary loader (raises ConfigError)."""
    with tempfile.TemporaryDirectory(prefix="slo-exporter-discover-") as directory:
        path = Path(directory) / "discovered.yaml"
        path.write_text(text, encoding="utf-8")
        return load_config(path)


async def plan_services(
    gate: QueryGate, planned: Sequence[Planned], header: Sequence[str], span: int, at: int
) -> None:
    """Fill in each service's threshold and suggestions (in place)."""
    for plan in planned:
        shape = plan.shape
        if shape.duration is not None:
            counts = await probe.buckets(gate, shape.duration, shape.histogram == "native",
                                         span, at)  # fmt: skip
            plan.threshold = suggest.suggest_threshold(counts)
            if plan.threshold is None:
                plan.notes.append(
                    f"{shape.duration}: no bucket bound keeps {suggest.LATENCY_OBJECTIVE:g} % "
                    "of requests under it with half the budget left: no latency SLO"
                )
    settings = await asyncio.to_thread(load_text, render(header, planned, []))
    compiled = {slo.name: compile_slo(slo) for slo in settings.slos}
    names = sorted(compiled)
    part = span // PARTS
    ends = [at - k * part for k in reversed(range(PARTS))]
    counted = await asyncio.gather(
        *(_events(gate, compiled[n], span, at) for n in names),
        *(_events(gate, compiled[n], part, end) for n in names for end in ends),
    )
    events = dict(zip(names, counted[: len(names)], strict=True))
    parts = {n: counted[len(names) + i * PARTS :][:PARTS] for i, n in enumerate(names)}
    for plan in planned:
        _suggest(plan, events, parts)


PARTS = 4
"""The span's parts whose SLIs the comments show too (weeks of the default 28 days)."""


def _slis(events: Sequence[WindowEvents]) -> list[float | None]:
    return [budget.sli(budget.bounded(e)) for e in events]


def _suggest(
    plan: Planned, events: Mapping[str, WindowEvents], parts: Mapping[str, Sequence[WindowEvents]]
) -> None:
    name = plan.shape.name
    main = next((f"{name}-{k}" for k in ("availability", "completeness") if
                 f"{name}-{k}" in events), None)  # fmt: skip
    plan.availability = None if main is None else suggest.suggest_tier(events[main])
    if main is not None:
        plan.parts["main"] = _slis(parts[main])
    latency = events.get(f"{name}-latency")
    sli = None if latency is None else budget.sli(budget.bounded(latency))
    if sli is not None:
        left = suggest.remaining(sli, suggest.LATENCY_OBJECTIVE)
        tier = plan.availability.tier if plan.availability else "best_effort"
        plan.latency = suggest.Suggestion(
            tier, suggest.LATENCY_OBJECTIVE, sli, left, left >= suggest.SPARE
        )
        plan.parts["latency"] = _slis(parts[f"{name}-latency"])
