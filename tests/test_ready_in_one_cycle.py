"""Ready in one cycle: a cold store is served by direct queries until it covers each SLO.

Against the session's real Prometheus: a daemon started on an empty data directory
and one whose store is already filled (a long-running one) are driven through the
same evaluation times. At every cycle, the cold one while it counts directly, at the
switch and after it, both give the ground truth and each other's numbers; an SLO added
by a reload goes through the same switch on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import aiohttp
import pytest
from incremental_truth import DIRECT, mismatches, write_store_config

from exporter.config.loader import load_config
from exporter.daemon import Daemon
from exporter.domain.evaluate import SLOResult
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.generation import build_generation
from exporter.pipeline.stored import HistoryKeeper, StoreCounter
from exporter.samples import QueryTally
from exporter.selfmetrics import SelfMetrics
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

MINUTE, HOUR = 60, 3600
STORED = 7
"""SLOs of the test config the store counts (all but the query template)."""


ADDED = """\
  - name: checkout-availability-2
    service: checkout
    objective: 99.9
    period: 30d
    sli:
      ratio:
        good: http_requests_total{service="checkout",code!~"5..",job!="none"}
        total: http_requests_total{service="checkout",job!="none"}
"""
"""checkout-availability's SLO again, with selectors (so streams) of its own: the same
series (none has a ``job`` of ``none``), so the same numbers."""


def differences(cold: Mapping[str, SLOResult], warm: Mapping[str, SLOResult]) -> list[str]:
    """Every window whose events differ between two daemons (the period by > 0.1 %)."""
    out = []
    assert cold.keys() == warm.keys()
    for name, result in cold.items():
        other = warm[name]
        period = result.slo.period_window(result.evaluated_at)
        assert result.windows.keys() == other.windows.keys()
        pairs = [(w, r.events, other.windows[w].events) for w, r in result.windows.items()]
        pairs.append((0, result.period.events, other.period.events))
        for window, mine, theirs in pairs:
            rel = 1e-3 if window in (0, period) else 1e-12
            for seen, true in ((mine.good, theirs.good), (mine.total, theirs.total)):
                if abs(seen - true) > rel * max(abs(true), 1.0):
                    out.append(f"{name} {window}s: {seen} != {true}")
    return out


def store_path(run: EvaluationRun) -> int:
    return run.paths["store"].slos - run.filling


async def test_a_cold_daemon_equals_a_warm_one_at_every_cycle_of_the_switch(prometheus, tmp_path):
    """Cycle 1 of a cold daemon counts every SLO directly (ready, exact); the fill runs
    behind the cycles; once it is done the store counts them, and at every cycle both
    daemons equal the truth and each other. An SLO a reload adds is counted directly
    in its first cycle and by the store once its own fill is done."""
    history = prometheus.history
    (tmp_path / "warm").mkdir()
    (tmp_path / "cold").mkdir()
    warm_config = write_store_config(tmp_path / "warm", prometheus.url)
    cold_config = write_store_config(tmp_path / "cold", prometheus.url)
    start = prometheus.now - 3 * HOUR
    warm_store = HistoryStore.open(tmp_path / "warm-data")
    cold_store = HistoryStore.open(tmp_path / "cold-data")
    async with aiohttp.ClientSession() as session:
        warm = Daemon(load_config(warm_config), session, SelfMetrics(), store=warm_store)
        cold = Daemon(load_config(cold_config), session, SelfMetrics(), store=cold_store)
        try:
            await warm.evaluate_once(start - 10 * MINUTE)
            await warm.counters.keeper.behind.wait()
            await warm.evaluate_once(start)
            paths = []
            for k in range(1, 7):
                at = start + k * MINUTE
                if k == 4:  # a new SLO with streams of its own, on the cold daemon only
                    cold_config.write_text(cold_config.read_text() + ADDED)
                    assert await cold.reload(cold_config)
                cold_run = await cold.evaluate_once(at)
                warm_run = await warm.evaluate_once(at)
                assert cold_run.failures == {}
                assert cold.ready, f"cycle {k}"
                results = dict(cold_run.results)
                extra = results.pop("checkout-availability-2", None)
                assert mismatches(history, results) == [], f"cycle {k}"
                assert differences(results, warm_run.results) == [], f"cycle {k}"
                if extra is not None:
                    same = {"checkout-availability": results["checkout-availability"]}
                    renamed = {"checkout-availability": extra}
                    assert differences(renamed, same) == [], f"cycle {k}"
                paths.append((store_path(cold_run), cold_run.filling))
                await cold.counters.keeper.behind.wait()  # the next cycle finds it filled
        finally:
            await cold.close()
            await warm.close()
    warm_store.close()
    cold_store.close()
    direct = len(DIRECT)
    assert direct == 1
    # cycle 1: all direct; then the store; cycle 4 adds an SLO, direct once, then stored
    after = STORED + 1
    assert paths == [(0, STORED), (STORED, 0), (STORED, 0), (STORED, 1), (after, 0), (after, 0)]


def _refused(message: str) -> bytes:
    return json.dumps({"status": "error", "errorType": "bad_data", "error": message}).encode()


async def test_an_slos_own_failure_does_not_hold_readiness(fake_backend, tmp_path):
    """On an empty store, an SLO whose own query the backend refuses fails alone (as it
    would from the store), and fills failing behind the cycle are not the cycle's
    failures: the daemon is ready after its first cycle with the other SLOs' numbers."""
    path = write_store_config(tmp_path, fake_backend.url)
    culprit = 'sum(increase(http_requests_total{service="quiet"}[1h]))'
    fake_backend.answers[culprit] = _refused("too many samples")
    # the window is asked fused first; refused, its own two queries are asked
    fused = 'sum by (code) (increase(http_requests_total{service="quiet"}[1h]))'
    fake_backend.answers[fused] = _refused("too many samples")
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            daemon = Daemon(load_config(path), session, SelfMetrics(), store=store)
            try:
                run = await daemon.evaluate_once(1_800_000_000)
                await daemon.counters.keeper.behind.wait()  # the fake cannot fill it
            finally:
                await daemon.close()
    finally:
        store.close()
    assert set(run.failures) == {"quiet-availability"}
    assert run.filling == STORED
    assert daemon.ready


