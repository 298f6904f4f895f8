"""Which counters a config generation evaluates with, and the scrape source's lifetime.

With a PromQL backend: the store counter first (with ``--data-dir``), then
the grouped counter for the groups of grouped SLOs (a query pair per window for
all groups of one), then the direct counter for every SLO left, and, while the
store fills an SLO's history behind the cycles, for that SLO too. With
``source: scrape``: the store counter alone, reading the scraped targets.
A scrape source keeps running across reloads that leave ``source.scrape``
unchanged; otherwise the old one stops and a new one starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from exporter.pipeline.counts import EventCounter
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.generation import ConfigGeneration
from exporter.pipeline.grouped import GroupedCounter
from exporter.pipeline.groups import GroupDiscovery, PromQLDiscovery, SourceDiscovery
from exporter.pipeline.stored import HistoryKeeper, StoreCounter
from exporter.samples import QueryTally
from exporter.settings import ScrapeSettings
from exporter.sources.promql import PromQLSource
from exporter.sources.scrape import ScrapeSource


class Counters:
    """Builds each generation's counters; owns the running scrape source, if any."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        keeper: HistoryKeeper | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self.keeper = keeper
        self._clock = clock
        self.scrape_tally = QueryTally()
        self._scrape: tuple[ScrapeSettings, ScrapeSource] | None = None
        self._started = False
        self._background: set[asyncio.Future[None]] = set()

    def for_generation(self, generation: ConfigGeneration) -> list[EventCounter]:
        """The counters to evaluate ``generation`` with, in the order SLOs are offered."""
        settings = generation.settings
        interval = settings.evaluation.interval
        concurrency = settings.evaluation.concurrency
        if settings.scrape is not None:
            source = self._scrape_source(settings.scrape)
            if self.keeper is None:
                return []
            return [
                StoreCounter(
                    self.keeper,
                    source,
                    None,
                    self.scrape_tally,
                    interval=interval,
                    concurrency=concurrency,
                )
            ]
        self._swap_scrape(None)
        gate = generation.gate
        if gate is None:
            return []
        counters: list[EventCounter] = []
        if self.keeper is not None:
            tally = QueryTally()
            promql = PromQLSource(gate.counting(tally, ahead=True))  # fills: not starved
            counters.append(
                StoreCounter(
                    self.keeper,
                    promql,
                    promql,
                    tally,
                    interval=interval,
                    concurrency=concurrency,
                    behind=True,
                )
            )
        grouped = {c.name: c.slo for c in generation.slos if c.slo.grouping is not None}
        if grouped:
            counters.append(GroupedCounter(gate, grouped))
        counters.append(DirectCounter(gate))
        return counters

    def discovery(self, generation: ConfigGeneration) -> GroupDiscovery | None:
        """Where ``generation``'s grouped SLOs find their groups (after :meth:`for_generation`):
        the backend, or the running scrape source."""
        if generation.settings.scrape is not None:
            return None if self._scrape is None else SourceDiscovery(self._scrape[1])
        return None if generation.gate is None else PromQLDiscovery(generation.gate)

    def _scrape_source(self, settings: ScrapeSettings) -> ScrapeSource:
        if self._scrape is not None and self._scrape[0] == settings:
            return self._scrape[1]
        assert self._session is not None, "scraping needs an HTTP session"
        source = ScrapeSource(settings, self._session, tally=self.scrape_tally, clock=self._clock)
        self._swap_scrape((settings, source))
        return source

    def _swap_scrape(self, new: tuple[ScrapeSettings, ScrapeSource] | None) -> None:
        """The old source stops and the new one starts in the background."""
        old, self._scrape = self._scrape, new
        if old is not None:
            self._spawn(old[1].close())
        if new is not None and self._started:
            self._spawn(new[1].start())

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(job)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def start(self) -> None:
        """Start scraping (a ``source: scrape`` config)."""
        self._started = True
        if self._scrape is not None:
            await self._scrape[1].start()

    async def close(self) -> None:
        """Stop scraping and the store's fills."""
        if self.keeper is not None:
            await self.keeper.behind.close()
        if self._scrape is not None:
            await self._scrape[1].close()
