"""The daemon's /metrics on each real backend, checked against exact ground truth.

Every test runs once per ``backend`` (Prometheus and VictoriaMetrics).  The daemon
evaluates at the current whole minute; the test VictoriaMetrics runs with
``-search.latencyOffset=0s``, without which it would answer such a recent ``time`` at its
own clock minus 30 s (see ``victoria_server.py`` and ``test_victoria_semantics.py``).
"""

from __future__ import annotations

import asyncio
import gzip
import math

import pytest
from metrics_text import one, parse, pick
from truth import TRUTH, expected_burn, write_config

from exporter.app import create_app
from exporter.config.loader import load_config
from exporter.domain.durations import parse_duration

STATUSES = {"healthy", "attention", "warning", "critical", "exhausted", "no_data", "unknown"}


async def wait_ready(client, attempts: int = 300) -> None:
    """Poll /readyz until the first evaluation is done (bounded; not a speed assertion)."""
    for _ in range(attempts):
        response = await client.get("/readyz")
        if response.status == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("exporter never became ready")


@pytest.fixture
async def scraped(backend, tmp_path, aiohttp_client):
    settings = load_config(write_config(tmp_path, backend.url))
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/readyz")).status in {200, 503}
    await wait_ready(client)
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await response.text()
    return client, text, parse(text)


async def test_metrics_match_ground_truth(backend, scraped):
    """Events, SLI, burn rate and budget of every SLO and window equal the exact counts."""
    _, _, samples = scraped
    history = backend.history
    for name, truth in TRUTH.items():
        at = one(samples, "slo_evaluation_timestamp_seconds", slo=name)
        assert at % 60 == 0, "evaluation time is aligned to the interval"
        assert history.now <= at <= history.end
        windows = pick(samples, "slo_window_events", slo=name)
        assert len(windows) == 8
        for labels, total_seen in windows.items():
            label = dict(labels)["window"]
            window = parse_duration(label)
            good = truth.good(history, at, window)
            total = truth.total(history, at, window)
            assert total_seen == pytest.approx(total, rel=1e-9, abs=1e-9)
            good_seen = one(samples, "slo_window_good_events", slo=name, window=label)
            assert good_seen == pytest.approx(good, rel=1e-9, abs=1e-9)
            burn = expected_burn(truth, good, total)
            sli = pick(samples, "slo_sli_ratio", slo=name, window=label)
            burns = pick(samples, "slo_burn_rate", slo=name, window=label)
            if burn is None:
                assert sli == {}, f"{name} {label}: SLI without traffic"
                assert burns == {}, f"{name} {label}: burn rate without traffic"
            else:
                assert next(iter(sli.values())) == pytest.approx(good / total, rel=1e-9)
                assert next(iter(burns.values())) == pytest.approx(burn, rel=1e-6, abs=1e-12)
        period_total = truth.total(history, at, truth.period)
        data_ok = one(samples, "slo_data_ok", slo=name)
        assert data_ok == (1.0 if period_total > 0 else 0.0)
        if period_total:
            period_good = truth.good(history, at, truth.period)
            consumed = (1 - period_good / period_total) / (1 - truth.objective / 100)
            assert one(samples, "slo_error_budget_consumed_ratio", slo=name) == pytest.approx(
                consumed, rel=1e-6, abs=1e-12
            )
            assert one(samples, "slo_error_budget_remaining_ratio", slo=name) == pytest.approx(
                1 - consumed, rel=1e-6, abs=1e-9
            )


async def test_no_nan_or_inf_anywhere(scraped):
    """No sample on /metrics is NaN or infinite, including quiet and missing services."""
    _, text, samples = scraped
    assert all(math.isfinite(v) for v in samples.values())
    assert "NaN" not in text
    assert "Inf" not in text.replace('le="+Inf"', "")


async def test_every_series_carries_slo_service_and_own_labels(scraped):
    """slo, service and the SLO's own labels are on every slo_* series."""
    _, _, samples = scraped
    for (name, labels), _ in samples.items():
        if not name.startswith("slo_") or name.startswith("slo_exporter_"):
            continue
        keys = dict(labels)
        assert {"slo", "service"} <= keys.keys(), name
        if keys["slo"] == "checkout-availability":
            assert keys.get("team") == "payments", name


async def test_status_is_one_hot(scraped):
    """Exactly one slo_status series per SLO is 1, over the documented status names."""
    _, _, samples = scraped
    for name in TRUTH:
        statuses = {dict(k)["status"]: v for k, v in pick(samples, "slo_status", slo=name).items()}
        assert set(statuses) == STATUSES
        assert sum(statuses.values()) == 1
    ghost = {
        dict(k)["status"]: v
        for k, v in pick(samples, "slo_status", slo="ghost-availability").items()
    }
    assert ghost["no_data"] == 1


async def test_self_metrics_after_a_good_cycle(scraped):
    """Backend up, queries counted, no errors, a success timestamp per SLO, config loaded."""
    _, _, samples = scraped
    assert one(samples, "slo_exporter_backend_up") == 1
    assert one(samples, "slo_exporter_queries_total") > 0
    assert sum(pick(samples, "slo_exporter_query_errors_total").values()) == 0
    assert one(samples, "slo_exporter_config_last_reload_successful") == 1
    assert one(samples, "slo_exporter_slos") == len(TRUTH)
    for name in TRUTH:
        assert (
            one(samples, "slo_exporter_last_successful_evaluation_timestamp_seconds", slo=name) > 0
        )


async def test_health_endpoints(scraped):
    """/healthz answers while alive and /readyz once evaluated."""
    client, _, _ = scraped
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200


async def test_gzip_when_asked(scraped):
    """A scraper that accepts gzip gets a compressed body that decompresses to the plain one."""
    client, _, _ = scraped
    plain = await (await client.get("/metrics")).read()
    response = await client.get(
        "/metrics", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert response.headers.get("Content-Encoding") == "gzip"
    body = await response.read()
    assert int(response.headers["Content-Length"]) == len(body)
    assert len(body) < len(plain)
    slo_lines = [line for line in gzip.decompress(body).splitlines() if line.startswith(b"slo_")]
    assert slo_lines
    assert slo_lines == [line for line in plain.splitlines() if line.startswith(b"slo_")]
