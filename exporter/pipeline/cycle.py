"""One evaluation at T: plan, route each SLO to a counter, count, evaluate, fold.

Every command runs this: ``run`` at each tick, ``eval`` once. Planning turns
each grouped SLO into the groups found at T (:mod:`exporter.pipeline.groups`).
Each SLO goes to the first counter that can count it (a fixed SLO once per
generation, a group each cycle); the counters run concurrently, and if one of
them raises (a bug, a cancellation) the others are cancelled too. An SLO a
counter cannot count *yet* (the store still filling its history) goes, for this
cycle, to the next counter that can count it. Budget adjustments are taken out
of each counter's events (:mod:`exporter.pipeline.adjusting`). A composite SLO
is worked out from its components' events after counting
(:mod:`exporter.pipeline.composites`).
The budget math itself is :func:`exporter.domain.evaluate.evaluate_slo`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exporter.domain.evaluate import SLOResult, evaluate_slo
from exporter.domain.model import SLO, CompositeSLI
from exporter.errors import BackendError, QueryError
from exporter.pipeline.adjusting import take_out_adjustments
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.composites import composite_events, copy_name, counted_copies
from exporter.pipeline.counts import Counted, EventCounter
from exporter.pipeline.groups import PATH as GROUPS_PATH
from exporter.pipeline.groups import FoundGroups, GroupDiscovery, GroupFinder
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
    groups: dict[str, tuple[SLO, ...]] = field(default_factory=dict)
    """Per grouped SLO whose groups were found at ``at``: its groups, each an SLO."""
    groups_dropped: dict[str, int] = field(default_factory=dict)
    """Per grouped SLO: groups found beyond its ``max_groups`` (not evaluated)."""

    @property
    def backend_reachable(self) -> bool:
        """False when any query hit the backend itself failing (not just a bad query)."""
        return not any(reason != "query" for reason in self.errors)


def _uncounted(slo: CompiledSLO, at: float) -> BackendError:
    return QueryError(f"no source of this config can count SLO {slo.name!r}", query=slo.name, at=at)


def listed(slos: Sequence[SLO], run: EvaluationRun) -> tuple[SLO, ...]:
    """``slos`` as a run shows them: a grouped SLO whose groups were found as its groups."""
    out: list[SLO] = []
    for slo in slos:
        out.extend(run.groups.get(slo.name, (slo,)) if slo.grouping is not None else (slo,))
    return tuple(out)


Routes = tuple[tuple[EventCounter, tuple[CompiledSLO, ...]], ...]


def hand_over(
    counters: Sequence[EventCounter], counts: list[tuple[int, Counted]]
) -> tuple[list[tuple[int, list[CompiledSLO]]], list[CompiledSLO]]:
    """Each SLO a counter could not count yet, to the next counter that can count it
    (by index); the SLOs no later counter can count."""
    handed: dict[int, list[CompiledSLO]] = {}
    left: list[CompiledSLO] = []
    for index, counted in counts:
        for slo in counted.later:
            taker = next(
                (i for i in range(index + 1, len(counters)) if counters[i].can_count(slo)), None
            )
            if taker is None:
                left.append(slo)
            else:
                handed.setdefault(taker, []).append(slo)
    return list(handed.items()), left


def _handed_over(counts: Iterable[Counted]) -> None:
    """Tell each counter that the SLOs it handed on have been counted, or will not be
    (the store then starts the fills it held back)."""
    for hook in [hook for counted in counts for hook in counted.handed_over]:
        hook()


def _complete_unless_backend_failed(
    run: EvaluationRun, handed: Sequence[tuple[int, Sequence[CompiledSLO]]]
) -> None:
    """Incomplete when an SLO the store lacks the history of failed the other way too
    for a reason of the backend (not just its own query, which would fail from the
    store as well)."""
    names = (slo.name for _, slos in handed for slo in slos)
    errors = (run.failures.get(name) for name in names)
    run.complete = run.complete and not any(e and e.reason != "query" for e in errors)


class Pipeline:
    """A config generation's SLOs routed to its counters, once; :meth:`evaluate` per T.

    ``discovery`` finds the grouped SLOs' groups (None: nothing can; they fail).
    """

    def __init__(
        self,
        slos: Sequence[CompiledSLO],
        counters: Sequence[EventCounter],
        discovery: GroupDiscovery | None = None,
    ) -> None:
        self.slos = tuple(slos)
        self.counters = tuple(counters)
        self.grouped = tuple(slo for slo in self.slos if slo.slo.grouping is not None)
        self._finder = GroupFinder(discovery)
        self.composites = tuple(s for s in self.slos if isinstance(s.slo.sli, CompositeSLI))
        copies = [copy for c in self.composites for copy in counted_copies(c.slo)]
        self._copies = frozenset(copy.name for copy in copies)
        fixed = [
            s
            for s in self.slos
            if s.slo.grouping is None and not isinstance(s.slo.sli, CompositeSLI)
        ]
        self.routes, self.uncounted = self._route([*fixed, *copies])

    def _route(self, slos: Sequence[CompiledSLO]) -> tuple[Routes, tuple[CompiledSLO, ...]]:
        """Each SLO to the first counter that can count it; those none can, apart."""
        routed: dict[int, list[CompiledSLO]] = {i: [] for i in range(len(self.counters))}
        left: list[CompiledSLO] = []
        for slo in slos:
            for index, counter in enumerate(self.counters):
                if counter.can_count(slo):
                    routed[index].append(slo)
                    break
            else:
                left.append(slo)
        routes = tuple((counter, tuple(routed[i])) for i, counter in enumerate(self.counters))
        return routes, tuple(left)

    async def _plan(self, at: float, run: EvaluationRun) -> tuple[Routes, list[CompiledSLO]]:
        """This cycle's routes and uncounted SLOs: the fixed ones and the groups found at T."""
        if not self.grouped:
            return self.routes, list(self.uncounted)
        found: FoundGroups = await self._finder.find(self.grouped, at)
        run.paths[GROUPS_PATH] = PathRun(slos=len(self.grouped), tally=found.tally)
        run.queries += found.tally.total
        run.errors.update(found.tally.errors)
        run.failures.update(found.failures)
        run.groups_dropped = found.dropped
        members = [member for group in found.members.values() for member in group]
        run.groups = {
            name: tuple(member.slo for member in group) for name, group in found.members.items()
        }
        routes, left = self._route(members)
        merged = tuple(
            (counter, fixed + extra)
            for (counter, fixed), (_, extra) in zip(self.routes, routes, strict=True)
        )
        return merged, [*self.uncounted, *left]

    async def evaluate(self, at: float) -> EvaluationRun:
        """Evaluate every SLO at ``at``; an SLO that could not be counted is a failure."""
        started = time.perf_counter()
        run = EvaluationRun(at=at)
        routes, uncounted = await self._plan(at, run)
        for counter, slos in routes:
            run.paths[counter.path] = PathRun(slos=len(slos))
        counts = await self._count(list(enumerate(s for _, s in routes)), at, run)
        run.filling = sum(len(counted.later) for _, counted in counts)
        handed, left = hand_over(self.counters, counts)
        for index, taken in handed:
            run.paths[self.counters[index].path].slos += len(taken)
        try:
            if handed:
                counts += await self._count(handed, at, run)
        finally:
            _handed_over(counted for _, counted in counts)
        _complete_unless_backend_failed(run, handed)
        for slo in uncounted:
            run.failures[slo.name] = _uncounted(slo, at)
        for slo in left:
            run.failures[slo.name] = QueryError(
                f"the history store is still filling SLO {slo.name!r}'s windows",
                query=slo.name,
                at=at,
            )
        run.complete = run.complete and not left
        done = [counted for _, counted in counts]
        await self._evaluate(done, routes, run, at)
        self._evaluate_composites(done, run, at)
        run.duration = time.perf_counter() - started
        return run

    async def _count(
        self, jobs: Sequence[tuple[int, Sequence[CompiledSLO]]], at: float, run: EvaluationRun
    ) -> list[tuple[int, Counted]]:
        """The counters (by index) counting their SLOs concurrently, budget adjustments
        taken out, folded into ``run``."""
        busy = [(index, slos) for index, slos in jobs if slos]
        tasks = [asyncio.ensure_future(self.counters[i].count(slos, at)) for i, slos in busy]
        try:
            counts: list[Counted] = list(await asyncio.gather(*tasks))
            await take_out_adjustments([(self.counters[i], slos) for i, slos in busy], counts, at)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            _handed_over(t.result() for t in tasks if not (t.cancelled() or t.exception()))
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

    async def _evaluate(
        self, counts: list[Counted], routes: Routes, run: EvaluationRun, at: float
    ) -> None:
        by_name = {slo.name: slo for _, slos in routes for slo in slos}
        pause = Pauser()
        for counted in counts:
            for name, events in counted.events.items():
                if name not in self._copies:
                    run.results[name] = evaluate_slo(by_name[name].slo, events, at)
                    await pause.maybe()

    def _evaluate_composites(self, counts: list[Counted], run: EvaluationRun, at: float) -> None:
        """Each composite from its copies' events; a copy's failure is its composite's."""
        if not self.composites:
            return
        failed = {name: run.failures.pop(name) for name in self._copies & run.failures.keys()}
        counted = {
            name: events
            for done in counts
            for name, events in done.events.items()
            if name in self._copies
        }
        for composite in self.composites:
            prefix = copy_name(composite.name, "")
            error = next((e for n, e in failed.items() if n.startswith(prefix)), None)
            if error is not None:
                run.failures[composite.name] = error
            else:
                events = composite_events(composite.slo, counted, at)
                run.results[composite.name] = evaluate_slo(composite.slo, events, at)
