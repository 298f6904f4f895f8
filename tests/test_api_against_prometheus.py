"""The JSON API's numbers equal the gauges of /metrics for the same cycle (real Prometheus).

The daemon runs in-process on the test Prometheus; /metrics is scraped and the API
called after the same cycle (the evaluation time of both must match, else it tries
again), then every SLO's SLI, events, burn rates, budget figures, status and alert
conditions are compared.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from incremental_truth import DIRECT, write_store_config
from metrics_text import one, parse, pick
from served_app import serve, serve_with_filled_store
from truth import CONFIG, TRUTH

from exporter.app import DAEMON
from exporter.config.loader import load_config

DAY = 86400

BUDGET_GAUGES = {
    "consumed_ratio": "slo_error_budget_consumed_ratio",
    "remaining_ratio": "slo_error_budget_remaining_ratio",
    "remaining_events": "slo_error_budget_remaining_events",
    "remaining_seconds": "slo_error_budget_remaining_seconds",
    "exhaustion_seconds": "slo_error_budget_exhaustion_seconds",
}
WINDOW_GAUGES = {
    "sli": "slo_sli_ratio",
    "burn_rate": "slo_burn_rate",
    "good_events": "slo_window_good_events",
    "events": "slo_window_events",
}


@pytest.fixture(scope="module")
def config(prometheus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api") / "slos.yaml"
    path.write_text(CONFIG.format(url=prometheus.url))
    return path


def gauge(samples, name: str, **labels: str) -> float | None:
    """The one sample, or None when the family has none for these labels."""
    found = pick(samples, name, **labels)
    assert len(found) <= 1, found
    return next(iter(found.values()), None)


async def same_cycle(client) -> tuple[dict, list[dict]]:
    """/metrics and every SLO's detail, read after one and the same cycle."""
    for _ in range(5):
        samples = parse(await (await client.get("/metrics")).text())
        listing = await (await client.get("/api/v1/slos")).json()
        details = [
            (await (await client.get(f"/api/v1/slos/{s['name']}")).json())["slo"]
            for s in listing["slos"]
        ]
        again = parse(await (await client.get("/metrics")).text())
        if again == samples and all(d["evaluated_at"] == listing["evaluated_at"] for d in details):
            return samples, details
    raise AssertionError("a new cycle published between every scrape and API call")


def compare(samples, slo: dict) -> None:
    """Every number of one SLO's API detail against its gauge (absent gauge: null)."""
    name = slo["name"]
    assert one(samples, "slo_status", slo=name, status=slo["status"]) == 1.0
    assert one(samples, "slo_evaluation_timestamp_seconds", slo=name) == slo["evaluated_at"]
    for field, family in BUDGET_GAUGES.items():
        assert gauge(samples, family, slo=name) == slo["budget"][field], (name, field)
    assert (
        gauge(samples, "slo_error_budget_remaining_ratio", slo=name)
        == (slo["budget_remaining_ratio"])
    )
    for window in slo["windows"]:
        for field, family in WINDOW_GAUGES.items():
            got = gauge(samples, family, slo=name, window=window["window"])
            assert got == window[field], (name, window["window"], field)
        assert slo["burn_rates"][window["window"]] == window["burn_rate"]
    for alert in slo["alerts"]:
        labels = {k: alert[k] for k in ("severity", "long_window", "short_window")}
        firing = one(samples, "slo_alert_condition", slo=name, **labels)
        assert firing == float(alert["firing"]), (name, labels)
        threshold = one(samples, "slo_alert_burn_rate_threshold", slo=name, **labels)
        assert threshold == alert["burn_rate_threshold"]


async def test_api_numbers_equal_the_gauges_of_the_same_cycle(prometheus, config, aiohttp_client):
    """Every SLO's SLI, events, burn rates, budget, status and alert conditions in the
    API are exactly the /metrics gauges of the same cycle."""
    app, client = await serve(aiohttp_client, config, seconds=20.0)
    samples, details = await same_cycle(client)
    assert len(details) == len(app[DAEMON].slos) > 1
    assert {d["status"] for d in details} >= {"healthy", "exhausted"}  # the truth's spread
    for slo in details:
        compare(samples, slo)


async def test_daily_series_comes_from_the_store_and_matches_the_truth(
    prometheus, tmp_path, aiohttp_client
):
    """With --data-dir, once the backfill is done: each UTC day's SLI is the generator's
    exact ratio of that day's steps, the burn-down ends at the period's remaining budget,
    and an SLO the store does not keep says so instead of a series."""
    settings = load_config(write_store_config(tmp_path, prometheus.url))
    _, client = await serve_with_filled_store(aiohttp_client, settings, tmp_path / "data")
    history = prometheus.history
    for name, truth in TRUTH.items():
        slo = (await (await client.get(f"/api/v1/slos/{name}")).json())["slo"]
        if name in DIRECT:
            assert slo["daily"] is None
            assert "does not keep this SLO's events" in slo["daily_unavailable"]
            continue
        assert slo["daily_unavailable"] is None, name
        days = slo["daily"]
        dates = truth.period // DAY
        assert len(days) in (dates, dates + 1), name  # as many UTC dates as the period touches
        for day in days[1:-1]:  # whole days: sums of whole hours
            midnight = int(datetime.fromisoformat(day["date"] + "T00:00:00+00:00").timestamp())
            good = truth.good(history, midnight + DAY, DAY)
            total = truth.total(history, midnight + DAY, DAY)
            expected = None if total == 0 else pytest.approx(good / total, rel=1e-9)
            assert day["sli"] == expected, (name, day["date"])
        remaining = slo["budget"]["remaining_ratio"]  # None: the period had no traffic
        closing = None if remaining is None else pytest.approx(remaining, rel=1e-6)
        assert days[-1]["budget_remaining_ratio"] == closing, name
