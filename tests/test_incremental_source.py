"""The store fed by a plain :class:`~exporter.samples.Source` (no range side).

What a scrape source gets: no backfill, history from the first snapshot on,
and a gap (missed snapshots) becoming one bucket that windows share
linearly. The source here answers from ``history.py``'s exact values, as
scraped targets would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest
from history import History, build_history
from history_values import HistoryValues
from pipelines import direct, pipeline, stored
from truth import TRUTH, write_config

from exporter.config.loader import load_config
from exporter.errors import BackendUnavailable
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.samples import Snapshot
from exporter.store.history import HistoryStore

NOW = 1_800_000_000
MINUTE = 60


class HistorySource:
    """Snapshots of every matching series' latest value, like a scrape at ``at``."""

    def __init__(self, history: History) -> None:
        self.values = HistoryValues(history)
        self.reads = 0

    async def snapshot(self, selectors: Sequence[str], at: float) -> Snapshot:
        self.reads += 1
        values = {
            s: {frozenset(labels.items()): v for labels, v in self.values.at(s, at)}
            for s in selectors
        }
        return Snapshot(at=at, values=values)


DEAD = "http://127.0.0.1:9"
"""A backend address nothing listens on: its queries fail to connect."""


@pytest.fixture(scope="module")
def history() -> History:
    return build_history(NOW)


@pytest.fixture
async def setup(tmp_path: Path, history: History):
    settings = load_config(write_config(tmp_path, DEAD))
    store = HistoryStore.open(tmp_path / "data")
    source = HistorySource(history)
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, settings.backend)
        evaluate = pipeline(
            settings.slos, [stored(HistoryKeeper(store), source, None), direct(client)]
        )
        yield evaluate.evaluate, source
    store.close()


def events(run, name: str, window: int) -> float:
    return run.results[name].windows[window].events.total


async def test_history_starts_at_the_first_snapshot(setup, history):
    """No backfill: the first snapshot is a baseline, later ones add exact increments,
    one snapshot per cycle for every selector together."""
    cycle, source = setup
    start = history.now - 2 * 3600
    first = await cycle(start)
    assert first.complete
    assert events(first, "checkout-availability", 300) == 0
    for k in range(1, 6):
        run = await cycle(start + k * MINUTE)
    assert source.reads == 6
    truth = TRUTH["checkout-availability"]
    at = start + 5 * MINUTE
    for window in (300, 3600, 30 * 86400):
        assert events(run, "checkout-availability", window) == truth.total(history, at, 300)
    assert run.failures.keys() == {"search-availability"}, "query templates need PromQL"


async def test_a_gap_becomes_one_bucket_shared_linearly(setup, history):
    """Ten missed minutes are one bucket: a 5-minute window inside it gets half of it."""
    cycle, _ = setup
    start = history.now - 2 * 3600
    await cycle(start)
    await cycle(start + MINUTE)
    at = start + 11 * MINUTE
    run = await cycle(at)
    truth = TRUTH["checkout-availability"]
    gap = truth.total(history, at, 10 * MINUTE)
    assert events(run, "checkout-availability", 300) == pytest.approx(gap / 2)
    assert events(run, "checkout-availability", 3600) == truth.total(history, at, 11 * MINUTE)


class GatedRanges(HistorySource):
    """A backend whose range reads hang until released, then fail (fault injection)."""

    def __init__(self, history: History) -> None:
        super().__init__(history)
        self.gate = asyncio.Event()
        self.waiting = 0

    async def _hang(self, what: str):
        self.waiting += 1
        await self.gate.wait()
        raise BackendUnavailable(f"gone while reading {what}")

    async def values(self, selector, points):
        return await self._hang(selector)

    async def events(self, query, ends):
        return await self._hang(query)


async def test_backfill_progress_is_visible_and_a_failed_backfill_fails_its_slos(
    tmp_path: Path, history: History
):
    """While the backfill runs, the seconds still to read are known; if the backend goes
    away meanwhile, the store-backed SLOs fail this cycle and nothing is left pending."""
    settings = load_config(write_config(tmp_path, DEAD))
    store = HistoryStore.open(tmp_path / "data")
    source = GatedRanges(history)
    keeper = HistoryKeeper(store)
    try:
        async with aiohttp.ClientSession() as session:
            client = PromQLClient(session, settings.backend)
            evaluate = pipeline(settings.slos, [stored(keeper, source, source), direct(client)])
            cycle = asyncio.ensure_future(evaluate.evaluate(history.now))
            for _ in range(500):
                if source.waiting:
                    break
                await asyncio.sleep(0.01)
            assert keeper.progress.remaining >= 30 * 86400
            source.gate.set()
            run = await cycle
    finally:
        store.close()
    assert keeper.progress.remaining == 0
    assert not run.complete
    assert set(run.failures) == {slo.name for slo in settings.slos}
    assert all(e.reason in {"connection"} for e in run.failures.values())
