"""Grouped and composite SLOs counted by the history store (``--data-dir``) on a real
Prometheus.

The groups found at T go to the store counter like any SLO: a group seen for the first
time is backfilled from the backend, so a new group starts with the history it has.
Every window must equal the generator's truth for its route; the period's oldest edge may
cut one coarse bucket (5 minutes for a 7-day period, ``exporter/store/resolution.py``), so
the period may be off by at most the route's events within 5 minutes of that edge.
"""

from __future__ import annotations

import aiohttp
from pipelines import store_then_direct
from truth import COMPONENT_EVENTS, route_truth, write_composite_config, write_grouped_config

from exporter.config.loader import load_config
from exporter.pipeline.cycle import EvaluationRun
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.store.history import HistoryStore

HOUR = 3600
COARSE = 300
"""The store's coarse bucket width for a 7-day period."""


def wrong_windows(history, run: EvaluationRun) -> list[str]:
    """Every window of every group that differs from its route's truth."""
    out = []
    for member in run.groups["api-availability"]:
        truth = route_truth(member.group["route"])
        result = run.results[member.name]
        at = result.evaluated_at
        period = member.period_window(at)
        edge = truth.total(history, at - period + COARSE, 2 * COARSE)
        for window, got in {**result.windows, period: result.period}.items():
            allowed = edge if window == period else 1e-9
            for seen, true in (
                (got.events.good, truth.good(history, at, window)),
                (got.events.total, truth.total(history, at, window)),
            ):
                if abs(seen - true) > allowed:
                    out.append(f"{member.name} {window}s: {seen} != {true}")
    return out


async def test_the_store_counts_each_group_and_a_new_group_from_its_history(prometheus, tmp_path):
    """Three hours ago /new had no traffic yet; now it is a group, backfilled, and every
    group's windows equal the truth, all counted by the store."""
    settings = load_config(write_grouped_config(tmp_path, prometheus.url))
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            gate = QueryGate(PromQLClient(session, settings.backend), 4)
            pipeline = store_then_direct(settings.slos, gate, store)
            before = await pipeline.evaluate(prometheus.now - 3 * HOUR)
            now = await pipeline.evaluate(prometheus.now)
    finally:
        store.close()
    routes = [{m.group["route"] for m in run.groups["api-availability"]} for run in (before, now)]
    assert "/new" not in routes[0]
    assert "/new" in routes[1]
    for run in (before, now):
        assert not run.failures
        assert run.paths["store"].slos == len(run.groups["api-availability"])
        assert run.paths["direct"].slos == 0
        assert wrong_windows(prometheus.history, run) == []


async def test_the_store_counts_a_composites_components_over_its_windows(prometheus, tmp_path):
    """A composite's component copies go to the store like any SLO: the events composite's
    windows equal its components' truth summed (the period within one coarse bucket)."""
    settings = load_config(write_composite_config(tmp_path, prometheus.url))
    store = HistoryStore.open(tmp_path / "data")
    try:
        async with aiohttp.ClientSession() as session:
            gate = QueryGate(PromQLClient(session, settings.backend), 4)
            pipeline = store_then_direct(settings.slos, gate, store, discover=False)
            run = await pipeline.evaluate(prometheus.now)
    finally:
        store.close()
    assert not run.failures
    assert run.paths["direct"].slos == 2  # the query SLI search-availability and its copy
    result = run.results["checkout-journey"]
    history, at = prometheus.history, prometheus.now
    leaves = ("cart-availability", "pay-availability")
    edge = sum(
        COMPONENT_EVENTS[leaf][1](history, at - 7 * 86400 + COARSE, 2 * COARSE) for leaf in leaves
    )
    for window, got in {**result.windows, 7 * 86400: result.period}.items():
        allowed = edge if window == 7 * 86400 else 1e-9
        total = sum(COMPONENT_EVENTS[leaf][1](history, at, window) for leaf in leaves)
        good = sum(COMPONENT_EVENTS[leaf][0](history, at, window) for leaf in leaves)
        assert abs(got.events.total - total) <= allowed, window
        assert abs(got.events.good - good) <= allowed, window
