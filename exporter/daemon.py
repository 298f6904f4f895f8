"""The evaluation loop: evaluate every interval, publish what to serve, reload config.

Scrapes never trigger work: they read what :class:`~exporter.serving.ServedSLOs`
rendered after the last cycle. A cycle is :class:`~exporter.pipeline.cycle.Pipeline`
over the current :class:`~exporter.pipeline.generation.ConfigGeneration`; a reload
builds a new generation in a worker thread and swaps it whole. With a history
store (``--data-dir``) the daemon is ready once a cycle counted every SLO: while the
store fills an SLO's history behind the cycles, the direct queries count it (so a
cold start is ready after its first cycle); ``store_filling`` says so meanwhile.
With ``--shard I/N`` only this replica's share of the SLOs is evaluated and exposed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import structlog

from exporter import logs
from exporter.config.loader import load_config
from exporter.counters import Counters
from exporter.cycle_metrics import StoreMetrics, record_cycle
from exporter.domain.model import SLO
from exporter.errors import ConfigError
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.generation import ConfigGeneration, build_generation
from exporter.pipeline.stored import HistoryKeeper
from exporter.schedule import evaluation_time, next_cycle
from exporter.selfmetrics import SelfMetrics
from exporter.serving import ServedSLOs
from exporter.settings import Settings
from exporter.shard import Shard
from exporter.store.history import HistoryStore

log = structlog.get_logger("slo_exporter")


@dataclass
class ReloadState:
    """Whether the last config (re)load worked, and when one last did (``/api/v1/status``)."""

    ok: bool = True
    at: float = 0.0

    def succeeded(self, metrics: SelfMetrics, at: float) -> None:
        """A config is loaded: the flag, the time and their self-metrics."""
        self.ok, self.at = True, at
        metrics.reload_ok.set(1)
        metrics.reload_time.set(at)

    def failed(self, metrics: SelfMetrics) -> None:
        """A reload failed; the old config keeps running."""
        self.ok = False
        metrics.reload_ok.set(0)


class Daemon:
    """Owns the current config generation, the served numbers and the evaluation loop."""

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        metrics: SelfMetrics,
        *,
        clock: Callable[[], float] = time.time,
        store: HistoryStore | None = None,
        shard: Shard | None = None,
    ) -> None:
        self.metrics, self._session, self._clock = metrics, session, clock
        self._wake = asyncio.Event()
        self._reloading = asyncio.Lock()
        self.served = ServedSLOs()
        # store_filling: the last cycle counted SLOs directly while the store fills them
        self.ready = self.store_filling = False
        self.cycles = 0
        self.shard = shard or Shard()
        self.store = store
        keeper = HistoryKeeper(store) if store is not None else None
        self._store_metrics = (
            StoreMetrics(metrics, store, keeper.progress) if store and keeper else None
        )
        self.counters = Counters(session, keeper, clock=clock)
        metrics.shard.labels(index=str(self.shard.index), count=str(self.shard.count)).set(1)
        self._swap(build_generation(settings, session, self.shard))
        self.served.render_now()
        self.reload_state = ReloadState()
        self.reload_state.succeeded(metrics, clock())

    @property
    def settings(self) -> Settings:
        """The settings of the current config generation."""
        return self.generation.settings

    @property
    def slos(self) -> tuple[SLO, ...]:
        """This replica's SLOs of the current config."""
        return tuple(compiled.slo for compiled in self.generation.slos)

    @property
    def exposition(self) -> bytes:
        """The ``slo_*`` series of the last published cycle."""
        return self.served.exposition

    def _swap(self, generation: ConfigGeneration) -> None:
        """Make ``generation`` current: its counters, its secrets, its SLOs served."""
        if generation.scrapes and self.store is None:
            raise ConfigError(["source: scrape keeps its history in --data-dir; give one"])
        self.generation = generation
        counters = self.counters.for_generation(generation)
        self.pipeline = Pipeline(generation.slos, counters, self.counters.discovery(generation))
        logs.add_secrets(generation.secrets)
        self.served.apply(self.slos)
        self.metrics.slos.set(len(generation.slos))

    async def start(self) -> None:
        """Start the sources that run in the background (scraping)."""
        await self.counters.start()

    async def close(self) -> None:
        """Stop them."""
        await self.counters.close()

    async def evaluate_once(self, at: float | None = None) -> EvaluationRun:
        """Run one cycle at ``at`` (default: the aligned current time) and publish it."""
        evaluation = self.settings.evaluation
        if at is None:
            at = evaluation_time(self._clock(), evaluation.interval, evaluation.delay)
        run = await self.pipeline.evaluate(at)
        await self._publish(run)
        return run

    async def _publish(self, run: EvaluationRun) -> None:
        now = self._clock()
        self.served.fold(run, now)
        await self.served.publish()
        record_cycle(self.metrics, run)
        if self._store_metrics is not None:
            self._store_metrics.record(run, now)
        self.ready = self.ready or run.complete
        self.store_filling = run.filling > 0
        self.cycles += 1

    async def reload(self, path: Path) -> bool:
        """Load ``path`` again; keep the running config when the new one is invalid.

        Parsing and compiling (seconds at 10,000 SLOs) run in a worker thread, so
        scrapes and probes are answered meanwhile; two reloads never overlap.
        """
        async with self._reloading:
            try:
                generation = await asyncio.to_thread(self._load, path)
                self._swap(generation)
            except ConfigError as exc:
                return self._reload_failed(path, list(exc.problems))
            except Exception as exc:  # whatever else reading the file raised: still a failed reload
                return self._reload_failed(path, [f"{path}: {type(exc).__name__}: {exc}"])
            await self.served.publish_reloaded()
            self.reload_state.succeeded(self.metrics, self._clock())
            log.info(
                "config_reloaded",
                path=str(path),
                slos=len(generation.settings.slos),
                shard_slos=len(generation.slos),
            )
            self.wake()
            return True

    def _reload_failed(self, path: Path, problems: list[str]) -> bool:
        """The old config keeps running; the flag and one log line say the new one did not."""
        self.reload_state.failed(self.metrics)
        log.error("config_reload_failed", path=str(path), problems=problems)
        return False

    def _load(self, path: Path) -> ConfigGeneration:
        return build_generation(load_config(path), self._session, self.shard, self.generation)

    def wake(self) -> None:
        """Start the next cycle now instead of at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        """Evaluate on every tick of the interval grid until cancelled (the rule for a
        cycle that runs past a tick is :mod:`exporter.schedule`'s)."""
        evaluation = self.settings.evaluation
        at = evaluation_time(self._clock(), evaluation.interval, evaluation.delay)
        while True:
            self._wake.clear()
            try:
                await self.evaluate_once(at)
            except Exception:  # a bug must not stop the loop; it is logged with its traceback
                log.exception("evaluation_crashed")
            evaluation = self.settings.evaluation
            upcoming = next_cycle(at, self._clock(), evaluation.interval, evaluation.delay)
            if upcoming.missed:
                self.metrics.missed_ticks.inc(upcoming.missed)
            woken = False
            if upcoming.wait_seconds > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=upcoming.wait_seconds)
                    woken = True
            evaluation = self.settings.evaluation
            current = evaluation_time(self._clock(), evaluation.interval, evaluation.delay)
            # woken by a reload: the current tick again, with the new config; otherwise
            # the tick waited for (a timer firing a hair early must not repeat the last)
            at = current if woken else max(upcoming.at, current)
