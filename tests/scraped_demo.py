"""The demo service served in-process, and a daemon that scrapes it (``source: scrape``).

The service starts without background traffic (``rate=0``, seed 7): a test serves the
requests it counts, so the events of every window are known exactly.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from config_text import load_text
from test_scrape_demo import load

from exporter.daemon import Daemon
from exporter.selfmetrics import SelfMetrics
from exporter.store.history import HistoryStore

DEMO_SLOS = """\
  - name: demo-availability
    service: demo
    objective: 99
    period: 1d
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}
        total: http_requests_total
  - name: demo-latency
    service: demo
    objective: 95
    period: 1d
    sli:
      latency:
        histogram: http_request_duration_seconds
        threshold: 0.25
"""
"""The demo service's availability (5xx are bad) and latency (0.25 s) SLOs."""


def scrape_config(url: str, slos: str = DEMO_SLOS, interval: str = "5s") -> str:
    """A config that scrapes ``url``/metrics every ``interval`` and evaluates ``slos``."""
    source = f'source:\n  scrape: {{url: "{url}/metrics", interval: {interval}}}\n'
    return f"{source}evaluation:\n  interval: 60s\nslos:\n{slos}"


class Clock:
    """Wall-clock time the test sets: scrapes are stamped with it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def url_of(server: TestServer) -> str:
    """The server's base URL, without the trailing slash."""
    return str(server.make_url("")).rstrip("/")


@contextlib.asynccontextmanager
async def demo_service(served: int = 0) -> AsyncIterator[tuple[Any, TestServer]]:
    """The demo service, ``served`` requests already counted, and its running server."""
    service = load("service").DemoService(rate=0, seed=7)
    service.serve(served)
    server = TestServer(service.app(traffic=False))
    await server.start_server()
    try:
        yield service, server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def scraping_daemon(
    slos: str, data_dir: Path, clock: Clock
) -> AsyncIterator[tuple[Any, Daemon, TestServer]]:
    """A daemon (store in ``data_dir``, time from ``clock``) scraping the demo service."""
    async with demo_service() as (service, server):
        store = HistoryStore.open(data_dir)
        try:
            async with aiohttp.ClientSession() as session:
                settings = load_text(scrape_config(url_of(server), slos))
                daemon = Daemon(settings, session, SelfMetrics(), store=store, clock=clock)
                yield service, daemon, server
                await daemon.close()
        finally:
            store.close()
