"""The daemon under load, as a user runs it: a subprocess, many scrapers, slow clients.

The exporter runs as ``slo-exporter run`` against the test Prometheus, with a short
interval so that a few evaluation ticks fall inside each test. The load comes from this
process over loopback, bounded in count and time. What must hold: every scrape is
answered completely, evaluation ticks are not missed, and clients that trickle their
request a byte at a time do not hold up anyone else. Latency figures are printed for the
record; the bounds asserted are generous sanity bounds for a loaded 2-core machine, the
measured figures belong in the benchmarks.
"""

from __future__ import annotations

import asyncio
import gzip
import statistics
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from metrics_text import one, parse
from processes import free_port, read_tail, spawn, stop_process
from truth import write_config

INTERVAL = 5
"""Seconds between evaluations while the load runs."""
SCRAPERS = 50
SCRAPE_SECONDS = 10.0
SLOW_CLIENTS = 200


@dataclass
class Served:
    """A running exporter: its base URL and log file."""

    url: str
    log: Path


@pytest.fixture
def served(prometheus, tmp_path: Path) -> Iterator[Served]:
    """``slo-exporter run`` on the truth config, evaluating every 5 s; ready when yielded."""
    path = write_config(tmp_path, prometheus.url)
    path.write_text(path.read_text().replace("interval: 60s", f"interval: {INTERVAL}s"))
    port = free_port()
    log = tmp_path / "exporter.log"
    cmd = [sys.executable, "-m", "exporter", "--log-format", "json", "run", "-c", str(path)]
    cmd.append("--no-store")
    process = spawn([*cmd, "--listen", f"127.0.0.1:{port}"], log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"the exporter never got ready:\n{read_tail(log)}")
        yield Served(url, log)
    finally:
        stop_process(process)


def _metrics(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        return parse(answer.read().decode())


async def _scraper(session: aiohttp.ClientSession, url: str, until: float) -> list[float]:
    """Scrape back to back with gzip, as Prometheus asks; the latency of each scrape."""
    latencies = []
    while time.monotonic() < until:
        started = time.perf_counter()
        async with session.get(url, headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.status == 200
            body = await answer.read()
        latencies.append(time.perf_counter() - started)
        assert b"slo_data_ok" in body
        assert b"NaN" not in body
    return latencies


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def test_fifty_concurrent_scrapers_are_all_answered_and_no_tick_is_missed(served):
    """50 clients scraping /metrics back to back for 10 s: every scrape is a complete
    exposition, the evaluation loop keeps its ticks, and cycles go on meanwhile."""
    before = _metrics(served.url)
    until = time.monotonic() + SCRAPE_SECONDS
    connector = aiohttp.TCPConnector(limit=SCRAPERS)
    async with aiohttp.ClientSession(connector=connector) as session:
        runs = await asyncio.gather(
            *(_scraper(session, f"{served.url}/metrics", until) for _ in range(SCRAPERS))
        )
    latencies = [latency for run in runs for latency in run]
    after = _metrics(served.url)
    rate = len(latencies) / SCRAPE_SECONDS
    print(
        f"\n{len(latencies)} scrapes ({rate:.0f}/s) by {SCRAPERS} clients: "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {_p(latencies, 0.99) * 1000:.1f} ms"
    )
    assert all(runs), "every client got answers"
    assert _p(latencies, 0.99) < 1.0
    missed = "slo_exporter_evaluation_ticks_missed_total"
    assert one(after, missed) == one(before, missed) == 0
    cycles = "slo_exporter_evaluations_total"
    assert one(after, cycles, result="success") > one(before, cycles, result="success")


async def _trickle(host: str, port: int, until: float) -> None:
    """A client that sends its request one byte a second and never finishes it."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return  # refused: the server protects itself, which is fine too
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
    try:
        for byte in request:
            if time.monotonic() >= until:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)
    except OSError:
        pass  # the server dropped us
    finally:
        writer.close()
        del reader


async def test_two_hundred_slow_clients_do_not_hold_up_a_scrape(served):
    """200 clients trickling a request a byte a second: meanwhile a normal scrape and the
    probes are answered at once, complete."""
    host, port = "127.0.0.1", int(served.url.rsplit(":", 1)[1])
    until = time.monotonic() + 8.0
    slow = [asyncio.ensure_future(_trickle(host, port, until)) for _ in range(SLOW_CLIENTS)]
    try:
        await asyncio.sleep(2.0)  # every slow client connected and trickling
        timings = []
        async with aiohttp.ClientSession() as session:
            for _ in range(10):
                started = time.perf_counter()
                async with session.get(
                    f"{served.url}/metrics", headers={"Accept-Encoding": "gzip"}
                ) as answer:
                    assert answer.status == 200
                    body = await answer.read()
                timings.append(time.perf_counter() - started)
                assert b"slo_data_ok" in body
                async with session.get(f"{served.url}/healthz") as probe:
                    assert probe.status == 200
                await asyncio.sleep(0.2)
    finally:
        await asyncio.gather(*slow, return_exceptions=True)
    print(f"\nscrapes beside {SLOW_CLIENTS} slow clients: max {max(timings) * 1000:.1f} ms")
    assert max(timings) < 1.0


def test_gzip_and_plain_expositions_say_the_same(served):
    """What a gzip-asking scraper gets decompresses to what a plain one gets."""
    request = urllib.request.Request(f"{served.url}/metrics", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Content-Encoding"] == "gzip"
        packed = gzip.decompress(answer.read()).decode()
    with urllib.request.urlopen(f"{served.url}/metrics", timeout=10) as answer:
        plain = answer.read().decode()
    series = {line.split(" ")[0] for line in plain.splitlines() if not line.startswith("#")}
    packed_series = {line.split(" ")[0] for line in packed.splitlines() if not line.startswith("#")}
    assert series == packed_series
