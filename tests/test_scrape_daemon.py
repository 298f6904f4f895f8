"""The daemon with `source: scrape`: no Prometheus, events counted from scraped counters."""

from __future__ import annotations

import pytest
from metrics_text import one, parse
from scraped_demo import DEMO_SLOS, Clock, scraping_daemon


def counts(service) -> dict[str, float]:
    get = service.registry.get_sample_value
    total = sum(
        get("http_requests_total", {"code": c}) or 0.0 for c in ("200", "404", "500", "503")
    )
    bad = sum(get("http_requests_total", {"code": c}) or 0.0 for c in ("500", "503"))
    fast = get("http_request_duration_seconds_bucket", {"le": "0.25"}) or 0.0
    return {"total": total, "good": total - bad, "fast": fast}


T0 = 1_800_000_000
clock = Clock(T0)


@pytest.fixture
async def scraped(tmp_path):
    clock.now = T0
    async with scraping_daemon(DEMO_SLOS, tmp_path / "history", clock) as scraped:
        yield scraped


async def test_scraped_events_match_the_service_counters(scraped):
    """Events over a window are exactly what the service counted after the first scrape."""
    service, daemon, _ = scraped
    service.serve(500)  # before the first scrape: the baseline, not counted
    await daemon.evaluate_once(at=T0)
    before = counts(service)
    service.serve(2000)
    service.start_incident(error_rate=0.3, seconds=3600, slow=3.0)
    service.serve(1000)
    clock.now = T0 + 60
    await daemon.evaluate_once(at=T0 + 60)
    after = counts(service)
    samples = parse(daemon.exposition.decode())
    total = after["total"] - before["total"]
    good = after["good"] - before["good"]
    assert one(samples, "slo_window_events", slo="demo-availability", window="5m") == total
    assert one(samples, "slo_window_good_events", slo="demo-availability", window="5m") == good
    assert one(samples, "slo_window_good_events", slo="demo-latency", window="5m") == (
        after["fast"] - before["fast"]
    )
    burn = (1 - good / total) / 0.01
    assert one(samples, "slo_burn_rate", slo="demo-availability", window="5m") == pytest.approx(
        burn
    )
    assert one(samples, "slo_data_ok", slo="demo-availability") == 1


async def test_a_dead_target_keeps_values_and_says_so(scraped):
    """When the target stops answering, the last numbers stay with slo_data_ok 0."""
    service, daemon, server = scraped
    await daemon.evaluate_once(at=T0)
    service.serve(300)
    clock.now = T0 + 60
    await daemon.evaluate_once(at=T0 + 60)
    before = parse(daemon.exposition.decode())
    assert one(before, "slo_data_ok", slo="demo-availability") == 1
    await server.close()
    clock.now = T0 + 120
    run = await daemon.evaluate_once(at=T0 + 120)
    assert run.failures
    after = parse(daemon.exposition.decode())
    assert one(after, "slo_data_ok", slo="demo-availability") == 0
    health = parse(daemon.metrics.render().decode())
    assert one(health, "slo_exporter_backend_up") == 0
    assert one(health, "slo_exporter_query_errors_total", reason="connection") > 0
    assert one(after, "slo_window_events", slo="demo-availability", window="5m") == one(
        before, "slo_window_events", slo="demo-availability", window="5m"
    )
