"""Counting events with PromQL queries per window (the stateless path).

Every window of every SLO is two instant queries at T; identical queries
(two SLOs sharing a ``total``, say) are sent once per count, and the
aggregates we write ourselves go to the backend many per request
(:mod:`exporter.pipeline.direct_queries`). This counter
can count every SLO a backend can answer, so it is where the SLOs the store
cannot count go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from exporter.domain.adjustments import Span
from exporter.domain.budget import WindowEvents
from exporter.errors import QueryError
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import (
    Counted,
    WindowCounts,
    check_threshold_bucket,
    split_outcomes,
    window_events,
)
from exporter.pipeline.direct_queries import DirectQueries
from exporter.promql.answers import QueryValue
from exporter.promql.client import AnswerTooLarge
from exporter.promql.fused import Undecidable
from exporter.promql.gate import QueryGate
from exporter.samples import QueryTally


class _Window:
    """One window's asked queries: the two, or the fused one with the two to fall back on."""

    def __init__(
        self, slo: CompiledSLO, window: int, queries: DirectQueries, *, fuse: bool
    ) -> None:
        self.plan = plan = slo.queries(window)
        batch = window if plan.batchable else None
        self.fusion = slo.fusion if fuse and batch is not None else None
        if self.fusion is not None:
            self.rows = queries.ask_rows(self.fusion.query(window), window)
        else:
            self.numerator = queries.ask(plan.numerator, batch)
            self.total = queries.ask(plan.total, batch)

    async def values(self, queries: DirectQueries) -> tuple[QueryValue, QueryValue]:
        """The numerator's and the total's answers; a fused query the backend refused (or
        whose rows cannot be placed) is asked as the SLO's own two queries, so an error
        names one of those."""
        if self.fusion is not None:
            try:
                return self.fusion.split(await self.rows)
            except (QueryError, AnswerTooLarge, Undecidable):
                self.numerator = queries.ask(self.plan.numerator, None)
                self.total = queries.ask(self.plan.total, None)
        return await self.numerator, await self.total


Asked = dict[int, _Window]


def _ask(slo: CompiledSLO, queries: DirectQueries, at: float, *, fuse: bool) -> Asked:
    return {w: _Window(slo, w, queries, fuse=fuse) for w in slo.slo.windows_at(at)}


async def _slo_events(
    slo: CompiledSLO, asked: Asked, queries: DirectQueries, at: float
) -> WindowCounts:
    events = {}
    for window, one in asked.items():
        numerator, total = await one.values(queries)
        check_threshold_bucket(slo.slo, numerator.series, total.value, at)
        events[window] = window_events(numerator.value, total.value, counts_bad=one.plan.counts_bad)
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

    def __init__(self, gate: QueryGate, *, fuse: bool = True) -> None:
        self._gate = gate
        self._fuse = fuse
        """Ask a ratio window whose good events narrow its total as one query
        (``promql.fused``); False: always the two queries."""
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
        queries = DirectQueries(self._gate.counting(counted.tally), at)
        try:
            asked = [_ask(slo, queries, at, fuse=self._fuse) for slo in slos]
            queries.send()
            outcomes = await asyncio.gather(
                *(_slo_events(slo, a, queries, at) for slo, a in zip(slos, asked, strict=True)),
                return_exceptions=True,
            )
            await queries.drain()
        except BaseException:
            queries.abandon()
            raise
        events, failures = split_outcomes([slo.name for slo in slos], outcomes)
        counted.events.update(events)
        counted.failures.update(failures)
        return counted
