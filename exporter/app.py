"""The HTTP side: /metrics, /healthz, /readyz, the API, the status page, and the
daemon's start and stop.

Startup and shutdown hang off aiohttp's hooks, so the test client and the
real server run exactly the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from exporter import api, status_page
from exporter.cycle_documents import DOCUMENTS, CycleDocuments
from exporter.daemon import Daemon
from exporter.selfmetrics import SelfMetrics
from exporter.serving import GZIP_LEVEL
from exporter.settings import Settings
from exporter.shard import Shard
from exporter.store.file_format import StoreError
from exporter.store.history import HistoryStore
from exporter.watch import watch_file
from exporter.web_security import WebSecurity

log = structlog.get_logger("slo_exporter")

DAEMON = web.AppKey("daemon", Daemon)
_TASKS = web.AppKey("tasks", list)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip: listed (or ``*``) with q > 0.

    ``gzip;q=0`` refuses it; an entry for ``gzip`` itself outranks ``*``; a q that
    is no number counts as 0.
    """
    weights: dict[str, float] = {}
    for entry in header.split(","):
        coding, *params = (part.strip() for part in entry.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    weight = weights.get("gzip", weights.get("*", 0.0))
    return weight > 0


async def metrics(request: web.Request) -> web.StreamResponse:
    """The last evaluation's series plus the self-metrics; no computation here.

    The SLO series are compressed at most once per cycle (a gzip stream may
    hold several members, which every gzip reader joins), and the parts are
    written one after the other instead of being copied into one body.
    """
    daemon = request.app[DAEMON]
    served = daemon.served
    health = daemon.metrics.render()
    response = web.StreamResponse(headers={"Content-Type": CONTENT_TYPE})
    parts: Iterable[bytes]
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        parts = [served.exposition_gzip(), gzip.compress(health, compresslevel=GZIP_LEVEL)]
        response.content_length = sum(len(part) for part in parts)
        response.headers["Content-Encoding"] = "gzip"
    else:
        # Only the compressed text is kept: decompressed a piece at a time, between writes.
        size, pieces = served.plain()
        parts = itertools.chain(pieces, [health])
        response.content_length = size + len(health)
    await response.prepare(request)
    for part in parts:
        await response.write(part)
    await response.write_eof()
    return response


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and serving."""
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    """Ready once the first evaluation cycle has finished (with a store: one that counted
    every SLO, from the store or, while it fills, directly)."""
    daemon = request.app[DAEMON]
    if daemon.ready:
        return web.Response(text="ready\n")
    if daemon.store is not None and daemon.cycles:
        return web.Response(status=503, text="waiting for the history backfill\n")
    return web.Response(status=503, text="waiting for the first evaluation\n")


async def _verify(store: HistoryStore, on_damaged: Callable[[StoreError], None]) -> None:
    started = time.perf_counter()
    try:
        await asyncio.to_thread(store.verify)
    except StoreError as err:
        log.error("store_damaged", error=str(err))
        on_damaged(err)
        return
    log.info("store_checked", duration_seconds=round(time.perf_counter() - started, 3))


@dataclass(frozen=True)
class _Options:
    settings: Settings
    config_path: Path | None
    watch_interval: float
    handle_signals: bool
    store: HistoryStore | None
    shard: Shard | None
    on_damaged_store: Callable[[StoreError], None] | None
    web: WebSecurity | None = None


def _background(
    daemon: Daemon, options: _Options
) -> tuple[list[asyncio.Task[None]], set[asyncio.Task[bool]]]:
    """The daemon's loop, the store check, the config watcher and SIGHUP; the set collects
    the reloads they start."""
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(daemon.run())]
    store, config_path = options.store, options.config_path
    if store is not None and options.on_damaged_store is not None:
        tasks.append(asyncio.create_task(_verify(store, options.on_damaged_store)))
    reloads: set[asyncio.Task[bool]] = set()
    if config_path is not None:

        def reload() -> None:
            if options.web is not None:  # SIGHUP re-reads the web config too
                options.web.schedule_reload()
            task = asyncio.create_task(daemon.reload(config_path))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        tasks.append(asyncio.create_task(watch_file(config_path, reload, options.watch_interval)))
        if options.handle_signals:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
    return tasks, reloads


def _log_started(daemon: Daemon, options: _Options) -> None:
    settings, store = options.settings, options.store
    log.info(
        "started",
        slos=len(settings.slos),
        backend=settings.backend.safe_url if settings.scrape is None else None,
        scrape=[t.url for t in settings.scrape.targets] if settings.scrape else None,
        interval_seconds=settings.evaluation.interval,
        store=str(store.path) if store is not None else None,
        shard=str(daemon.shard),
        shard_slos=len(daemon.slos),
    )


async def _stop(daemon: Daemon, options: _Options, running: list[asyncio.Task[Any]]) -> None:
    if options.handle_signals and options.config_path is not None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await daemon.close()
    if options.store is not None:
        options.store.close()
    log.info("stopped")


def create_app(
    settings: Settings,
    *,
    config_path: Path | None = None,
    watch_interval: float = 5.0,
    handle_signals: bool = False,
    store: HistoryStore | None = None,
    shard: Shard | None = None,
    on_damaged_store: Callable[[StoreError], None] | None = None,
    web_security: WebSecurity | None = None,
) -> web.Application:
    """Build the application; the daemon starts with the app and stops with it.

    With a ``store`` the daemon is store-backed; the app closes the store when
    it stops. ``shard`` picks this replica's share of the SLOs. With
    ``on_damaged_store`` the store's pages are checked in a thread once the app
    serves (a large store takes minutes, during which probes must answer), and
    the callback gets the error if the file is damaged. ``web_security`` (the
    ``--web.config.file``) guards every route and is watched like the config.
    """
    options = _Options(
        settings, config_path, watch_interval, handle_signals, store, shard, on_damaged_store,
        web_security,
    )  # fmt: skip
    app = web.Application()
    if web_security is not None:
        web_security.install(app, watch_interval)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    api.register(app, DAEMON)
    status_page.register(app, DAEMON)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            daemon = Daemon(settings, session, SelfMetrics(), store=store, shard=shard)
            app[DAEMON] = daemon
            documents = CycleDocuments(daemon, status_page.notes)
            documents.warm = status_page.warm
            daemon.served.on_published.append(documents.published)
            app[DOCUMENTS] = documents
            await daemon.start()
            tasks, reloads = _background(daemon, options)
            app[_TASKS] = tasks
            _log_started(daemon, options)
            yield
            documents.cancel()
            await _stop(daemon, options, [*tasks, *reloads])

    app.cleanup_ctx.append(lifecycle)
    return app
