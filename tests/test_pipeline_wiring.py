"""The one pipeline's wiring, as a user meets it: limits, eval, compression, secrets, buckets."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import aiohttp
import pytest
import structlog
from pipelines import evaluate_direct, pipeline, stored
from truth import write_config

from exporter import logs
from exporter.app import accepts_gzip, create_app
from exporter.cli import main
from exporter.config.loader import load_config
from exporter.daemon import Daemon
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate, QueryLimit
from exporter.samples import QueryTally
from exporter.selfmetrics import SelfMetrics
from exporter.settings import BackendSettings
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

ROOT = Path(__file__).resolve().parent.parent


def _with_concurrency(path: Path, concurrency: int) -> Path:
    text = path.read_text().replace(
        "  interval: 60s\n", f"  interval: 60s\n  concurrency: {concurrency}\n"
    )
    path.write_text(text)
    return path


async def test_store_and_direct_queries_share_one_concurrency_limit(fake_backend, tmp_path):
    """A store-backed cycle sends its backfill and the direct window queries of the SLOs the
    store cannot count through one limit: never more than ``evaluation.concurrency`` queries
    wait on a slow backend at once (each side had a limit of its own, so twice as many)."""
    fake_backend.mode = "hang"
    settings = load_config(_with_concurrency(write_config(tmp_path, fake_backend.url), 2))
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            daemon = Daemon(settings, session, SelfMetrics(), store=store)
            cycle = asyncio.ensure_future(daemon.evaluate_once(1_800_000_000))
            for _ in range(200):
                if len(fake_backend.requests) >= 2:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # time for any query beyond the limit to arrive
            in_flight = len(fake_backend.requests)
            cycle.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cycle
    finally:
        store.close()
    assert in_flight == 2


async def test_the_stores_queries_go_ahead_of_queued_direct_ones(fake_backend):
    """Under one shared limit, a query of the store (its fill) waiting behind a burst of
    direct queries is sent next, not after the burst: a cold start's direct cycles must
    not starve the fill that ends them."""
    fake_backend.mode = "hang"
    fake_backend.hang_seconds = 0.1
    settings = BackendSettings(url=fake_backend.url)
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, settings), 1)
        direct, store = gate.counting(QueryTally()), gate.counting(QueryTally(), ahead=True)
        burst = [asyncio.ensure_future(direct.query(f"direct_{i}", 0)) for i in range(4)]
        await asyncio.sleep(0.02)  # the first direct query holds the one slot
        fill = asyncio.ensure_future(store.query("fill", 0))
        await asyncio.gather(*burst, fill, return_exceptions=True)
    assert fake_backend.queries == ["direct_0", "fill", "direct_1", "direct_2", "direct_3"]


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("gzip", True),
        ("gzip, deflate", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("identity", False),
        ("", False),
        ("gzip;q=nonsense", False),
        ("GZIP", True),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header, gzip):
    """A client that refuses gzip (q=0) gets plain text; listing it (or ``*``) gets gzip."""
    assert accepts_gzip(header) is gzip


async def test_metrics_honours_gzip_q_zero(aiohttp_client, fake_backend, tmp_path):
    """``Accept-Encoding: gzip;q=0`` on /metrics is answered uncompressed."""
    settings = load_config(write_config(tmp_path, fake_backend.url))
    client = await aiohttp_client(create_app(settings))
    refused = await client.get(
        "/metrics", headers={"Accept-Encoding": "gzip;q=0"}, auto_decompress=False
    )
    assert "Content-Encoding" not in refused.headers
    assert b"slo_exporter_build_info" in await refused.read()
    wanted = await client.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert wanted.headers["Content-Encoding"] == "gzip"


def test_eval_on_a_scrape_config_is_one_line(capsys):
    """``eval`` on a ``source: scrape`` config says in one line why it cannot, exit 1
    (it crashed with a traceback)."""
    config = ROOT / "demo" / "sidecar.yaml"
    assert main(["eval", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "source: scrape" in err
    assert "backend" in err


async def test_a_token_only_a_reloaded_config_brings_is_redacted(
    fake_backend, tmp_path, monkeypatch
):
    """Secrets of a config that arrives by reload are kept out of the log, like those of
    the config the daemon started with."""
    token = "s3cr3t-only-in-the-new-config"
    stream = io.StringIO()
    logs.configure("json", "info", stream=stream)
    monkeypatch.setattr(logs, "_secrets", [])
    try:
        path = write_config(tmp_path, fake_backend.url)
        async with aiohttp.ClientSession() as session:
            daemon = Daemon(load_config(path), session, SelfMetrics())
            text = path.read_text().replace(
                "  timeout: 10s\n",
                f"  timeout: 10s\n  headers:\n    Authorization: Bearer {token}\n",
            )
            path.write_text(text)
            assert await daemon.reload(path)
            structlog.get_logger("slo_exporter").info("probe", header=f"Bearer {token}")
    finally:
        logs.configure("console", "info")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert token not in stream.getvalue()
    assert [line["header"] for line in lines if line["event"] == "probe"] == [logs.REDACTED]


async def test_a_threshold_that_is_no_bucket_bound_fails_on_every_path(prometheus, tmp_path):
    """A latency threshold no bucket has would count every request as slow; the direct and
    the store path both refuse it with the same one-line reason."""
    path = write_config(tmp_path, prometheus.url)
    path.write_text(path.read_text().replace("threshold: 0.3", "threshold: 0.123"))
    settings = load_config(path)
    slos = [slo for slo in settings.slos if slo.name == "checkout-latency"]
    at = prometheus.now
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            client = PromQLClient(session, settings.backend)
            direct_run = await evaluate_direct(slos, client, at)
            tally = QueryTally()
            source = PromQLSource(QueryGate(client, 4).counting(tally))
            counter = stored(HistoryKeeper(store), source, source, tally=tally)
            store_run = await pipeline(slos, [counter]).evaluate(at)
    finally:
        store.close()
    assert store_run.paths["store"].slos == 1
    for run in (direct_run, store_run):
        error = run.failures["checkout-latency"]
        assert error.reason == "query"
        assert str(error).startswith("no bucket with le=0.123 in http_request_duration_seconds")


async def test_a_waiter_cancelled_as_the_slot_frees_leaves_the_limit_whole():
    """A query cancelled while it waits (a cycle cancelled at shutdown) just stops, even
    when the slot frees in the same moment: the next waiter gets the slot and the limit
    counts right afterwards (it raised ValueError from the queue, logged by asyncio as a
    task exception nobody retrieved, hundreds of lines at one shutdown)."""
    limit = QueryLimit(1)
    await limit.acquire(ahead=False)
    first = asyncio.ensure_future(limit.acquire(ahead=False))
    second = asyncio.ensure_future(limit.acquire(ahead=False))
    await asyncio.sleep(0)  # both wait
    first.cancel()
    limit.release()  # before the cancelled one runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    limit.release()
    await asyncio.wait_for(limit.acquire(ahead=True), 1)
