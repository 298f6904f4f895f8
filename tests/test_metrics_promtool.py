"""`/metrics` as Prometheus' own linter sees it: `promtool check metrics` passes in every mode.

Each case starts the daemon as ``run`` does (``create_app``) in one way of running and
pipes the body of a real scrape, once the daemon is ready, to ``promtool check metrics``:
query mode against the test Prometheus, the same with a backend that never answers (every
SLO ``unknown``, no numbers yet), store mode (``--data-dir``) and scrape mode
(``source: scrape``, counting from the demo service's own ``/metrics``).
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from incremental_truth import write_store_config
from prometheus_server import find_binary
from scraped_demo import demo_service, scrape_config, url_of
from truth import write_config

from exporter.app import create_app
from exporter.config.loader import load_config
from exporter.store.history import HistoryStore

pytestmark = pytest.mark.integration  # every test runs promtool, most a real backend

DEAD = "http://127.0.0.1:9"


def promtool_check(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("promtool", "PROMTOOL_BIN"), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


async def query_mode(stack: AsyncExitStack, tmp_path: Path, request) -> tuple:
    """Direct queries against the test Prometheus."""
    prometheus = request.getfixturevalue("prometheus")
    return load_config(write_config(tmp_path, prometheus.url)), {}


async def failing_query_mode(stack: AsyncExitStack, tmp_path: Path, request) -> tuple:
    """Direct queries against a port where nothing listens: every SLO unknown."""
    return load_config(write_config(tmp_path, DEAD)), {}


async def store_mode(stack: AsyncExitStack, tmp_path: Path, request) -> tuple:
    """The history store filled from the test Prometheus (`run --data-dir`)."""
    prometheus = request.getfixturevalue("prometheus")
    settings = load_config(write_store_config(tmp_path, prometheus.url))
    return settings, {"store": HistoryStore.open(tmp_path / "data")}


async def scrape_mode(stack: AsyncExitStack, tmp_path: Path, request) -> tuple:
    """`source: scrape`: the daemon scrapes the demo service itself, into the store."""
    _, server = await stack.enter_async_context(demo_service(served=1000))
    path = tmp_path / "slos.yaml"
    path.write_text(scrape_config(url_of(server), interval="1s"))
    return load_config(path), {"store": HistoryStore.open(tmp_path / "data")}


MODES: dict[str, Callable] = {
    "query": query_mode,
    "query-failing": failing_query_mode,
    "store": store_mode,
    "scrape": scrape_mode,
}


@pytest.fixture(params=list(MODES))
async def scraped_text(request, tmp_path: Path, aiohttp_client) -> AsyncIterator[str]:
    """The body of a real scrape of a ready daemon in the mode the case names."""
    async with AsyncExitStack() as stack:
        settings, options = await MODES[request.param](stack, tmp_path, request)
        client = await aiohttp_client(create_app(settings, **options))
        for _ in range(600):  # bounded wait for the first (complete) cycle
            if (await client.get("/readyz")).status == 200:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the {request.param} daemon never became ready")
        response = await client.get("/metrics")
        assert response.status == 200
        yield await response.text()


def test_promtool_accepts_the_metrics_of_every_mode(scraped_text: str):
    """`promtool check metrics` reports no problem on a real /metrics: no gauge ending in
    _total, no type name inside a metric name, every family with HELP and TYPE."""
    assert "slo_status{" in scraped_text
    checked = promtool_check(scraped_text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""
