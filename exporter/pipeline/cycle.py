"""One evaluation at T: route each SLO to a counter, count, evaluate, fold.

Every command runs this: ``run`` at each tick, ``eval`` once. Each SLO goes
to the first counter that can count it; the counters run concurrently, and
if one of them raises (a bug, a cancellation) the others are cancelled too.
An SLO a counter cannot count *yet* (the store still filling its history) goes,
for this cycle, to the next counter that can count it.
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
    """False while a counter's own history is incomplete (the store's backfill) and
    another counter could not count its SLOs meanwhile either."""
    filling: int = 0
    """SLOs counted by another counter while the store fills their history."""

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
        for counter, slos in self.routes:
            run.paths[counter.path] = PathRun(slos=len(slos))
        counts = await self._count(list(enumerate(s for _, s in self.routes)), at, run)
        run.filling = sum(len(counted.later) for _, counted in counts)
        handed, left = self._hand_over(counts)
        for index, taken in handed:
            run.paths[self.counters[index].path].slos += len(taken)
        if handed:
            counts += await self._count(handed, at, run)
            # the store lacks their history and the backend failed the other way too (not
            # just an SLO's own query, which would fail from the store as well)
            names = (slo.name for _, slos in handed for slo in slos)
            errors = (run.failures.get(name) for name in names)
            run.complete = run.complete and not any(e and e.reason != "query" for e in errors)
        await self._evaluate([counted for _, counted in counts], run, at)
        for slo in self.uncounted:
            run.failures[slo.name] = _uncounted(slo, at)
        for slo in left:
            run.failures[slo.name] = QueryError(
                f"the history store is still filling SLO {slo.name!r}'s windows",
                query=slo.name,
                at=at,
            )
        run.complete = run.complete and not left
        run.duration = time.perf_counter() - started
        return run

    async def _count(
        self, jobs: Sequence[tuple[int, Sequence[CompiledSLO]]], at: float, run: EvaluationRun
    ) -> list[tuple[int, Counted]]:
        """The counters (by index) counting their SLOs concurrently, folded into ``run``."""
        busy = [(index, slos) for index, slos in jobs if slos]
        tasks = [asyncio.ensure_future(self.counters[i].count(slos, at)) for i, slos in busy]
        try:
            counts: list[Counted] = list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for (index, _), counted in zip(busy, counts, strict=True):
            path = run.paths[self.counters[index].path]
            path.tally = QueryTally(path.tally.sent + counted.tally.sent,
                                    path.tally.errors + counted.tally.errors)  # fmt: skip
            run.queries += counted.tally.total
            run.errors.update(counted.tally.errors)
            run.complete = run.complete and counted.complete
            run.failures.update(counted.failures)
        return [(index, counted) for (index, _), counted in zip(busy, counts, strict=True)]

    def _hand_over(
        self, counts: list[tuple[int, Counted]]
    ) -> tuple[list[tuple[int, list[CompiledSLO]]], list[CompiledSLO]]:
        """Each SLO a counter could not count yet, to the next counter that can count it
        (by index); the SLOs no later counter can count."""
        handed: dict[int, list[CompiledSLO]] = {}
        left: list[CompiledSLO] = []
        for index, counted in counts:
            for slo in counted.later:
                taker = next(
                    (i for i in range(index + 1, len(self.counters))
                     if self.counters[i].can_count(slo)),
                    None,
                )  # fmt: skip
                if taker is None:
                    left.append(slo)
                else:
                    handed.setdefault(taker, []).append(slo)
        return list(handed.items()), left

    async def _evaluate(self, counts: list[Counted], run: EvaluationRun, at: float) -> None:
        by_name = {slo.name: slo for slo in self.slos}
        pause = Pauser()
        for counted in counts:
            for name, events in counted.events.items():
                run.results[name] = evaluate_slo(by_name[name].slo, events, at)
                await pause.maybe()
