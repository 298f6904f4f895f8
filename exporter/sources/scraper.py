"""One target: scraping it, its interval loop, and its latest result.

A :class:`TargetScraper` scrapes its target on demand (:meth:`~TargetScraper.scrape`)
or on its ``interval`` (:meth:`~TargetScraper.run`, a loop the caller runs
as a task), and keeps the newest :class:`ScrapeResult`, failed or not. A
change between failing and succeeding is logged once (``scrape_failed``,
``scrape_recovered``), not at every scrape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp
import structlog

from exporter.settings import ScrapeTarget
from exporter.sources.failures import FailedScrape, Failure, ScrapeResponseError, describe
from exporter.sources.fetch import fetch
from exporter.sources.parse import ExpositionError, Sample, parse_exposition

__all__ = ["ScrapeResult", "TargetScraper"]

log = structlog.get_logger("slo_exporter")


@dataclass(frozen=True)
class ScrapeResult:
    """One scrape of one target: when, how long, and its samples or what went wrong."""

    url: str
    started: float
    """Wall-clock (Unix) time the scrape started; the time its samples describe."""
    duration: float
    samples: tuple[Sample, ...] = ()
    failure: Failure | None = None
    by_name: Mapping[str, tuple[Sample, ...]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the scrape gave samples."""
        return self.failure is None

    @property
    def error(self) -> str:
        """The failure's one-line message, or ``""``."""
        return "" if self.failure is None else self.failure.message

    @property
    def reason(self) -> str:
        """The failure's ``reason`` label (``timeout``, ``connection``, ...), or ``""``."""
        return "" if self.failure is None else self.failure.kind.reason


class TargetScraper:
    """Scrapes one target and keeps its latest result.

    ``instance`` is the ``instance`` label every sample gets (``None``: no
    label added). ``clock`` gives the wall-clock time stamped on scrapes.
    """

    def __init__(
        self,
        settings: ScrapeTarget,
        instance: str | None,
        session: aiohttp.ClientSession,
        *,
        body_limit: int,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self._instance = instance
        self._session = session
        self._body_limit = body_limit
        self._clock = clock
        self.latest: ScrapeResult | None = None
        """The newest scrape that finished (``None``: none yet)."""
        self._attempted = asyncio.Event()

    async def attempted(self) -> None:
        """Return once a first scrape has finished (at once if one has)."""
        await self._attempted.wait()

    async def run(self) -> None:
        """Scrape on the target's interval until cancelled; missed ticks are skipped."""
        loop = asyncio.get_running_loop()
        interval = self.settings.interval
        due = loop.time()
        while True:
            try:
                await self.scrape()
            except Exception as err:  # a bug must not stop scraping, nor leave snapshots waiting
                self._crashed(err)
            now = loop.time()
            due = _next_tick(due, now, interval)
            await asyncio.sleep(due - now)

    async def scrape(self) -> ScrapeResult:
        """Scrape the target once, now, and keep the result as the latest."""
        url = self.settings.url
        started = self._clock()
        loop = asyncio.get_running_loop()
        begin = loop.time()
        samples: tuple[Sample, ...] = ()
        failure: Failure | None = None
        try:
            body, content_type = await fetch(self._session, self.settings, self._body_limit)
            parsed = await asyncio.to_thread(parse_exposition, body, content_type)
            samples = tuple(_with_instance(parsed, self._instance))
        except FailedScrape as failed:
            failure = failed.failure
        except ExpositionError as err:
            failure = Failure(ScrapeResponseError, f"target {url}: {err}")
        result = ScrapeResult(
            url=url,
            started=started,
            duration=loop.time() - begin,
            samples=samples,
            failure=failure,
            by_name=_index(samples),
        )
        self._keep(result)
        return result

    def _crashed(self, err: Exception) -> None:
        """Keep a scrape that raised unexpectedly as a failed one, and log the bug."""
        url = self.settings.url
        log.exception("scrape_crashed", target=url)
        failure = Failure(ScrapeResponseError, f"target {url}: scrape crashed: {describe(err)}")
        self._keep(ScrapeResult(url, self._clock(), 0.0, (), failure))

    def _keep(self, result: ScrapeResult) -> None:
        previous = self.latest
        if previous is not None and previous.started > result.started:
            return  # an older scrape finished after a newer one
        self.latest = result
        self._attempted.set()
        was_ok = previous is None or previous.ok
        if was_ok and not result.ok:
            log.warning(
                "scrape_failed", target=result.url, reason=result.reason, error=result.error
            )
        elif not was_ok and result.ok:
            log.info("scrape_recovered", target=result.url, samples=len(result.samples))


def _next_tick(due: float, now: float, interval: float) -> float:
    """The tick after ``due``; past ticks skipped when a scrape ran long or the loop stalled."""
    due += interval
    if due < now:
        due += (now - due) // interval * interval + interval
    return due


def _with_instance(samples: Sequence[Sample], instance: str | None) -> list[Sample]:
    """Samples with ``instance`` set (a target's own moved to ``exported_instance``)."""
    if instance is None:
        return list(samples)
    out = []
    for sample in samples:
        labels = dict(sample.labels)
        if "instance" in labels:
            labels["exported_instance"] = labels["instance"]
        labels["instance"] = instance
        out.append(Sample(sample.name, labels, sample.value))
    return out


def _index(samples: Sequence[Sample]) -> dict[str, tuple[Sample, ...]]:
    """The samples grouped by series name, in their order."""
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(sample.name, []).append(sample)
    return {name: tuple(group) for name, group in groups.items()}