async def test_the_fill_waits_for_the_first_cycles_direct_count(fake_backend, tmp_path):
    """On an empty store every direct window query of the first cycle is sent before the
    store's range fill sends its first query: both read months of samples from the same
    backend, and the direct count is what ``/readyz`` waits for."""
    path = write_store_config(tmp_path, fake_backend.url)
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            daemon = Daemon(load_config(path), session, SelfMetrics(), store=store)
            try:
                await daemon.evaluate_once(1_800_000_000)
                await daemon.counters.keeper.behind.wait()  # the fake cannot fill it
            finally:
                await daemon.close()
    finally:
        store.close()
    sent = [(r.path, r.query or "") for r in fake_backend.requests]
    ranges = [i for i, (where, _) in enumerate(sent) if where.endswith("/query_range")]
    direct = [
        i for i, (where, q) in enumerate(sent) if where.endswith("/query") and "increase(" in q
    ]
    assert ranges
    assert direct
    assert max(direct) < min(ranges)


class _Broken:
    """A counter with a bug (fault injection): it takes any SLO and raises."""

    path = "broken"

    def can_count(self, slo) -> bool:
        return True

    async def count(self, slos, at):
        raise RuntimeError("a bug")

    async def count_spans(self, slo, spans, at, tally):
        raise RuntimeError("a bug")


async def test_held_fills_start_even_when_the_cycle_fails(fake_backend, tmp_path):
    """A cycle that ends in a bug after the store held back its fills still lets them
    start: they run (and end) without waiting for a cycle that counts their SLOs."""
    settings = load_config(write_store_config(tmp_path, fake_backend.url))
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            generation = build_generation(settings, session)
            assert generation.gate is not None
            keeper = HistoryKeeper(store)
            source = PromQLSource(generation.gate.counting(QueryTally(), ahead=True))
            counter = StoreCounter(keeper, source, source, QueryTally(), interval=60,
                                   concurrency=4, behind=True)  # fmt: skip
            with pytest.raises(RuntimeError):
                await Pipeline(generation.slos, [counter, _Broken()]).evaluate(1_800_000_000)
            await asyncio.wait_for(keeper.behind.wait(), timeout=10)
    finally:
        store.close()
    assert [r for r in fake_backend.requests if r.path.endswith("/query_range")]
