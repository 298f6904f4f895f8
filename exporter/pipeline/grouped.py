"""Counting all groups of a grouped SLO at once: one query pair per window, ``by`` its labels.

The groups found at T (:mod:`exporter.pipeline.groups`) are SLOs any counter can
count, with two queries per window each: 1,000 groups of an SLO with eight windows
would be 16,000 queries a cycle. This counter asks each window's two queries once
per grouped SLO, summed ``by (route)``
(:func:`~exporter.promql.group_queries.grouped_window_queries`), and gives each group
the sample of its label values; a group without a sample had no series there, as its
own query would have found. It takes the groups the store counter did not (it comes
after it, before the direct counter) and that count occurrences: a group judged per
time slice goes to the direct counter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from exporter.domain.adjustments import Span
from exporter.domain.budget import WindowEvents
from exporter.domain.model import SLO
from exporter.errors import BackendError
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.counts import Counted, check_threshold_bucket, split_outcomes, window_events
from exporter.pipeline.direct import span_events
from exporter.pipeline.pause import Pauser
from exporter.promql.answers import Labels
from exporter.promql.gate import QueryGate
from exporter.promql.group_queries import grouped_window_queries
from exporter.samples import QueryTally

Samples = dict[tuple[str, ...], float]
"""One answer: each group's value, by its label values."""


def _by_group(series: list[tuple[Labels, float]], labels: tuple[str, ...]) -> Samples:
    return {tuple(found.get(label, "") for label in labels): value for found, value in series}


class GroupedCounter:
    """Counts the groups of grouped SLOs with one query pair per window and grouped SLO."""

    path = "grouped"

    def __init__(self, gate: QueryGate, grouped: Mapping[str, SLO]) -> None:
        self._gate = gate
        self._grouped = grouped
        """The config's grouped SLOs by name: whose queries a group's are."""

    def can_count(self, slo: CompiledSLO) -> bool:
        """A group of one of the config's grouped SLOs, counting occurrences."""
        return slo.slo.group_of in self._grouped and not slo.slo.sliced

    async def count_spans(
        self, slo: CompiledSLO, spans: Sequence[Span], at: float, tally: QueryTally
    ) -> dict[Span, WindowEvents]:
        """A group's events inside each budget adjustment: its own query pair per span."""
        gate = self._gate.counting(tally)
        counted = await asyncio.gather(*(span_events(gate, slo, span) for span in spans))
        return dict(zip(spans, counted, strict=True))

    async def count(self, slos: Sequence[CompiledSLO], at: float) -> Counted:
        """Every window of every group at ``at``; a failed query fails its SLO's groups."""
        counted = Counted(tally=QueryTally())
        gate = self._gate.counting(counted.tally)
        members: dict[str, list[CompiledSLO]] = {}
        for slo in slos:
            members.setdefault(slo.slo.group_of, []).append(slo)
        names = list(members)
        outcomes = await asyncio.gather(
            *(self._answers(gate, self._grouped[name], at) for name in names),
            return_exceptions=True,
        )
        answers, failures = split_outcomes(names, outcomes)
        for name, failure in failures.items():
            counted.failures.update((m.name, failure) for m in members[name])
        pause = Pauser()
        for name, answer in answers.items():
            for member in members[name]:
                self._member(member, answer, counted, at)
                await pause.maybe()
        return counted

    async def _answers(
        self, gate: QueryGate, grouped: SLO, at: float
    ) -> dict[int, tuple[Samples, Samples, bool]]:
        """Per window: the numerator's and the total's samples by group, and counts_bad."""
        assert grouped.grouping is not None
        labels = grouped.grouping.labels
        plans = {w: grouped_window_queries(grouped.sli, labels, w) for w in grouped.windows_at(at)}
        answers = await asyncio.gather(
            *(gate.series(q, at) for plan in plans.values() for q in (plan.numerator, plan.total))
        )
        return {
            window: (
                _by_group(answers[2 * i], labels),
                _by_group(answers[2 * i + 1], labels),
                plan.counts_bad,
            )
            for i, (window, plan) in enumerate(plans.items())
        }

    @staticmethod
    def _member(
        member: CompiledSLO,
        answers: Mapping[int, tuple[Samples, Samples, bool]],
        counted: Counted,
        at: float,
    ) -> None:
        slo = member.slo
        key = tuple(slo.group.values())  # in group_by order (pipeline.groups.group_slo)
        events: dict[int, WindowEvents] = {}
        try:
            for window, (numerator, total, counts_bad) in answers.items():
                value, all_events = numerator.get(key, 0.0), total.get(key, 0.0)
                check_threshold_bucket(slo, 1 if key in numerator else 0, all_events, at)
                events[window] = window_events(value, all_events, counts_bad=counts_bad)
        except BackendError as error:
            counted.failures[member.name] = error
            return
        counted.events[member.name] = events
