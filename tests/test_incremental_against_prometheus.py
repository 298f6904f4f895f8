"""The store-backed evaluation on a real Prometheus: backfill, steady cycles, restarts.

The pipeline with a store counter is driven directly at chosen aligned times (as
the daemon drives it at each tick) and every window of every SLO is
compared with the generator's exact increments (``tests/truth.py``) and,
for windows of an hour and more, with ``eval --at``'s direct
``sum(increase(sel[W]))`` queries at the same T.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from incremental_truth import DIRECT, SELECTORS, mismatches, write_store_config
from pipelines import evaluate_direct, pipeline, stored
from store_files import stored_buckets

from exporter.config.loader import load_config
from exporter.pipeline.cycle import EvaluationRun
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.samples import QueryTally
from exporter.settings import Settings
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

MINUTE, HOUR, DAY = 60, 3600, 86400
STEADY_QUERIES = 3
"""A steady cycle: one batch for the 9 counter selectors, one query for each gauge stream."""


@dataclass
class Outcome:
    """One cycle's run and what its store side did."""

    run: EvaluationRun
    filled_seconds: float

    @property
    def complete(self) -> bool:
        return self.run.complete

    @property
    def stored_slos(self) -> int:
        return self.run.paths["store"].slos


@dataclass
class Harness:
    """A store and the production pipeline over a PromQL backend, as the daemon wires them."""

    settings: Settings
    client: PromQLClient
    data_dir: Path
    store: HistoryStore
    keeper: HistoryKeeper

    async def cycle(self, at: int) -> tuple[Outcome, QueryTally]:
        """One cycle at ``at``; what it returned and the store-side queries it sent."""
        gate = QueryGate(self.client, self.settings.evaluation.concurrency)
        tally = QueryTally()
        source = PromQLSource(gate.counting(tally))
        counters = [
            stored(
                self.keeper,
                source,
                source,
                tally=tally,
                interval=self.settings.evaluation.interval,
                concurrency=self.settings.evaluation.concurrency,
            ),
            DirectCounter(gate),
        ]
        filled = self.keeper.progress.filled
        run = await pipeline(self.settings.slos, counters).evaluate(at)
        assert run.paths["store"].tally == tally
        return Outcome(run, self.keeper.progress.filled - filled), tally

    def restart(self) -> None:
        """A new process on the same data directory: a new store object and keeper."""
        self.store.close()
        self.store = HistoryStore.open(self.data_dir)
        self.keeper = HistoryKeeper(self.store)


@pytest.fixture
async def harness(prometheus, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = load_config(write_store_config(tmp_path, prometheus.url))
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, settings.backend)
        store = HistoryStore.open(tmp_path / "data")
        harness = Harness(settings, client, tmp_path / "data", store, HistoryKeeper(store))
        yield harness
        harness.store.close()


async def agrees_with_eval(harness: Harness, run: Outcome, at: int) -> list[str]:
    """Windows of an hour or more that differ from direct queries by more than 0.1 %."""
    direct = await evaluate_direct(
        harness.settings.slos, harness.client, at, harness.settings.evaluation.concurrency
    )
    assert not direct.failures
    out = []
    for name, result in run.run.results.items():
        theirs = direct.results[name]
        for window, mine in [*result.windows.items(), (-1, result.period)]:
            other = theirs.period if window == -1 else theirs.windows[window]
            if 0 <= window < HOUR:
                continue
            for a, b in (
                (mine.events.good, other.events.good),
                (mine.events.total, other.events.total),
            ):
                if abs(a - b) > 1e-3 * max(abs(b), 1.0):
                    out.append(f"{name} {window}: store {a} vs eval {b}")
    return out


def offset(prometheus, seconds: int) -> int:
    return prometheus.now + seconds


