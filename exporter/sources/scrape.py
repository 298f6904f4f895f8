"""A :class:`~exporter.samples.Source` that scrapes ``/metrics`` itself: no Prometheus.

``source: {scrape: ...}`` in the config names one target or several. The
source scrapes each on its own ``interval`` in a background task (started
with :meth:`ScrapeSource.start`; one
:class:`~exporter.sources.scraper.TargetScraper` per target), keeps the
last result of each, and answers :meth:`ScrapeSource.snapshot` from them
by matching the selectors against the samples itself
(:mod:`exporter.sources.assemble`, with :mod:`exporter.sources.matching`
applying PromQL's rules). Without :meth:`~ScrapeSource.start`, every
snapshot scrapes all targets once, there and then.

Labels are the target's own: nothing is added for one target (no ``job``,
no ``instance``), so a selector is written against what ``/metrics`` shows.
With several targets every series gets ``instance="host:port"`` of its
target, as Prometheus does, and a target's own ``instance`` label moves to
``exported_instance``; selectors may then pick a target by ``instance``.

A snapshot describes the oldest of the last scrapes it uses
(:attr:`Snapshot.at` is that scrape's start, wall-clock). If the last
scrape of any target failed, the snapshot raises that failure as a
:class:`ScrapeError`, which is also the matching
:class:`~exporter.errors.BackendError` subclass, so self-metrics count it
under the same ``reason`` as a PromQL backend failure
(:mod:`exporter.sources.failures`):

======================================  =====================  ============
what happened                           raised                 ``reason``
======================================  =====================  ============
no complete answer within ``timeout``   ScrapeTimeout          timeout
refused, DNS, TLS, connection dropped   ScrapeUnavailable      connection
any HTTP status but 200                 ScrapeHTTPError        http
not a metrics exposition, too large     ScrapeResponseError    malformed
a selector that cannot be applied       ScrapeSelectorError    query
======================================  =====================  ============

Counter resets are not this module's business: a value that went down is
the store's to read as a reset (see :mod:`exporter.store.deltas`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from types import TracebackType

import aiohttp

from exporter.samples import QueryTally, Snapshot
from exporter.settings import ScrapeSettings
from exporter.sources.assemble import SelectorCache, assemble
from exporter.sources.failures import (
    ScrapeError,
    ScrapeHTTPError,
    ScrapeResponseError,
    ScrapeSelectorError,
    ScrapeTimeout,
    ScrapeUnavailable,
)
from exporter.sources.fetch import DEFAULT_BODY_LIMIT
from exporter.sources.scraper import ScrapeResult, TargetScraper

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "ScrapeError",
    "ScrapeHTTPError",
    "ScrapeResponseError",
    "ScrapeResult",
    "ScrapeSelectorError",
    "ScrapeSource",
    "ScrapeTimeout",
    "ScrapeUnavailable",
]


class ScrapeSource:
    """Scrapes targets and answers snapshots from their last samples.

    ``session`` is owned by the caller. ``clock`` gives the wall-clock time
    stamped on scrapes (``time.time``). With a ``tally``, every snapshot
    counts as one ``scrape`` sent and every failed one as an error of its
    ``reason``, as a PromQL source counts its queries. Use it as an async
    context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        settings: ScrapeSettings,
        session: aiohttp.ClientSession,
        *,
        body_limit: int = DEFAULT_BODY_LIMIT,
        clock: Callable[[], float] = time.time,
        tally: QueryTally | None = None,
    ) -> None:
        if not settings.targets:
            raise ValueError("a scrape source needs at least one target")
        several = len(settings.targets) > 1
        self._scrapers = [
            TargetScraper(
                target,
                target.instance if several else None,
                session,
                body_limit=body_limit,
                clock=clock,
            )
            for target in settings.targets
        ]
        self._selectors = SelectorCache()
        self.tally = tally
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Scrape every target on its interval in the background, from now on."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(scraper.run(), name=f"scrape {scraper.settings.url}")
            for scraper in self._scrapers
        ]

    async def close(self) -> None:
        """Stop scraping; later snapshots scrape on demand. The session stays open."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> ScrapeSource:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- reading -----------------------------------------------------------------

    async def scrape(self) -> tuple[ScrapeResult, ...]:
        """Scrape every target once, now, and keep the results as the latest."""
        return tuple(await asyncio.gather(*(s.scrape() for s in self._scrapers)))

    async def snapshot(self, selectors: Sequence[str], at: float) -> Snapshot:
        """The value of every series each selector matches, from the last scrapes.

        ``at`` (the evaluation time) is carried on errors only; the
        snapshot's own ``at`` is the start of the oldest scrape used.
        Waits for each target's first scrape when the source was started
        but has not scraped yet; scrapes now when it was not started.
        Raises the failure of a target whose last scrape failed.
        """
        if self.tally is not None:
            self.tally.sent["scrape"] += 1
        try:
            return await self._snapshot(selectors, at)
        except ScrapeError as err:
            if self.tally is not None:
                self.tally.errors[err.reason] += 1
            raise

    async def _snapshot(self, selectors: Sequence[str], at: float) -> Snapshot:
        compiled = self._selectors.compile(selectors, at)
        if self._tasks:
            await asyncio.gather(*(s.attempted() for s in self._scrapers))
        else:
            await self.scrape()
        results: list[ScrapeResult] = []
        for scraper in self._scrapers:
            assert scraper.latest is not None  # set once attempted, or by scrape() above
            results.append(scraper.latest)
        return assemble(results, compiled, at, self._selectors)
