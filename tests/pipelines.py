"""Tests build the production pipeline the way the daemon and ``eval`` do, with a few lines."""

from __future__ import annotations

from collections.abc import Sequence

from exporter.domain.model import SLO
from exporter.pipeline.compiled import compile_slo
from exporter.pipeline.counts import EventCounter
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.groups import PromQLDiscovery
from exporter.pipeline.stored import HistoryKeeper, StoreCounter
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.samples import QueryTally, RangeSource, Source
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore


def pipeline(slos: Sequence[SLO], counters: Sequence[EventCounter]) -> Pipeline:
    """``slos`` compiled and routed to ``counters`` (the first that can count each)."""
    return Pipeline([compile_slo(slo) for slo in slos], counters)


def direct(client: PromQLClient, concurrency: int = 16) -> DirectCounter:
    """The direct counter over ``client``, as ``eval`` builds it."""
    return DirectCounter(QueryGate(client, concurrency))


async def evaluate_direct(
    slos: Sequence[SLO], client: PromQLClient, at: float, concurrency: int = 16
) -> EvaluationRun:
    """What ``eval --at`` computes: every window a direct query."""
    return await pipeline(slos, [direct(client, concurrency)]).evaluate(at)


def stored(
    keeper: HistoryKeeper,
    source: Source,
    history: RangeSource | None,
    *,
    tally: QueryTally | None = None,
    interval: int = 60,
    concurrency: int = 4,
) -> StoreCounter:
    """A store counter reading ``source`` (and ``history`` for fills)."""
    return StoreCounter(
        keeper,
        source,
        history,
        tally if tally is not None else QueryTally(),
        interval=interval,
        concurrency=concurrency,
    )


def store_then_direct(
    slos: Sequence[SLO], gate: QueryGate, store: HistoryStore, *, discover: bool = True
) -> Pipeline:
    """What ``run --data-dir`` builds: the store counts what it can, direct queries the
    rest, groups found by PromQL (unless ``discover`` is false); queries go through
    ``gate``."""
    tally = QueryTally()
    source = PromQLSource(gate.counting(tally))
    counters: list[EventCounter] = [
        stored(HistoryKeeper(store), source, source, tally=tally),
        DirectCounter(gate),
    ]
    discovery = PromQLDiscovery(gate) if discover else None
    return Pipeline([compile_slo(slo) for slo in slos], counters, discovery)