@pytest.mark.parametrize(
    "shift",
    [0, -2 * HOUR + 17 * MINUTE, -2 * DAY + 10 * MINUTE, -3 * DAY + 7 * MINUTE, 2 * HOUR],
    ids=["now", "2h-ago", "checkout-outage", "counter-reset", "after-fast-burn"],
)
async def test_cold_start_backfills_and_matches_ground_truth(prometheus, harness, shift):
    """A new store backfills on its first cycle; every window then equals the exact
    increments (the period within 0.1 %) and agrees with eval --at for windows >= 1h."""
    at = offset(prometheus, shift)
    run, sent = await harness.cycle(at)
    assert run.complete
    assert not run.run.failures
    assert set(run.run.results) == {*harness_names(harness)}
    assert run.stored_slos == len(harness.settings.slos) - len(DIRECT)
    assert sent.sent["range"] >= SELECTORS, "history comes from range queries"
    assert mismatches(prometheus.history, run.run.results) == []
    assert await agrees_with_eval(harness, run, at) == []


def harness_names(harness: Harness) -> list[str]:
    return [slo.name for slo in harness.settings.slos]


async def test_on_the_coarse_grid_even_the_period_is_exact(prometheus, harness):
    """At a whole hour the period's edge cuts no coarse bucket: every window is exact."""
    at = prometheus.now // HOUR * HOUR - HOUR
    run, _ = await harness.cycle(at)
    assert mismatches(prometheus.history, run.run.results, period_rel=1e-12) == []


async def test_steady_cycles_read_each_selector_once(prometheus, harness):
    """After the backfill a cycle reads every distinct counter selector once, all 9 in one
    batched instant query, and counts each of the gauge's 2 streams with one query, whatever
    the number of windows: 3 queries for 7 store-backed SLOs, exact every time."""
    start = offset(prometheus, -HOUR)
    await harness.cycle(start)
    for k in range(1, 6):
        at = start + k * MINUTE
        run, sent = await harness.cycle(at)
        assert sent.sent == {"instant": STEADY_QUERIES}
        assert run.stored_slos == 7
        assert run.filled_seconds == 0
        assert mismatches(prometheus.history, run.run.results) == []


@pytest.mark.parametrize("missed", [1, 4, 9])
async def test_a_few_missed_cycles_are_read_point_by_point_in_batches(prometheus, harness, missed):
    """Cycles that ran late (or a short outage) leave a few evaluation times unread: the
    next cycle reads each with one batched snapshot, not one range query per counter
    selector (only the gauge's 2 streams use range queries), and is exact (at a whole
    hour, so that the period's edge cuts no coarse bucket)."""
    at = prometheus.now // HOUR * HOUR - HOUR
    start = at - (missed + 1) * MINUTE
    await harness.cycle(start)
    run, sent = await harness.cycle(at)
    assert sent.sent == {"instant": missed + 1, "range": 2}
    assert run.complete
    assert run.filled_seconds == SELECTORS * (at - start), "counted like a range-filled gap"
    assert mismatches(prometheus.history, run.run.results, period_rel=1e-12) == []


async def test_a_restart_fills_only_the_gap(prometheus, harness):
    """A new process on the same data directory reads only (known_until, T], once per
    selector, and is exact again."""
    before = offset(prometheus, -4 * HOUR)
    await harness.cycle(before)
    harness.restart()
    at = offset(prometheus, -HOUR + 7 * MINUTE)
    run, sent = await harness.cycle(at)
    assert sent.sent == {"range": SELECTORS}
    assert run.filled_seconds == SELECTORS * (at - before)
    assert mismatches(prometheus.history, run.run.results) == []
    assert await agrees_with_eval(harness, run, at) == []


async def test_a_restart_after_days_refills_both_tiers(prometheus, harness):
    """Down for longer than the fine tier: coarse history, then raw values, and exact again."""
    before = offset(prometheus, -6 * DAY)
    await harness.cycle(before)
    harness.restart()
    at = offset(prometheus, 0)
    run, _ = await harness.cycle(at)
    assert run.complete
    assert run.filled_seconds == SELECTORS * (at - before)
    assert mismatches(prometheus.history, run.run.results) == []
    assert await agrees_with_eval(harness, run, at) == []


