"""When the evaluation loop runs its cycles, and at which times.

Cycles run at the ticks of the interval grid; one that runs past a tick is
followed at once by a cycle at the latest tick (never left idle until the
next one), and the ticks skipped are counted in a self-metric.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from fake_backend import FakeBackend

from exporter.config.loader import load_config
from exporter.daemon import Daemon
from exporter.schedule import NextCycle, evaluation_time, next_cycle
from exporter.selfmetrics import SelfMetrics


@pytest.mark.parametrize(
    ("now", "interval", "delay", "expected"),
    [
        (1000.0, 30, 0, 990.0),
        (990.0, 30, 0, 990.0),
        (1019.9, 60, 0, 960.0),
        (1000.0, 30, 120, 870.0),
    ],
)
def test_evaluation_time_is_aligned(now: float, interval: int, delay: int, expected: float):
    """The daemon evaluates at now aligned down to the interval grid, minus the delay."""
    assert evaluation_time(now, interval, delay) == expected


@pytest.mark.parametrize(
    ("previous", "now", "interval", "delay", "expected"),
    [
        # finished inside its interval: wait for the next tick
        (990.0, 1000.0, 30, 0, NextCycle(at=1020.0, wait_seconds=20.0, missed=0)),
        (990.0, 990.0, 30, 0, NextCycle(at=1020.0, wait_seconds=30.0, missed=0)),
        (960.0, 1000.0, 30, 30, NextCycle(at=990.0, wait_seconds=20.0, missed=0)),
        # ran past one tick: that tick at once, nothing skipped
        (990.0, 1023.0, 30, 0, NextCycle(at=1020.0, wait_seconds=0.0, missed=0)),
        (960.0, 1023.0, 30, 30, NextCycle(at=990.0, wait_seconds=0.0, missed=0)),
        # ran past three ticks: the latest at once, two skipped
        (990.0, 1085.0, 30, 0, NextCycle(at=1080.0, wait_seconds=0.0, missed=2)),
        # the interval grew on a reload: the next tick of the new grid
        (990.0, 1000.0, 60, 0, NextCycle(at=1020.0, wait_seconds=20.0, missed=0)),
    ],
)
def test_next_cycle(previous, now, interval, delay, expected):
    """After a cycle, the loop waits for the next tick, or starts at once at the latest
    tick the cycle ran past, counting the ticks in between as missed."""
    assert next_cycle(previous, now, interval, delay) == expected


@dataclass
class Clock:
    """Wall-clock time the test sets; the fake backend moves it to make cycles slow."""

    now: float

    def __call__(self) -> float:
        return self.now


CONFIG = """\
backend: {{url: {url}}}
evaluation: {{interval: 30s}}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99
    sli: {{ratio: {{good: 'good_total', total: 'all_total'}}}}
"""


MISSED = "slo_exporter_evaluation_ticks_missed_total"


async def test_a_slow_cycle_is_followed_at_once_by_the_latest_tick(
    fake_backend: FakeBackend, tmp_path: Path
):
    """With every cycle taking 70 s of a 30 s interval, the loop never waits: each cycle
    evaluates the latest tick the one before ran past (T0, T0+60, T0+120...), and
    slo_exporter_evaluation_ticks_missed_total counts the ticks skipped in between."""
    t0 = 1_800_000_000
    clock = Clock(t0 + 1)
    seen: list[float] = []
    missed: list[float | None] = []  # the self-metric as each cycle starts

    def slow(query: str, at: float) -> float:
        if at not in seen:  # the first query of a cycle: the cycle takes 70 s
            seen.append(at)
            missed.append(metrics.registry.get_sample_value(MISSED))
            clock.now += 70
        return 1.0

    fake_backend.default = slow
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=fake_backend.url))
    async with aiohttp.ClientSession() as session:
        metrics = SelfMetrics()
        daemon = Daemon(load_config(path), session, metrics, clock=clock)
        loop = asyncio.ensure_future(daemon.run())
        try:
            async with asyncio.timeout(10):
                while daemon.cycles < 3:
                    await asyncio.sleep(0.01)
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
    assert seen[:3] == [t0, t0 + 60, t0 + 120]
    assert missed[:3] == [0, 1, 2]
