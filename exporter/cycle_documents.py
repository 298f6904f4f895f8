"""What the JSON API and the status page show of the last cycle, built once per cycle.

A :class:`Snapshot` holds every SLO's summary (``/api/v1/slos``' items, the page's rows),
sorted by name, with what the page adds (statuses, services, notes). It is built in a
worker thread at the first request after a cycle was published or the config reloaded,
once however many requests arrive meanwhile; each build counts in
``slo_exporter_slo_documents_builds_total``. Everything a request derives from it (a
filtered list, an SLO's daily series read from the store, a rendered page or JSON text)
is kept in the snapshot too, so a second request within a cycle costs a dictionary
look-up and gets the same bytes. While someone looks (a request in the last 15 minutes),
each new cycle's snapshot and its first page are built as soon as the cycle is
published, and until they are ready requests are answered from the previous cycle's
(as /metrics serves the last rendered cycle): a view after a cycle waits for neither.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import structlog
from aiohttp import web

from exporter import api_daily, api_slos
from exporter.api_daily import Daily
from exporter.daemon import Daemon
from exporter.domain.decision import Policy
from exporter.exposition import Served
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.store_steps import StoreSteps

log = structlog.get_logger("slo_exporter")
T = TypeVar("T")
KEPT = 4096
"""Derived values a snapshot keeps at most (a page view adds its page and its 100 SLOs'
daily series); beyond it, or beyond ``KEPT_BYTES`` of texts, the oldest go."""
KEPT_BYTES = 64 << 20
"""The unfiltered list of 10,000 SLOs is 5 MB of JSON."""
_MISSING = object()
WATCHED = 900.0
"""Seconds after a request during which new cycles are prepared ahead of requests."""


@dataclass
class Snapshot:
    """The last cycle as the API and the page show it, and what was derived from it."""

    key: tuple[int, int]
    cycle: dict[str, Any]
    entries: Mapping[str, Served]
    failed: Mapping[str, str]
    summaries: list[dict[str, Any]]
    """Every SLO's summary, by name."""
    statuses: list[str]
    """Every SLO's status, in config order (the page's summary line)."""
    services: list[str]
    compiled: Mapping[str, CompiledSLO]
    steps: StoreSteps | None
    policy: Policy
    notes: list[str]
    """Why figures may be missing or old (the page's notes)."""
    kept: dict[object, Any] = field(default_factory=dict)
    kept_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def daily(self, name: str) -> Daily:
        """The SLO's daily series (read from the store once per snapshot). Blocking."""
        return self.derive(("daily", name), lambda: self._read_daily(name))

    def _read_daily(self, name: str) -> Daily:
        entry = self.entries[name]
        return api_daily.daily(self.compiled.get(name), entry.result, self.steps)

    def derive(self, key: object, build: Callable[[], T]) -> T:
        """``build()``, once per snapshot and ``key``. Blocking: call in a worker thread."""
        with self.lock:
            if key in self.kept:
                return cast(T, self.kept[key])
        value = build()  # two threads may build the same key at once: the same value
        with self.lock:
            if key not in self.kept:
                self.kept[key] = value
                self.kept_bytes += _size(value)
                while len(self.kept) > KEPT or self.kept_bytes > KEPT_BYTES:
                    self.kept_bytes -= _size(self.kept.pop(next(iter(self.kept))))
            return cast(T, self.kept.get(key, value))


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | bytes) else 0


def _build(
    daemon: Daemon, key: tuple[int, int], notes: Callable[[Daemon], list[str]]
) -> Callable[[], Snapshot]:
    """What to run in the worker thread; the daemon's state is taken here, on the loop."""
    entries, failed = daemon.served.entries(), dict(daemon.served.failed)
    policy, page_notes = daemon.settings.policy, notes(daemon)
    run = daemon.served.last_run
    cycle = api_slos.cycle_state(daemon.cycles, None if run is None else run.at)
    compiled = {c.slo.name: c for c in daemon.generation.slos}
    steps = StoreSteps(daemon.store) if daemon.store is not None else None

    def build() -> Snapshot:
        summaries = [api_slos.summary(e, failed) for e in entries]
        statuses = [s["status"] for s in summaries]
        summaries.sort(key=lambda s: s["name"])
        return Snapshot(
            key, cycle, {e.slo.name: e for e in entries}, failed, summaries, statuses,
            sorted({e.slo.service for e in entries}), compiled, steps, policy, page_notes,
        )  # fmt: skip

    return build


