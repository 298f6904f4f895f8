"""The planning step of grouped SLOs: find each one's groups at T and compile them.

Before counting, every grouped SLO (``group_by``) sends one discovery query
(:func:`~exporter.promql.group_queries.discovery_query`, over its whole period once an
hour and over the time since the last cycle in between; with ``source: scrape``, the
label values of the total series the targets expose) and becomes one
compiled SLO per group found, whose selectors match that group only. The
counters then count the groups like any other SLO. Groups come and go with
the data: a group whose total series had no events in the period is not
found, and a new one is counted from whatever history it has.

At most ``max_groups`` groups are kept per SLO (the smallest label values);
the rest are dropped, counted in the run, and logged once when the cap starts
to bite. A group compiled once is kept while it is found, so a steady cycle
compiles nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

import structlog

from exporter.domain.grouping import GroupValues, capped, member_name
from exporter.domain.model import SLO
from exporter.errors import BackendError, QueryError
from exporter.pipeline.compiled import CompiledSLO, compile_slo
from exporter.pipeline.counts import split_outcomes
from exporter.pipeline.pause import Pauser
from exporter.promql.gate import QueryGate
from exporter.promql.group_queries import discovery_query, group_sli
from exporter.samples import QueryTally, Source

log = structlog.get_logger("slo_exporter")

PATH = "groups"
"""The discovery queries' name in ``slo_exporter_cycle_queries{path=...}``."""


@dataclass
class FoundGroups:
    """What the planning step found at T."""

    members: dict[str, tuple[CompiledSLO, ...]] = field(default_factory=dict)
    """Per grouped SLO whose groups were found: one compiled SLO per group."""
    failures: dict[str, BackendError] = field(default_factory=dict)
    """Grouped SLOs whose discovery query failed (their groups keep their last numbers)."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Per grouped SLO: groups found beyond its ``max_groups``."""
    tally: QueryTally = field(default_factory=QueryTally)


def group_slo(slo: SLO, values: GroupValues) -> SLO:
    """The group of the grouped ``slo`` with label ``values`` (in ``group_by`` order)."""
    assert slo.grouping is not None, "only a grouped SLO has groups"
    group = dict(zip(slo.grouping.labels, values, strict=True))
    return replace(
        slo,
        name=member_name(slo.name, group),
        sli=group_sli(slo.sli, group),
        grouping=None,
        group=MappingProxyType(group),
        group_of=slo.name,
    )


class GroupDiscovery(Protocol):
    """Where the groups of a grouped SLO are found."""

    async def values(self, slo: CompiledSLO, at: float, tally: QueryTally) -> set[GroupValues]:
        """The label values of the SLO's groups at ``at`` (raises ``BackendError``)."""
        ...


REDISCOVER = 3600
"""Seconds between two discoveries over a grouped SLO's whole period (see
:class:`PromQLDiscovery`)."""
OVERLAP = 300
"""Seconds a short discovery reaches back before the last one (late samples, and two
samples for ``increase()`` to see a series that moved)."""


@dataclass
class _Found:
    groups: set[GroupValues]
    at: float
    """The evaluation time of the last discovery."""
    whole_at: float
    """The evaluation time of the last discovery over the whole period."""


class PromQLDiscovery:
    """Groups with events in the period: ``count by`` queries through the gate.

    The whole period is read once per :data:`REDISCOVER` seconds (and whenever T
    goes back or jumps by more than that); in between, one query over the time since
    the last discovery adds the groups that started, so a new group is counted at the
    next cycle, while a group whose events stopped leaves up to an hour after its
    period no longer holds any. A steady cycle thus reads minutes of samples, not the
    period's (a 30-day month every 30 s for each grouped SLO).
    """

    def __init__(self, gate: QueryGate, rediscover: float = REDISCOVER) -> None:
        self._gate = gate
        self._rediscover = rediscover
        self._found: dict[str, _Found] = {}

    async def values(self, slo: CompiledSLO, at: float, tally: QueryTally) -> set[GroupValues]:
        """The groups whose total series had events in the period ending at ``at``."""
        period = slo.slo.period_window(at)
        last = self._found.get(slo.name)
        if last is None or not last.at < at < last.whole_at + self._rediscover:
            groups = await self._query(slo, period, at, tally)
            self._found[slo.name] = _Found(groups, at, at)
            return set(groups)
        window = min(round(at - last.at) + OVERLAP, period)
        last.groups |= await self._query(slo, window, at, tally)
        last.at = at
        return set(last.groups)

    async def _query(
        self, slo: CompiledSLO, window: int, at: float, tally: QueryTally
    ) -> set[GroupValues]:
        grouping = slo.slo.grouping
        assert grouping is not None, "only grouped SLOs are planned"
        query = discovery_query(slo.slo.sli, grouping.labels, window)
        series = await self._gate.counting(tally).series(query, at)
        return {tuple(labels.get(label, "") for label in grouping.labels) for labels, _ in series}


