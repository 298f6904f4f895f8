"""Taking budget adjustments out of the counted events, once, for every counter.

After the counters counted every window at T, each SLO with adjustments
overlapping its windows has the events inside those spans counted by the
same counter (:meth:`~exporter.pipeline.counts.EventCounter.count_spans`)
and taken out of each window they fall in
(:func:`exporter.domain.adjustments.adjusted`). So ``run`` in both modes,
``eval``, ``decide`` and ``report``'s end state evaluate the same numbers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from exporter.domain.adjustments import Span, adjusted, window_spans
from exporter.errors import BackendError
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import Counted, EventCounter
from exporter.pipeline.pause import Pauser


async def _one(
    counter: EventCounter,
    slo: CompiledSLO,
    counted: Counted,
    spans: dict[int, list[Span]],
    at: float,
) -> None:
    unique = sorted({span for taken in spans.values() for span in taken})
    try:
        inside = await counter.count_spans(slo, unique, at, counted.tally)
    except BackendError as error:
        del counted.events[slo.name]
        counted.failures[slo.name] = error
        return
    counted.events[slo.name] = adjusted(counted.events[slo.name], spans, inside)


async def take_out_adjustments(
    busy: Sequence[tuple[EventCounter, Sequence[CompiledSLO]]],
    counts: Sequence[Counted],
    at: float,
) -> None:
    """Each counted SLO's events less those inside its budget adjustments, in place.

    The spans are worked out one SLO after another, yielding every 10 ms; then
    every SLO's spans are counted concurrently.
    """
    pause = Pauser()
    jobs = []
    for (counter, slos), counted in zip(busy, counts, strict=True):
        for slo in slos:
            events = counted.events.get(slo.name)
            if slo.slo.adjustments and events is not None:
                spans = window_spans(slo.slo.adjustments, events.keys(), at)
                if spans:
                    jobs.append(_one(counter, slo, counted, spans, at))
            await pause.maybe()
    if jobs:
        await asyncio.gather(*jobs)