async def test_the_store_stays_small(prometheus, harness):
    """Once compacted, a selector holds its fine tier plus about 2000 coarse buckets (at
    the tests' 60 s interval 3d keeps fine edges: no middle width fits below 3d/2000)."""
    await harness.cycle(offset(prometheus, 0))
    stats = harness.store.stats()
    fine = (3 * DAY + HOUR) // MINUTE  # the longest short window is 3d
    assert stats.buckets <= SELECTORS * (fine + 2200)
    assert stats.series == 21


async def test_a_longer_period_reads_the_older_history_once(prometheus, harness, tmp_path):
    """A period raised from 7d to 30d prepends the 23 missing days, coarse, for that SLO's
    selectors only; the new period then counts them."""
    start = offset(prometheus, -HOUR)
    await harness.cycle(start)
    path = tmp_path / "slos.yaml"
    quiet = "name: quiet-availability\n    service: quiet\n    objective: 99\n    period: "
    path.write_text(path.read_text().replace(quiet + "7d", quiet + "30d"))
    harness.settings = load_config(path)
    at = start + MINUTE
    run, sent = await harness.cycle(at)
    assert sent.sent["range"] == 2, "one range query for each of the SLO's two selectors"
    assert sent.sent["instant"] <= STEADY_QUERIES + 2 * 2, "plus at most 2 point reads each"
    # 23 days per selector, give or take one coarse bucket (20 min for 30 days): where the
    # prepended history meets the stored one depends on where "now" falls on that grid.
    coarse = 20 * MINUTE
    assert 2 * (23 * DAY - coarse) <= run.filled_seconds <= 2 * (23 * DAY + HOUR)
    result = run.run.results["quiet-availability"]
    assert result.period.window == 30 * DAY
    truth = prometheus.history.increase("http_requests_total", {"service": "quiet"}, at, 30 * DAY)
    assert result.period.events.total == truth
    assert truth > prometheus.history.increase(
        "http_requests_total", {"service": "quiet"}, at, 7 * DAY
    )


@pytest.mark.parametrize(
    "shift", [0, -2 * HOUR + 17 * MINUTE + 30, -2 * DAY + 10 * MINUTE], ids=str
)
async def test_at_30s_3d_reads_a_middle_tier_of_minutes_and_stays_within_the_bound(
    prometheus, tmp_path, shift
):
    """At a 30 s interval the 3d windows read their edge from 1-minute buckets (the fine
    tier covers 1d + 1h only): on a cold start and the next cycles every window up to 1d
    is exact, 3d and the period within 0.1 %, and eval --at agrees for windows >= 1h on
    the samples' minute grid (the query-template SLO's direct queries off it extrapolate:
    not compared with the truth)."""
    settings = load_config(write_store_config(tmp_path, prometheus.url, interval="30s"))
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, settings.backend)
        store = HistoryStore.open(tmp_path / "data")
        harness = Harness(settings, client, tmp_path / "data", store, HistoryKeeper(store))
        try:
            at = prometheus.now + shift
            for t in range(at, at + 90, 30):
                run, _ = await harness.cycle(t)
                assert run.complete
                stored = {n: r for n, r in run.run.results.items() if n not in DIRECT}
                assert mismatches(prometheus.history, stored, interval=30) == []
                if t % MINUTE == 0:  # eval's increase() is exact on the samples' grid
                    assert await agrees_with_eval(harness, run, t) == []
            widths = _widths(tmp_path / "data", at + 60)
            assert widths["middle"] == {60}, widths
            assert max(widths["fine"]) <= 60, widths
        finally:
            harness.store.close()


def _widths(data_dir: Path, at: int) -> dict[str, set[int]]:
    """Bucket widths of every selector in (at - 3d, at - 1d - 2h] and in the last day."""
    buckets = stored_buckets(data_dir)
    middle = [(e - s,) for s, e, _, _ in buckets if at - 3 * DAY < e <= at - DAY - 2 * HOUR]
    fine = [(e - s,) for s, e, _, _ in buckets if e > at - DAY]
    return {"middle": {w for (w,) in middle}, "fine": {w for (w,) in fine}}
