"""One evaluation at T: route each SLO to a counter, count, evaluate, fold.

Every command runs this: ``run`` at each tick, ``eval`` once. Each SLO goes
to the first counter that can count it; the counters run concurrently, and
if one of them raises (a bug, a cancellation) the others are cancelled too.
The budget math itself is :func:`exporter.domain.evaluate.evaluate_slo`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from exporter.domain.evaluate import SLOResult, evaluate_slo
from exporter.errors import BackendError, QueryError
from exporter.pipeline.adjusting import take_out_adjustments
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import Counted, EventCounter
from exporter.pipeline.pause import Pauser
from exporter.samples import QueryTally


@dataclass
class PathRun:
    """What one counter did in a cycle: SLOs routed to it, requests it sent."""

    slos: int
    tally: QueryTally = field(default_factory=QueryTally)


@dataclass
class EvaluationRun:
    """What one evaluation at ``at`` produced."""

    at: float
    results: dict[str, SLOResult] = field(default_factory=dict)
    failures: dict[str, BackendError] = field(default_factory=dict)
    queries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    duration: float = 0.0
    paths: dict[str, PathRun] = field(default_factory=dict)
    """Per counter (``store``, ``direct``): SLOs routed to it and requests it sent."""
    complete: bool = True
    """False while a counter's own history is incomplete (the store's backfill)."""

    @property
    def backend_reachable(self) -> bool:
        """False when any query hit the backend itself failing (not just a bad query)."""
        return not any(reason != "query" for reason in self.errors)


def _uncounted(slo: CompiledSLO, at: float) -> BackendError:
    return QueryError(f"no source of this config can count SLO {slo.name!r}", query=slo.name, at=at)


class Pipeline:
    """A config generation's SLOs routed to its counters, once; :meth:`evaluate` per T."""

    def __init__(self, slos: Sequence[CompiledSLO], counters: Sequence[EventCounter]) -> None:
        self.slos = tuple(slos)
        self.counters = tuple(counters)
        routed: dict[int, list[CompiledSLO]] = {i: [] for i in range(len(self.counters))}
        self.uncounted: tuple[CompiledSLO, ...] = ()
        left: list[CompiledSLO] = []
        for slo in self.slos:
            for index, counter in enumerate(self.counters):
                if counter.can_count(slo):
                    routed[index].append(slo)
                    break
            else:
                left.append(slo)
        self.uncounted = tuple(left)
        self.routes: tuple[tuple[EventCounter, tuple[CompiledSLO, ...]], ...] = tuple(
            (counter, tuple(routed[i])) for i, counter in enumerate(self.counters)
        )

    async def evaluate(self, at: float) -> EvaluationRun:
        """Evaluate every SLO at ``at``; an SLO that could not be counted is a failure."""
        started = time.perf_counter()
        run = EvaluationRun(at=at)
        busy = [(counter, slos) for counter, slos in self.routes if slos]
        tasks = [asyncio.ensure_future(counter.count(slos, at)) for counter, slos in busy]
        try:
            counts: list[Counted] = list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        await take_out_adjustments(busy, counts, at)
        for counter, slos in self.routes:
            run.paths[counter.path] = PathRun(slos=len(slos))
        for (counter, _), counted in zip(busy, counts, strict=True):
            run.paths[counter.path].tally = counted.tally
            run.queries += counted.tally.total
            run.errors.update(counted.tally.errors)
            run.complete = run.complete and counted.complete
            run.failures.update(counted.failures)
        await self._evaluate(counts, run, at)
        for slo in self.uncounted:
            run.failures[slo.name] = _uncounted(slo, at)
        run.duration = time.perf_counter() - started
        return run

    async def _evaluate(self, counts: list[Counted], run: EvaluationRun, at: float) -> None:
        by_name = {slo.name: slo for slo in self.slos}
        pause = Pauser()
        for counted in counts:
            for name, events in counted.events.items():
                run.results[name] = evaluate_slo(by_name[name].slo, events, at)
                await pause.maybe()
