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
from exporter.promql.gate import QueryGate
from exporter.samples import QueryTally

Asked = dict[int, tuple[asyncio.Future[QueryValue], asyncio.Future[QueryValue], bool]]
"""Per window: the numerator's and the total's answers, and whether it counts bad events."""


def _ask(slo: CompiledSLO, queries: DirectQueries, at: float) -> Asked:
    asked: Asked = {}
    for window in slo.slo.windows_at(at):
        plan = slo.queries(window)
        batch = window if plan.batchable else None
        asked[window] = (
            queries.ask(plan.numerator, batch),
            queries.ask(plan.total, batch),
            plan.counts_bad,
        )
    return asked


async def _slo_events(slo: CompiledSLO, asked: Asked, at: float) -> WindowCounts:
    events = {}
    for window, (numerator_answer, total_answer, counts_bad) in asked.items():
        numerator, total = await numerator_answer, await total_answer
        check_threshold_bucket(slo.slo, numerator.series, total.value, at)
        events[window] = window_events(numerator.value, total.value, counts_bad=counts_bad)
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
        queries = DirectQueries(self._gate.counting(counted.tally), at)
        try:
            asked = [_ask(slo, queries, at) for slo in slos]
            queries.send()
            outcomes = await asyncio.gather(
                *(_slo_events(slo, a, at) for slo, a in zip(slos, asked, strict=True)),
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
