"""Ask the backend for every SLO's window events at one time T, then do the math.

All queries of one run use the same evaluation time, so every window of
every SLO describes the same instant. Identical queries (two SLOs sharing
a ``total`` selector, say) are sent once per run. Concurrency is bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from exporter.domain.budget import WindowEvents, events_from_bad
from exporter.domain.evaluate import SLOResult, evaluate_slo
from exporter.domain.model import SLO, LatencySLI
from exporter.errors import BackendError, QueryError
from exporter.promql.client import QueryValue
from exporter.promql.queries import window_queries

Query = Callable[[str, float], Awaitable["float | QueryValue"]]
"""Sends one instant query; a :class:`QueryValue` also says how many series answered."""


@dataclass
class EvaluationRun:
    """What one evaluation at ``at`` produced."""

    at: float
    results: dict[str, SLOResult] = field(default_factory=dict)
    failures: dict[str, BackendError] = field(default_factory=dict)
    queries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    duration: float = 0.0

    @property
    def backend_reachable(self) -> bool:
        """False when any query hit the backend itself failing (not just a bad query)."""
        return not any(reason != "query" for reason in self.errors)


class _Batch:
    """Deduplicates and bounds the queries of one run."""

    def __init__(self, query: Query, at: float, concurrency: int, run: EvaluationRun) -> None:
        self._query = query
        self._at = at
        self._semaphore = asyncio.Semaphore(concurrency)
        self._pending: dict[str, asyncio.Task[QueryValue]] = {}
        self._run = run

    def get(self, promql: str) -> asyncio.Task[QueryValue]:
        task = self._pending.get(promql)
        if task is None:
            task = asyncio.ensure_future(self._send(promql))
            self._pending[promql] = task
        return task

    def abandon(self) -> None:
        """Cancel what is in flight and mark finished failures as seen (the run was cancelled)."""
        for task in self._pending.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()

    async def drain(self) -> None:
        """Wait for queries nobody awaited (an SLO stops at its first failure)."""
        await asyncio.gather(*self._pending.values(), return_exceptions=True)

    async def _send(self, promql: str) -> QueryValue:
        async with self._semaphore:
            self._run.queries += 1
            try:
                answer = await self._query(promql, self._at)
                if isinstance(answer, QueryValue):
                    return answer
                return QueryValue(answer, -1)
            except BackendError as exc:
                self._run.errors[exc.reason] += 1
                raise


def _check_bucket(slo: SLO, good: QueryValue, total: QueryValue, query: str, at: float) -> None:
    """A latency threshold that is no bucket bound would count every request as slow."""
    sli = slo.sli
    if not isinstance(sli, LatencySLI) or sli.native or slo.sliced:
        return
    if good.series == 0 and total.series > 0 and total.value > 0:
        raise QueryError(
            f"no bucket with le={sli.threshold:g} in {sli.histogram}: the threshold must be "
            "one of the histogram's bucket bounds (see the service's /metrics)",
            query=query,
            at=at,
        )


async def _slo_events(slo: SLO, batch: _Batch, at: float) -> dict[int, WindowEvents]:
    plans = {w: window_queries(slo.sli, w, slo.budgeting) for w in slo.windows_at(at)}
    tasks = {w: (batch.get(p.numerator), batch.get(p.total)) for w, p in plans.items()}
    events: dict[int, WindowEvents] = {}
    for window, (numerator_task, total_task) in tasks.items():
        numerator_value, total_value = await numerator_task, await total_task
        _check_bucket(slo, numerator_value, total_value, plans[window].numerator, at)
        numerator, total = numerator_value.value, total_value.value
        if plans[window].counts_bad:
            events[window] = events_from_bad(numerator, total)
        else:
            events[window] = WindowEvents(good=numerator, total=total)
    return events


async def evaluate_all(
    slos: Iterable[SLO], query: Query, at: float, concurrency: int
) -> EvaluationRun:
    """Evaluate every SLO at ``at``; an SLO whose queries fail lands in ``failures``."""
    run = EvaluationRun(at=at)
    started = time.perf_counter()
    batch = _Batch(query, at, concurrency, run)
    slo_list = list(slos)
    try:
        outcomes = await asyncio.gather(
            *(_slo_events(slo, batch, at) for slo in slo_list), return_exceptions=True
        )
        await batch.drain()
    except BaseException:
        batch.abandon()
        raise
    for slo, outcome in zip(slo_list, outcomes, strict=True):
        if isinstance(outcome, BackendError):
            run.failures[slo.name] = outcome
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            run.results[slo.name] = evaluate_slo(slo, outcome, at)
    run.duration = time.perf_counter() - started
    return run
