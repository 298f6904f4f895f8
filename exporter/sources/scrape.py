"""A :class:`~exporter.sources.base.Source` that scrapes ``/metrics`` itself: no Prometheus.

``source: {scrape: ...}`` in the config names one target or several. The
source scrapes each on its own ``interval`` in a background task (started
with :meth:`ScrapeSource.start`), keeps the last result of each, and
answers :meth:`ScrapeSource.snapshot` from them by matching the selectors
against the samples itself (:mod:`exporter.sources.matching`, PromQL's
rules). Without :meth:`~ScrapeSource.start`, every snapshot scrapes all
targets once, there and then.

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
under the same ``reason`` as a PromQL backend failure:

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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

import aiohttp
import structlog

from exporter import __version__
from exporter.errors import (
    BackendError,
    BackendHTTPError,
    BackendResponseError,
    BackendTimeout,
    BackendUnavailable,
    QueryError,
)
from exporter.promql.selectors import parse_selector
from exporter.settings import ScrapeSettings, ScrapeTarget
from exporter.sources.base import SeriesKey, Snapshot
from exporter.sources.matching import CompiledSelector, compile_selector, series_key
from exporter.sources.parse import ACCEPT, ExpositionError, Sample, parse_exposition

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
    "Tally",
]

DEFAULT_BODY_LIMIT = 16 * 1024 * 1024
"""Bytes of (decompressed) body a scrape reads at most."""
_CLIP = 200
_CHUNK = 64 * 1024

log = structlog.get_logger("slo_exporter")


class ScrapeError(BackendError):
    """A scrape did not give usable samples; ``target`` is the URL scraped."""

    target = ""


class ScrapeTimeout(ScrapeError, BackendTimeout):
    """The target did not answer completely within the scrape timeout."""


class ScrapeUnavailable(ScrapeError, BackendUnavailable):
    """The target could not be reached (refused, DNS, TLS, dropped connection)."""


class ScrapeHTTPError(ScrapeError, BackendHTTPError):
    """The target answered with an HTTP status other than 200."""


class ScrapeResponseError(ScrapeError, BackendResponseError):
    """The body is no metrics exposition, or larger than the limit."""


class ScrapeSelectorError(ScrapeError, QueryError):
    """A selector asked for cannot be parsed or applied to scraped samples."""


class Tally(Protocol):
    """Where reads and their failures are counted (``exporter.sources.promql.QueryTally``)."""

    sent: Counter[str]
    errors: Counter[str]


@dataclass(frozen=True)
class _Failure:
    """What went wrong, kept as data: each snapshot raises a fresh exception from it."""

    kind: type[ScrapeError]
    message: str
    status: int = 0

    def error(self, target: str, at: float | None) -> ScrapeError:
        if issubclass(self.kind, BackendHTTPError):
            err: ScrapeError = self.kind(self.message, status=self.status, at=at)
        else:
            err = self.kind(self.message, at=at)
        err.target = target
        return err


@dataclass(frozen=True)
class ScrapeResult:
    """One scrape of one target: when, how long, and its samples or what went wrong."""

    url: str
    started: float
    """Wall-clock (Unix) time the scrape started; the time its samples describe."""
    duration: float
    samples: tuple[Sample, ...] = ()
    failure: _Failure | None = None
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


@dataclass
class _Target:
    settings: ScrapeTarget
    instance: str | None
    latest: ScrapeResult | None = None
    attempted: asyncio.Event = field(default_factory=asyncio.Event)


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
        tally: Tally | None = None,
    ) -> None:
        if not settings.targets:
            raise ValueError("a scrape source needs at least one target")
        several = len(settings.targets) > 1
        self._targets = [
            _Target(target, target.instance if several else None) for target in settings.targets
        ]
        self._session = session
        self._body_limit = body_limit
        self._clock = clock
        self.tally = tally
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Scrape every target on its interval in the background, from now on."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._run(target), name=f"scrape {target.settings.url}")
            for target in self._targets
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
        return tuple(await asyncio.gather(*(self._scrape(t) for t in self._targets)))

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
        compiled = {text: _compile(text, at) for text in dict.fromkeys(selectors)}
        if self._tasks:
            await asyncio.gather(*(t.attempted.wait() for t in self._targets))
        else:
            await self.scrape()
        results: list[ScrapeResult] = []
        for target in self._targets:
            result = target.latest
            assert result is not None  # set before attempted, or by scrape() above
            if result.failure is not None:
                raise result.failure.error(target.settings.url, at)
            results.append(result)
        values: dict[str, dict[SeriesKey, float]] = {text: {} for text in compiled}
        for result in results:
            for text, selector in compiled.items():
                found = values[text]
                for sample in result.by_name.get(selector.selector.name, ()):
                    if selector(sample.name, sample.labels):
                        found[series_key(sample.name, sample.labels.items())] = sample.value
        return Snapshot(at=min(r.started for r in results), values=values)

    # ---- scraping ----------------------------------------------------------------

    async def _run(self, target: _Target) -> None:
        loop = asyncio.get_running_loop()
        interval = target.settings.interval
        due = loop.time()
        while True:
            try:
                await self._scrape(target)
            except Exception as err:  # a bug must not stop scraping, nor leave snapshots waiting
                log.exception("scrape_crashed", target=target.settings.url)
                message = f"target {target.settings.url}: scrape crashed: {_describe(err)}"
                failure = _Failure(ScrapeResponseError, message)
                self._keep(
                    target, ScrapeResult(target.settings.url, self._clock(), 0.0, (), failure)
                )
            due += interval
            now = loop.time()
            if due < now:  # a scrape ran long or the loop stalled: skip the missed ticks
                due += (now - due) // interval * interval + interval
            await asyncio.sleep(due - now)

    async def _scrape(self, target: _Target) -> ScrapeResult:
        url = target.settings.url
        started = self._clock()
        loop = asyncio.get_running_loop()
        begin = loop.time()
        samples: tuple[Sample, ...] = ()
        failure: _Failure | None = None
        try:
            body, content_type = await self._fetch(target.settings)
            parsed = await asyncio.to_thread(parse_exposition, body, content_type)
            samples = tuple(_with_instance(parsed, target.instance))
        except _FailedScrape as failed:
            failure = failed.failure
        except ExpositionError as err:
            failure = _Failure(ScrapeResponseError, f"target {url}: {err}")
        result = ScrapeResult(
            url=url,
            started=started,
            duration=loop.time() - begin,
            samples=samples,
            failure=failure,
            by_name=_index(samples),
        )
        self._keep(target, result)
        return result

    def _keep(self, target: _Target, result: ScrapeResult) -> None:
        previous = target.latest
        if previous is not None and previous.started > result.started:
            return  # an older scrape finished after a newer one
        target.latest = result
        target.attempted.set()
        was_ok = previous is None or previous.ok
        if was_ok and not result.ok:
            log.warning(
                "scrape_failed", target=result.url, reason=result.reason, error=result.error
            )
        elif not was_ok and result.ok:
            log.info("scrape_recovered", target=result.url, samples=len(result.samples))

    async def _fetch(self, target: ScrapeTarget) -> tuple[bytes, str | None]:
        """The body and Content-Type of a 200 answer; raises _FailedScrape otherwise."""
        url = target.url
        headers = {
            "Accept": ACCEPT,
            "User-Agent": f"slo-exporter/{__version__}",
            "X-Prometheus-Scrape-Timeout-Seconds": f"{target.timeout:g}",
        }
        try:
            async with self._session.get(
                url, headers=headers, timeout=aiohttp.ClientTimeout(total=target.timeout)
            ) as response:
                if response.status != 200:
                    start = await response.content.read(_CLIP)
                    raise _FailedScrape(
                        _Failure(
                            ScrapeHTTPError,
                            f"target {url} answered HTTP {response.status}"
                            + _quoted(start.decode("utf-8", "replace")),
                            response.status,
                        )
                    )
                body = await self._read(url, response)
                return body, response.headers.get("Content-Type")
        except TimeoutError:  # aiohttp's timeouts are TimeoutError subclasses
            failure = _Failure(
                ScrapeTimeout, f"target {url} gave no complete answer within {target.timeout:g}s"
            )
        except aiohttp.ClientResponseError as err:  # too many redirects, bad status line
            failure = _Failure(
                ScrapeHTTPError, f"target {url}: HTTP error {err.status}: {err.message}", err.status
            )
        except aiohttp.ClientPayloadError as err:
            failure = _Failure(ScrapeResponseError, f"target {url}: the body broke off: {err}")
        except (aiohttp.ClientError, OSError) as err:
            failure = _Failure(ScrapeUnavailable, f"cannot scrape {url}: {_describe(err)}")
        raise _FailedScrape(failure)

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> bytes:
        limit = self._body_limit
        too_big = _FailedScrape(
            _Failure(ScrapeResponseError, f"target {url}: the body is larger than {limit} bytes")
        )
        if response.content_length is not None and response.content_length > limit:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)


class _FailedScrape(Exception):
    """Internal: carries a scrape's failure out of :meth:`ScrapeSource._fetch`."""

    def __init__(self, failure: _Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _compile(text: str, at: float) -> CompiledSelector:
    try:
        return compile_selector(parse_selector(text))
    except ValueError as err:
        raise ScrapeSelectorError(
            f"selector {text!r} cannot be applied to scraped samples: {err}", query=text, at=at
        ) from None


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
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(sample.name, []).append(sample)
    return {name: tuple(group) for name, group in groups.items()}


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f": {text[:_CLIP]!r}" if text else ""


def _describe(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__