class SourceDiscovery:
    """Groups of a ``source: scrape`` config: the label values of the total series the
    targets expose now (a scrape has no past to ask for events in the period)."""

    def __init__(self, source: Source) -> None:
        self._source = source

    async def values(self, slo: CompiledSLO, at: float, tally: QueryTally) -> set[GroupValues]:
        """The groups of the total series in the latest scrapes."""
        grouping = slo.slo.grouping
        assert grouping is not None, "only grouped SLOs are planned"
        total = slo.sli_queries.selectors.total
        snapshot = await self._source.snapshot([total], at)
        return {
            tuple(dict(series).get(label, "") for label in grouping.labels)
            for series in snapshot.values.get(total, {})
        }


class GroupFinder:
    """Finds the groups of a generation's grouped SLOs; keeps their compiled SLOs."""

    def __init__(self, discovery: GroupDiscovery | None) -> None:
        self._discovery = discovery
        self._compiled: dict[str, dict[GroupValues, CompiledSLO]] = {}
        self._capped: set[str] = set()

    async def find(self, grouped: Sequence[CompiledSLO], at: float) -> FoundGroups:
        """Each grouped SLO's groups at ``at``."""
        found = FoundGroups()
        discovery = self._discovery
        if discovery is None:
            for slo in grouped:
                found.failures[slo.name] = QueryError(
                    "grouped SLOs need a source to find their groups", query=slo.name, at=at
                )
            return found
        answers = await asyncio.gather(
            *(discovery.values(slo, at, found.tally) for slo in grouped), return_exceptions=True
        )
        values, failures = split_outcomes([slo.name for slo in grouped], answers)
        found.failures.update(failures)
        pause = Pauser()
        for slo in grouped:
            if slo.name in values:
                found.members[slo.name] = await self._members(slo, values[slo.name], found, pause)
        return found

    async def _members(
        self, slo: CompiledSLO, values: set[GroupValues], found: FoundGroups, pause: Pauser
    ) -> tuple[CompiledSLO, ...]:
        grouping = slo.slo.grouping
        assert grouping is not None
        kept, dropped = capped(values, grouping.max_groups)
        self._note_cap(slo.name, len(values), grouping.max_groups, dropped)
        if dropped:
            found.dropped[slo.name] = dropped
        known = self._compiled.get(slo.name, {})
        members: dict[GroupValues, CompiledSLO] = {}
        for group in kept:
            member = known.get(group)
            if member is None:
                member = compile_slo(group_slo(slo.slo, group))
                await pause.maybe()
            members[group] = member
        self._compiled[slo.name] = members
        return tuple(members.values())

    def _note_cap(self, name: str, found: int, limit: int, dropped: int) -> None:
        """One log line when an SLO starts hitting its cap, one when it stops."""
        if dropped and name not in self._capped:
            self._capped.add(name)
            log.warning(
                "slo_groups_capped",
                slo=name,
                groups_found=found,
                max_groups=limit,
                detail=f"SLO {name!r} has {found} groups, more than max_groups {limit}; "
                f"evaluating the first {limit} by label value, dropping {dropped}",
            )
        elif not dropped and name in self._capped:
            self._capped.discard(name)
            log.info("slo_groups_within_cap", slo=name, groups_found=found, max_groups=limit)
