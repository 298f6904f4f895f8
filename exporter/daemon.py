"""The evaluation loop: evaluate every interval, keep what to serve, reload config.

Scrapes never trigger work: they read :attr:`Daemon.exposition`, which the
loop replaces after each cycle. When a cycle fails for an SLO, that SLO's
last good numbers keep being served with ``slo_data_ok 0``.

Without a history store every window is a direct query
(:mod:`exporter.evaluator`). With one (``--data-dir``) the SLOs it can count
are evaluated incrementally (:mod:`exporter.incremental`) and the others
keep their direct queries; the daemon is ready once a cycle has found the
store complete (the backfill done). With ``--shard I/N`` only this
replica's share of the SLOs is evaluated and exposed.

With ``source: scrape`` there is no PromQL backend: the daemon scrapes the
targets itself (:class:`exporter.sources.scrape.ScrapeSource`) and every
SLO is counted in the store, which is then required.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import math
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import structlog

from exporter import exposition
from exporter.config.loader import load_config
from exporter.domain.model import SLO
from exporter.errors import ConfigError, QueryError
from exporter.evaluator import EvaluationRun, evaluate_all
from exporter.exposition import Served
from exporter.incremental import IncrementalEvaluator, IncrementalRun
from exporter.promql.client import PromQLClient, QueryValue
from exporter.schedule import evaluation_time, next_cycle
from exporter.selfmetrics import SelfMetrics
from exporter.settings import Settings
from exporter.shard import Shard
from exporter.sources.base import Source
from exporter.sources.promql import PromQLSource, QueryTally
from exporter.sources.scrape import ScrapeSource
from exporter.store.fill import Progress, RangeSource
from exporter.store.history import HistoryStore

log = structlog.get_logger("slo_exporter")

STORE_STATS_SECONDS = 300.0
"""How often the store's size and row counts are refreshed in the self-metrics."""
GZIP_LEVEL = 6
"""zlib level of the compressed exposition (about 25:1 on the slo_* series)."""


def _client_for(session: aiohttp.ClientSession, settings: Settings) -> PromQLClient | None:
    """The PromQL client of a ``backend:`` config; None for ``source: scrape``."""
    if settings.scrape is not None:
        return None
    return PromQLClient(session, settings.backend)


