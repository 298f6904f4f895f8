"""Counting events with one PromQL query per window (the stateless path).

Every window of every SLO is two instant queries at T; identical queries
(two SLOs sharing a ``total``, say) are sent once per count. This counter
can count every SLO a backend can answer, so it is where the SLOs the store
cannot count go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from exporter.domain.adjustments import Span
from exporter.domain.budget import WindowEvents
from exporter.errors import BackendError
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import Counted, WindowCounts, check_threshold_bucket, window_events
from exporter.promql.answers import QueryValue
from exporter.promql.gate import QueryGate
from exporter.samples import QueryTally


class _Queries:
    """The queries of one count: each distinct query sent once, through the gate."""

    def __init__(self, gate: QueryGate, at: float) -> None:
        self._gate = gate
        self._at = at
        self._pending: dict[str, asyncio.Task[QueryValue]] = {}

    def get(self, promql: str) -> asyncio.Task[QueryValue]:
        task = self._pending.get(promql)
        if task is None:
            task = asyncio.ensure_future(self._gate.query(promql, self._at))
            self._pending[promql] = task
        return task

    def abandon(self) -> None:
        """Cancel what is in flight; mark finished failures as seen (the count was cancelled)."""
        for task in self._pending.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()

    async def drain(self) -> None:
        """Wait for queries nobody awaited (an SLO stops at its first failure)."""
        await asyncio.gather(*self._pending.values(), return_exceptions=True)


async def _slo_events(slo: CompiledSLO, queries: _Queries, at: float) -> WindowCounts:
    plans = {w: slo.queries(w) for w in slo.slo.windows_at(at)}
    tasks = {w: (queries.get(p.numerator), queries.get(p.total)) for w, p in plans.items()}
    events = {}
    for window, (numerator_task, total_task) in tasks.items():
        numerator, total = await numerator_task, await total_task
        check_threshold_bucket(slo.slo, numerator.series, total.value, at)
        events[window] = window_events(
            numerator.value, total.value, counts_bad=plans[window].counts_bad
        )
    return events


SETTLED = 300
"""Seconds after its end from which a span's samples are all in (late scrapes, ingestion)."""


async def span_events(gate: QueryGate, slo: CompiledSLO, span: Span) -> WindowEvents:
    """The events of ``slo`` inside ``span``: a window of its length, queried at its end."""
    start, end = span
    plan = slo.queries(max(round(end - start), 1))
    numerator, total = await asyncio.gather(
        gate.query(plan.numerator, end), gate.query(plan.total, end)
    )
    return window_events(numerator.value, total.value, counts_bad=plan.counts_bad)


class DirectCounter:
    """Counts every window with instant queries through a :class:`QueryGate`."""

    path = "direct"

    def __init__(self, gate: QueryGate) -> None:
        self._gate = gate
        self._settled: dict[tuple[str, Span], WindowEvents] = {}
        """Counts of settled adjustment spans from the last cycle."""
        self._kept: dict[tuple[str, Span], WindowEvents] = {}
        """Those asked for (or first counted) in this cycle."""

    def can_count(self, slo: CompiledSLO) -> bool:
        """Any SLO: a backend answers every window query."""
        return True

    async def count_spans(
        self, slo: CompiledSLO, spans: Sequence[Span], at: float, tally: QueryTally
    ) -> dict[Span, WindowEvents]:
        """Each span ``(start, end]`` as a window of its length, queried at its end.

        A span that ended :data:`SETTLED` seconds before ``at`` is counted once and
        kept while the next cycles ask for it (the others are forgotten), so an
        SLO whose period holds thirty nightly adjustments costs two queries per
        cycle for the one a window edge cuts, not sixty.
        """
        out = {}
        missing = []
        for span in spans:
            kept = self._settled.get((slo.name, span))
            if kept is None:
                missing.append(span)
            else:
                out[span] = self._kept[(slo.name, span)] = kept
        gate = self._gate.counting(tally)
        counted = await asyncio.gather(*(span_events(gate, slo, span) for span in missing))
        for span, events in zip(missing, counted, strict=True):
            out[span] = events
            if span[1] <= at - SETTLED:
                self._kept[(slo.name, span)] = events
        return out

    async def count(self, slos: Sequence[CompiledSLO], at: float) -> Counted:
        """Every window of every SLO at ``at``; an SLO whose queries fail is a failure."""
        self._settled, self._kept = self._kept, {}
        counted = Counted(tally=QueryTally())
        queries = _Queries(self._gate.counting(counted.tally), at)
        try:
            outcomes = await asyncio.gather(
                *(_slo_events(slo, queries, at) for slo in slos), return_exceptions=True
            )
            await queries.drain()
        except BaseException:
            queries.abandon()
            raise
        for slo, outcome in zip(slos, outcomes, strict=True):
            if isinstance(outcome, BackendError):
                counted.failures[slo.name] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                counted.events[slo.name] = outcome
        return counted
