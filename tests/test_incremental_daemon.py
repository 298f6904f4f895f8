"""The store-backed daemon (``run --data-dir``): readiness, outages, retention, self-metrics.

Against the session's real Prometheus; a dead port stands for a backend
outage, and an in-process fake that only knows the latest raw values stands
for a backend that has lost its history (fault injection only).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from fake_backend import FakeBackend
from history import History
from history_values import HistoryValues
from incremental_truth import DIRECT, SELECTORS, mismatches, wide_edge, write_store_config
from metrics_text import one, parse, pick
from pipelines import pipeline, stored
from store_files import damage_store
from truth import TRUTH, write_config

from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config
from exporter.daemon import Daemon
from exporter.domain.durations import parse_duration
from exporter.pipeline.stored import HistoryKeeper
from exporter.selfmetrics import SelfMetrics
from exporter.store.file_format import FILE_NAME
from exporter.store.history import HistoryStore

MINUTE, HOUR = 60, 3600
DEAD = "http://127.0.0.1:9"


async def wait_for(condition, attempts: int = 600) -> None:
    """Poll ``condition`` (bounded; not a speed assertion)."""
    for _ in range(attempts):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition never held")


def check_samples(history: History, samples) -> list[str]:
    """Every window on /metrics that differs from the ground truth (the period by > 0.1 %)."""
    out = []
    for name, truth in TRUTH.items():
        at = one(samples, "slo_evaluation_timestamp_seconds", slo=name)
        for labels, total_seen in pick(samples, "slo_window_events", slo=name).items():
            label = dict(labels)["window"]
            window = parse_duration(label)
            rel = 1e-3 if window == truth.period or wide_edge(window) else 1e-12
            good_seen = one(samples, "slo_window_good_events", slo=name, window=label)
            for seen, true in (
                (total_seen, truth.total(history, at, window)),
                (good_seen, truth.good(history, at, window)),
            ):
                if abs(seen - true) > rel * max(true, 1.0):
                    out.append(f"{name} {label}: {seen} != {true}")
    return out


async def test_store_backed_daemon_serves_ground_truth(prometheus, tmp_path, aiohttp_client):
    """With an empty data directory the daemon is ready after its first cycle with the exact
    numbers (counted directly while the store fills behind); once the store is filled it
    counts them itself, as exactly, and its self-metrics say what it holds."""
    settings = load_config(write_store_config(tmp_path, prometheus.url))
    app = create_app(settings, store=HistoryStore.open(tmp_path / "data"))
    client = await aiohttp_client(app)

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await wait_for(ready)
    assert app[DAEMON].cycles == 1
    samples = parse(await (await client.get("/metrics")).text())
    assert check_samples(prometheus.history, samples) == []
    assert one(samples, "slo_exporter_cycle_slos", path="direct") == len(settings.slos)
    keeper = app[DAEMON].counters.keeper
    await keeper.behind.wait()
    app[DAEMON].wake()

    async def second() -> bool:
        return app[DAEMON].cycles >= 2

    await wait_for(second)
    samples = parse(await (await client.get("/metrics")).text())
    assert check_samples(prometheus.history, samples) == []
    assert one(samples, "slo_exporter_cycle_slos", path="store") == len(settings.slos) - 1
    assert one(samples, "slo_exporter_cycle_slos", path="direct") == len(DIRECT)
    direct = [slo for slo in settings.slos if slo.name in DIRECT]
    at = one(samples, "slo_evaluation_timestamp_seconds", slo=direct[0].name)
    windows = sum(len(slo.windows_at(at)) for slo in direct)
    assert one(samples, "slo_exporter_cycle_queries", path="direct") == 2 * windows, (
        "the last cycle sent a good and a total query per window of each direct SLO"
    )
    assert one(samples, "slo_exporter_store_selectors") == SELECTORS
    assert one(samples, "slo_exporter_backfill_remaining_seconds") == 0
    assert one(samples, "slo_exporter_store_filled_seconds_total") > 30 * 86400
    assert one(samples, "slo_exporter_range_queries_total") >= SELECTORS
    assert one(samples, "slo_exporter_store_size_bytes") > 0
    assert one(samples, "slo_exporter_shard_info", index="0", count="1") == 1
    assert one(samples, "slo_exporter_backend_up") == 1


async def test_not_ready_until_the_backfill_is_done(prometheus, tmp_path, aiohttp_client):
    """With the backend down the store cannot be filled: /readyz stays 503 and says why;
    once the backend answers the backfill runs and the daemon becomes ready."""
    path = write_store_config(tmp_path, DEAD)
    app = create_app(load_config(path), config_path=path, store=HistoryStore.open(tmp_path))
    client = await aiohttp_client(app)

    async def cycled() -> bool:
        return app[DAEMON].cycles >= 1

    await wait_for(cycled)
    response = await client.get("/readyz")
    assert response.status == 503, "neither the store nor a direct query counted the SLOs"
    assert "backfill" in await response.text()
    assert (await client.get("/healthz")).status == 200
    samples = parse(await (await client.get("/metrics")).text())
    assert one(samples, "slo_exporter_backend_up") == 0
    assert one(samples, "slo_data_ok", slo="checkout-availability") == 0

    write_store_config(tmp_path, prometheus.url)
    assert await app[DAEMON].reload(path)

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await wait_for(ready)


@dataclass
class Driven:
    """A store-backed daemon driven at chosen times, and its config file."""

    daemon: Daemon
    config: Path
    store: HistoryStore


@pytest.fixture
async def driven(prometheus, tmp_path: Path) -> AsyncIterator[Driven]:
    path = write_store_config(tmp_path, prometheus.url)
    store = HistoryStore.open(tmp_path / "data")
    async with aiohttp.ClientSession() as session:
        daemon = Daemon(load_config(path), session, SelfMetrics(), store=store)
        yield Driven(daemon, path, store)
        await daemon.close()
    store.close()


class NoReads:
    """A source that must not be asked anything: the store already covers the time."""

    async def snapshot(self, selectors, at):
        raise AssertionError(f"replaying from the store read {selectors}")

    async def values(self, selector, points):
        raise AssertionError(f"replaying from the store read {selector}")

    async def events(self, query, ends):
        raise AssertionError(f"replaying from the store read {query}")


async def replay(store: HistoryStore, slos, at: int):
    """Evaluate the store-backed SLOs from the store alone at ``at`` (no later than it holds)."""
    kept = [slo for slo in slos if slo.name not in DIRECT]
    none = NoReads()
    counter = stored(HistoryKeeper(store), none, none, concurrency=1)
    run = await pipeline(kept, [counter]).evaluate(at)
    return run.results


async def test_an_outage_is_filled_point_by_point_once_the_backend_is_back(prometheus, driven):
    """Cycles during an outage fail and keep the old numbers; the first good cycle reads the
    missed minutes one by one, so even a 5-minute window inside the outage is exact."""
    daemon, history = driven.daemon, prometheus.history
    start = prometheus.now - 2 * HOUR
    await daemon.evaluate_once(start)
    await daemon.counters.keeper.behind.wait()
    write_store_config(driven.config.parent, DEAD)
    assert await daemon.reload(driven.config)
    for k in range(1, 11):
        run = await daemon.evaluate_once(start + k * MINUTE)
        assert set(run.failures) == {slo.name for slo in daemon.slos}
    samples = parse((daemon.exposition + daemon.metrics.render()).decode())
    assert one(samples, "slo_data_ok", slo="checkout-availability") == 0
    assert one(samples, "slo_exporter_backend_up") == 0
    assert one(samples, "slo_exporter_query_errors_total", reason="connection") > 0

    write_store_config(driven.config.parent, prometheus.url)
    assert await daemon.reload(driven.config)
    back = start + 11 * MINUTE
    run = await daemon.evaluate_once(back)
    assert run.failures == {}
    assert mismatches(history, {n: r for n, r in run.results.items() if n not in DIRECT}) == []
    # 11 missed minutes are more than a cycle reads by snapshots: they are filled behind it,
    # and that fill starts once the cycle's direct count is done
    await daemon.counters.keeper.behind.wait()
    for k in range(1, 11):
        results = await replay(driven.store, daemon.slos, start + k * MINUTE)
        assert mismatches(history, results) == [], f"inside the outage, minute {k}"
    samples = parse((daemon.exposition + daemon.metrics.render()).decode())
    assert one(samples, "slo_data_ok", slo="checkout-availability") == 1
    assert one(samples, "slo_exporter_backend_up") == 1


def latest_values_only(history: History):
    """A backend that lost its history: it knows each series' latest raw value, nothing else
    (plain selectors only; anything else is an empty answer, range queries a 404)."""
    values = HistoryValues(history)

    def answer(query: str, at: float):
        try:
            series = values.at(query, at)
        except ValueError:
            series = []
        result = [{"metric": labels, "value": [at, repr(v)]} for labels, v in series]
        return {"resultType": "vector", "result": result}

    return answer


async def test_the_period_outlives_the_backends_retention(
    prometheus, tmp_path, fake_backend: FakeBackend
):
    """Once the store holds the history, a backend that kept none of it is enough: the 30-day
    and 7-day periods still count events only the store has."""
    path = write_config(tmp_path, prometheus.url)
    store = HistoryStore.open(tmp_path / "data")
    fake_backend.default = latest_values_only(prometheus.history)
    try:
        async with aiohttp.ClientSession() as session:
            daemon = Daemon(load_config(path), session, SelfMetrics(), store=store)
            start = prometheus.now - HOUR
            await daemon.evaluate_once(start)
            await daemon.counters.keeper.behind.wait()  # the store holds the history
            write_config(tmp_path, fake_backend.url)
            assert await daemon.reload(path)
            for k in range(1, 4):
                run = await daemon.evaluate_once(start + k * MINUTE)
                stored = {n: r for n, r in run.results.items() if n in TRUTH and n not in DIRECT}
                assert set(stored) == set(TRUTH) - DIRECT
                for name, result in stored.items():
                    truth, at = TRUTH[name], result.evaluated_at
                    expected = truth.total(prometheus.history, at, truth.period)
                    assert result.period.events.total == pytest.approx(expected, rel=1e-3)
            direct = run.results["search-availability"]
            assert direct.period.events.total == 0, "the replacement backend has no history"
    finally:
        store.close()
    assert all("query_range" not in r.path for r in fake_backend.requests)


EXPORTER = [sys.executable, "-m", "exporter"]


def run_on_store(tmp_path: Path, data: Path) -> subprocess.CompletedProcess[str]:
    """``slo-exporter run --data-dir data`` on a config whose backend is down, to its end."""
    config = write_config(tmp_path, DEAD)
    return subprocess.run(
        [*EXPORTER, "run", "-c", str(config), "--data-dir", str(data), "--listen", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize(
    "content",
    [b"definitely not sqlite" * 100, b"SQLite format 3\x00" + b"\x00" * 200],
    ids=["garbage", "truncated-sqlite"],
)
def test_run_refuses_an_unusable_store_in_one_line(tmp_path: Path, content: bytes):
    """`run --data-dir` on a broken store exits 4 with one line naming the file."""
    data = tmp_path / "data"
    data.mkdir()
    (data / FILE_NAME).write_bytes(content)
    result = run_on_store(tmp_path, data)
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(data / FILE_NAME) in lines[0]
    assert "move it away" in lines[0]


@pytest.mark.integration  # runs a child process
def test_run_serves_while_checking_the_store_and_exits_on_damage(tmp_path: Path):
    """The page-by-page check of the store runs once the exporter serves (a large store
    takes minutes; probes must answer meanwhile); a damaged file then stops it with exit 4
    and a last line naming the file."""
    data = tmp_path / "data"
    data.mkdir()
    damage_store(data / FILE_NAME)
    result = run_on_store(tmp_path, data)
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert any('"event": "listening"' in line for line in lines[:-1])
    assert str(data / FILE_NAME) in lines[-1]
    assert "damaged history store" in lines[-1]
    assert "move it away" in lines[-1]