class Daemon:
    """Owns the current config, the served snapshot and the evaluation loop."""

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
        self.metrics = metrics
        self._session = session
        self._clock = clock
        self._wake = asyncio.Event()
        self._served: dict[str, Served] = {}
        self.exposition: bytes = b""
        self.ready = False
        self.cycles = 0
        self.settings = settings
        self.shard = shard or Shard()
        self.slos: tuple[SLO, ...] = ()
        self.tally = QueryTally()
        self.store = store
        self._incremental: IncrementalEvaluator | None = None
        self._background: set[asyncio.Future[None]] = set()
        self._gzipped: tuple[bytes, bytes] | None = None
        self._renderer = exposition.Renderer()
        self._store_counted_at = -math.inf
        self._started = False
        metrics.shard.labels(index=str(self.shard.index), count=str(self.shard.count)).set(1)
        if store is not None:
            progress = Progress()
            self._incremental = IncrementalEvaluator(store, progress)
            metrics.enable_store()
            metrics.backfill_remaining.set_function(lambda: progress.remaining)
        self._scrape: ScrapeSource | None = None
        self._apply(settings, _client_for(session, settings))
        self.exposition = exposition.render(self._served.values())
        self._reloading = asyncio.Lock()
        self.metrics.reload_ok.set(1)
        self.metrics.reload_time.set(clock())

    async def start(self) -> None:
        """Start scraping the targets of a ``source: scrape`` config."""
        self._started = True
        if self._scrape is not None:
            await self._scrape.start()

    async def close(self) -> None:
        """Stop scraping."""
        if self._scrape is not None:
            await self._scrape.close()

    def _apply(self, settings: Settings, client: PromQLClient | None) -> None:
        old = self._served
        previous_scrape = self.settings.scrape
        self.settings = settings
        self._client = client
        if settings.scrape is None:
            assert client is not None
            self._source: Source = PromQLSource(client, settings.evaluation.concurrency, self.tally)
            self._history: RangeSource | None = self._source
            self._replace_scrape(None)
        else:
            if self._scrape is None or previous_scrape != settings.scrape:
                source = ScrapeSource(
                    settings.scrape, self._session, tally=self.tally, clock=self._clock
                )
                self._replace_scrape(source)
            assert self._scrape is not None
            self._source, self._history = self._scrape, None
        self.slos = self.shard.select(settings.slos)
        self._served = {}
        for slo in self.slos:
            previous = old.get(slo.name)
            if previous is not None and previous.slo == slo:
                self._served[slo.name] = previous
            else:
                succeeded_at = None if previous is None else previous.succeeded_at
                self._served[slo.name] = Served(slo, None, fresh=False, succeeded_at=succeeded_at)
        self.metrics.slos.set(len(self.slos))

    def _render(self, entries: list[Served]) -> tuple[bytes, bytes]:
        text = self._renderer.render(entries)
        return text, gzip.compress(text, compresslevel=GZIP_LEVEL)

    def exposition_gzip(self) -> bytes:
        """:attr:`exposition` gzip-compressed, computed once per published cycle."""
        cached = self._gzipped
        if cached is None or cached[0] is not self.exposition:
            cached = (self.exposition, gzip.compress(self.exposition, compresslevel=GZIP_LEVEL))
            self._gzipped = cached
        return cached[1]

    def _replace_scrape(self, source: ScrapeSource | None) -> None:
        """Swap the scrape source; the old one stops and the new one starts in the loop."""
        old, self._scrape = self._scrape, source
        if old is not None:
            task = asyncio.ensure_future(old.close())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if source is not None and self._started:
            task = asyncio.ensure_future(source.start())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _query(self, promql: str, at: float) -> QueryValue:
        if self._client is None:
            raise QueryError(
                "this config scrapes its targets and has no PromQL backend for direct queries",
                query=promql,
                at=at,
            )
        return await self._client.query(promql, at)

    async def evaluate_once(self, at: float | None = None) -> EvaluationRun:
        """Run one cycle at ``at`` (default: the aligned current time) and publish it."""
        evaluation = self.settings.evaluation
        if at is None:
            at = evaluation_time(self._clock(), evaluation.interval, evaluation.delay)
        if self._incremental is None:
            if self.settings.scrape is not None:
                raise ConfigError(["source: scrape keeps its history in --data-dir; give one"])
            run = await evaluate_all(self.slos, self._query, at, evaluation.concurrency)
            self.metrics.cycle_queries.labels(path="direct").set(run.queries)
            self.metrics.cycle_slos.labels(path="direct").set(len(self.slos))
            await self._publish(run)
            return run
        before = self.tally.copy()
        incremental = await self._incremental.evaluate(
            self.slos,
            at,
            source=self._source,
            history=self._history,
            interval=evaluation.interval,
            query=self._query,
            concurrency=evaluation.concurrency,
        )
        self._count_store(incremental, self.tally.since(before))
        await self._publish(incremental.run, ready=incremental.complete)
        return incremental.run

    def _count_store(self, incremental: IncrementalRun, sent: QueryTally) -> None:
        """Fold the store side's queries into the run and update the store's self-metrics."""
        run, m = incremental.run, self.metrics
        store_queries = sum(sent.sent.values())
        m.cycle_queries.labels(path="direct").set(run.queries)
        m.cycle_queries.labels(path="store").set(store_queries)
        m.cycle_slos.labels(path="direct").set(incremental.direct_slos)
        m.cycle_slos.labels(path="store").set(incremental.stored_slos)
        run.queries += store_queries
        run.errors.update(sent.errors)
        m.range_queries.inc(sent.sent["range"])
        m.filled.inc(incremental.filled_seconds)
        m.resets.inc(incremental.resets)
        now = self._clock()
        # Counting rows reads whole tables (tens of millions of buckets at 10,000 SLOs):
        # every 5 minutes, like the store's maintenance, not every cycle.
        if self.store is not None and now - self._store_counted_at >= STORE_STATS_SECONDS:
            stats = self.store.stats()
            m.store_size.set(stats.size_bytes)
            m.store_buckets.set(stats.buckets)
            m.store_series.set(stats.series)
            m.store_selectors.set(stats.selectors)
            self._store_counted_at = now

    async def _publish(self, run: EvaluationRun, *, ready: bool = True) -> None:
        now = self._clock()
        for name, result in run.results.items():
            entry = self._served.get(name)
            if entry is not None and entry.slo == result.slo:
                self._served[name] = Served(entry.slo, result, fresh=True, succeeded_at=now)
        for name, error in run.failures.items():
            entry = self._served.get(name)
            if entry is not None:
                self._served[name] = replace(entry, fresh=False)
            log.warning(
                "slo_evaluation_failed",
                slo=name,
                reason=error.reason,
                error=str(error),
                query=error.query,
            )
        # Tens of MiB at thousands of SLOs: written and compressed in a worker
        # thread, so scrapes and probes keep being answered meanwhile.
        text, packed = await asyncio.to_thread(self._render, list(self._served.values()))
        self.exposition, self._gzipped = text, (text, packed)
        m = self.metrics
        m.queries.inc(run.queries)
        for reason, count in run.errors.items():
            m.query_errors.labels(reason=reason).inc(count)
        m.backend_up.set(1 if run.backend_reachable else 0)
        m.evaluation_duration.observe(run.duration)
        m.evaluations.labels(result="failure" if run.failures else "success").inc()
        self.ready = self.ready or ready
        self.cycles += 1
        log.info(
            "evaluated",
            at=run.at,
            slos=len(run.results),
            failed=len(run.failures),
            queries=run.queries,
            duration_seconds=round(run.duration, 3),
        )

    async def reload(self, path: Path) -> bool:
        """Load ``path`` again; keep the running config when the new one is invalid.

        Parsing (tens of seconds at 10,000 SLOs) and the first rendering of the new
        SLOs run in a worker thread, so scrapes and probes are answered meanwhile;
        two reloads never overlap.
        """
        async with self._reloading:
            try:
                settings = await asyncio.to_thread(load_config, path)
                client = _client_for(self._session, settings)
            except ConfigError as exc:
                self.metrics.reload_ok.set(0)
                log.error("config_reload_failed", path=str(path), problems=list(exc.problems))
                return False
            self._apply(settings, client)
            cycles = self.cycles
            text = await asyncio.to_thread(exposition.render, list(self._served.values()))
            if self.cycles == cycles:  # else a cycle published a newer text meanwhile
                self.exposition = text
            self.metrics.reload_ok.set(1)
            self.metrics.reload_time.set(self._clock())
            log.info(
                "config_reloaded",
                path=str(path),
                slos=len(settings.slos),
                shard_slos=len(self.slos),
            )
            self.wake()
            return True

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