class CycleDocuments:
    """The current :class:`Snapshot` of a daemon, rebuilt when its cycle or config changes."""

    def __init__(self, daemon: Daemon, notes: Callable[[Daemon], list[str]]) -> None:
        self._daemon = daemon
        self._notes = notes
        self._snapshot: Snapshot | None = None
        self._previous: Snapshot | None = None
        self._building = asyncio.Lock()
        self._asked = float("-inf")
        self._preparing = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: set[tuple[tuple[int, int], object]] = set()
        """(snapshot, key) of the values being built in the background."""
        self.warm: Callable[[Snapshot], Any] | None = None
        """Run in a worker thread on each snapshot built ahead of requests (the page)."""

    def _key(self) -> tuple[int, int]:
        return self._daemon.served.version, self._daemon.cycles

    async def current(self) -> Snapshot:
        """The snapshot of the last cycle; while the next one is being prepared (see
        :meth:`published`), the one before, so a request never waits for a build then."""
        self._asked = time.monotonic()
        snapshot = self._snapshot
        if snapshot is not None and (snapshot.key == self._key() or self._preparing):
            return snapshot
        async with self._building:
            key = self._key()
            snapshot = self._snapshot
            if snapshot is None or snapshot.key != key:
                snapshot = await self._build(key)
                self._replace(snapshot)
            return snapshot

    async def _build(self, key: tuple[int, int]) -> Snapshot:
        snapshot = await asyncio.to_thread(_build(self._daemon, key, self._notes))
        self._daemon.metrics.documents_built.inc()
        return snapshot

    async def derive(self, snapshot: Snapshot, key: object, build: Callable[[Snapshot], T]) -> T:
        """``build(snapshot)``, in a worker thread, once per snapshot and ``key``.

        When the snapshot before this one holds the value, that is the answer and this
        snapshot's is built in the background: a page or filter asked for in the last
        cycle does not wait for its new build (its answer is one cycle older)."""
        with snapshot.lock:
            if key in snapshot.kept:
                return cast(T, snapshot.kept[key])
        previous = self._previous
        if previous is not None and previous is not snapshot:
            with previous.lock:
                old = previous.kept.get(key, _MISSING)
            if old is not _MISSING:
                if (snapshot.key, key) not in self._pending:
                    self._pending.add((snapshot.key, key))
                    self._background(self._derive_later(snapshot, key, build))
                return cast(T, old)
        return await asyncio.to_thread(snapshot.derive, key, lambda: build(snapshot))

    async def slo_document(
        self, name: str, key: object, build: Callable[[Snapshot], T]
    ) -> T | None:
        """:meth:`derive` on the current snapshot for the SLO named ``name``, or None when
        the config has no such SLO (:func:`unknown_slo` says so)."""
        snapshot = await self.current()
        if name not in snapshot.entries:
            return None
        return await self.derive(snapshot, key, build)

    async def _derive_later(
        self, snapshot: Snapshot, key: object, build: Callable[[Snapshot], object]
    ) -> None:
        try:
            await asyncio.to_thread(snapshot.derive, key, lambda: build(snapshot))
        except Exception:  # a request asking for it again gets the error itself
            log.exception("document_build_failed", document=str(key))
        finally:
            self._pending.discard((snapshot.key, key))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def published(self) -> None:
        """A cycle was published or the config reloaded: prepare the next snapshot now if
        someone looked lately."""
        if time.monotonic() - self._asked > WATCHED:
            return
        self._preparing += 1
        self._background(self._prepare())

    async def _prepare(self) -> None:
        """Build the new snapshot and its first page, then serve it."""
        try:
            async with self._building:
                key = self._key()
                if self._snapshot is not None and self._snapshot.key == key:
                    return
                snapshot = await self._build(key)
                if self.warm is not None:
                    await asyncio.to_thread(self.warm, snapshot)
                self._replace(snapshot)
        finally:
            self._preparing -= 1

    def _replace(self, snapshot: Snapshot) -> None:
        self._previous, self._snapshot = self._snapshot, snapshot

    def cancel(self) -> None:
        """Stop preparing (the app stops)."""
        for task in self._tasks:
            task.cancel()


DOCUMENTS = web.AppKey("documents", CycleDocuments)


def unknown_slo(name: str) -> str:
    """The one line a client gets for an SLO name the config does not have."""
    return f"no SLO of the config is named {name!r}"


def documents(request: web.Request) -> CycleDocuments:
    """The documents of the app serving ``request``."""
    return request.app[DOCUMENTS]
