"""The daemon serving a grouped and a composite SLO from a real Prometheus.

``run``'s wiring end to end: the planning step finds the groups, the serving keeps one
entry per group, composites are combined after counting, and /metrics, the self-metrics
and the JSON API show them; the numbers are checked against the generator's truth.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from metrics_text import one, parse, pick
from test_composite_against_backends import expected
from test_daemon_against_backends import wait_ready
from truth import (
    COMPONENT_EVENTS,
    COMPOSITE_CONFIG,
    DAY,
    GROUPED_CONFIG,
    burn_of,
    route_truth,
    write_grouped_config,
)

from exporter.app import create_app
from exporter.config.loader import load_config
from exporter.domain.durations import parse_duration


def shapes_config(url: str) -> str:
    """The grouped config's SLO and the composite config's SLOs, in one file."""
    # A 60 s interval puts T on whole minutes, where the history makes increase() exact.
    grouped = GROUPED_CONFIG.format(url=url, max_groups="").replace(
        "slos:\n", "evaluation:\n  interval: 60s\nslos:\n", 1
    )
    composite = COMPOSITE_CONFIG.format(url=url)
    return grouped + composite[composite.index("slos:\n") + len("slos:\n") :]


@pytest.fixture
async def served(prometheus, tmp_path, aiohttp_client):
    path = tmp_path / "shapes.yaml"
    path.write_text(shapes_config(prometheus.url))
    client = await aiohttp_client(create_app(load_config(path)))
    await wait_ready(client)
    return client, parse(await (await client.get("/metrics")).text())


async def test_every_group_is_served_with_its_route_and_true_numbers(prometheus, served):
    """/metrics has each route with traffic as its own SLO, its events equal to the truth."""
    _, samples = served
    routes = {
        dict(labels)["route"] for labels in pick(samples, "slo_data_ok", slo="api-availability")
    }
    at = one(samples, "slo_evaluation_timestamp_seconds", slo="api-availability", route="/cart")
    history = prometheus.history
    assert routes == {r for r in ("/cart", "/legacy", "/new", "/pay", "/search")
                      if route_truth(r).total(history, at, 7 * 86400) > 0}  # fmt: skip
    for route in routes:
        truth = route_truth(route)
        for labels, total in pick(
            samples, "slo_window_events", slo="api-availability", route=route
        ).items():
            window = parse_duration(dict(labels)["window"])
            assert total == pytest.approx(truth.total(history, at, window)), (route, window)
    assert one(samples, "slo_exporter_slo_groups") == len(routes)
    assert one(samples, "slo_exporter_slo_groups_dropped") == 0
    assert one(samples, "slo_exporter_cycle_queries", path="groups") == 1
    # one grouped SLO looked up, then each of its groups evaluated on the grouped path
    assert one(samples, "slo_exporter_cycle_slos", path="groups") == 1
    assert one(samples, "slo_exporter_cycle_slos", path="grouped") == len(routes)
    windows = pick(samples, "slo_window_events", slo="api-availability", route="/cart")
    # every group together: one query pair per window, not one per group and window
    assert one(samples, "slo_exporter_cycle_queries", path="grouped") == 2 * len(windows)


async def test_each_group_serves_its_true_good_events_burn_and_budget(prometheus, served):
    """Each route's good events and burn rate in every window, and its 7-day budget
    consumed, equal the generator's truth for that route (objective 99 %)."""
    _, samples = served
    history = prometheus.history
    at = one(samples, "slo_evaluation_timestamp_seconds", slo="api-availability", route="/cart")
    routes = {dict(lb)["route"] for lb in pick(samples, "slo_data_ok", slo="api-availability")}
    assert routes
    for route in routes:
        truth, labels = route_truth(route), {"slo": "api-availability", "route": route}
        for window_labels in pick(samples, "slo_window_good_events", **labels):
            label = dict(window_labels)["window"]
            good = truth.good(history, at, parse_duration(label))
            total = truth.total(history, at, parse_duration(label))
            seen = one(samples, "slo_window_good_events", window=label, **labels)
            assert seen == pytest.approx(good), (route, label)
            burn = pick(samples, "slo_burn_rate", window=label, **labels)
            assert list(burn.values()) == (
                [pytest.approx(burn_of(good, total, 99))] if total else []
            )
        good, total = truth.good(history, at, 7 * DAY), truth.total(history, at, 7 * DAY)
        consumed = one(samples, "slo_error_budget_consumed_ratio", **labels)
        assert consumed == pytest.approx(burn_of(good, total, 99), rel=1e-6, abs=1e-12), route


@pytest.mark.parametrize("name", ["checkout-journey", "checkout-weighted", "shop-journey"])
async def test_every_composite_window_and_budget_on_metrics_equal_the_truth(
    prometheus, served, name
):
    """/metrics of each composite: every window's good and total events and the 7-day
    budget consumed equal the figures computed from its components' truth (the same
    figures ``eval`` is held to)."""
    _, samples = served
    at = one(samples, "slo_evaluation_timestamp_seconds", slo=name)
    history = prometheus.history
    windows = pick(samples, "slo_window_events", slo=name)
    assert len(windows) >= 3
    for labels, total_seen in windows.items():
        label = dict(labels)["window"]
        good, total = expected(name, history, at, parse_duration(label))
        assert total_seen == pytest.approx(total, rel=1e-9), label
        good_seen = one(samples, "slo_window_good_events", slo=name, window=label)
        assert good_seen == pytest.approx(good, rel=1e-9), label
    objective = {"shop-journey": 99.5}.get(name, 99.0)
    good, total = expected(name, history, at, 7 * DAY)
    consumed = one(samples, "slo_error_budget_consumed_ratio", slo=name)
    assert consumed == pytest.approx(burn_of(good, total, objective), rel=1e-6, abs=1e-12)


async def test_max_groups_shows_the_served_and_dropped_groups(prometheus, tmp_path, aiohttp_client):
    """With ``max_groups: 2`` /metrics serves two routes, ``slo_exporter_slo_groups`` is 2
    and ``slo_exporter_slo_groups_dropped`` the other routes with traffic."""
    client = await aiohttp_client(
        create_app(load_config(write_grouped_config(tmp_path, prometheus.url, max_groups=2)))
    )
    await wait_ready(client)
    samples = parse(await (await client.get("/metrics")).text())
    served_routes = pick(samples, "slo_data_ok", slo="api-availability")
    at = max(one(samples, "slo_evaluation_timestamp_seconds", **dict(lb)) for lb in served_routes)
    with_traffic = [r for r in ("/cart", "/legacy", "/new", "/pay", "/search")
                    if route_truth(r).total(prometheus.history, at, 7 * DAY) > 0]  # fmt: skip
    assert len(served_routes) == 2
    assert one(samples, "slo_exporter_slo_groups") == 2
    assert one(samples, "slo_exporter_slo_groups_dropped") == len(with_traffic) - 2


async def test_a_composite_is_served_and_its_copies_are_not(prometheus, served):
    """The events composite's 1h window equals its components' events summed; the hidden
    copies counted for it never appear as SLOs."""
    _, samples = served
    at = one(samples, "slo_evaluation_timestamp_seconds", slo="checkout-journey")
    history = prometheus.history
    leaves = ("cart-availability", "pay-availability")
    total = sum(COMPONENT_EVENTS[leaf][1](history, at, 3600) for leaf in leaves)
    good = sum(COMPONENT_EVENTS[leaf][0](history, at, 3600) for leaf in leaves)
    assert one(samples, "slo_window_events", slo="checkout-journey", window="1h") == pytest.approx(
        total
    )
    assert one(
        samples, "slo_window_good_events", slo="checkout-journey", window="1h"
    ) == pytest.approx(good)
    slos = {dict(labels)["slo"] for labels in pick(samples, "slo_data_ok")}
    assert not any("/" in name for name in slos)
    assert {"checkout-journey", "checkout-weighted", "shop-journey"} <= slos


async def test_the_api_lists_groups_and_composites(served):
    """/api/v1/slos lists each group by its name; a group's own page answers too."""
    client, _ = served
    listed = await (await client.get("/api/v1/slos")).json()
    names = {item["name"] for item in listed["slos"]}
    assert 'api-availability{route="/pay"}' in names
    assert "checkout-journey" in names
    name = 'api-availability{route="/pay"}'
    response = await client.get("/api/v1/slos/" + quote(name, safe=""))
    assert response.status == 200
    assert (await response.json())["slo"]["name"] == name
    page = await client.get("/slo/" + quote(name, safe=""))
    assert page.status == 200
    chosen = await (await client.get("/api/v1/slos", params={"label": "route:/pay"})).json()
    assert [item["name"] for item in chosen["slos"]] == [name]
    assert chosen["slos"][0]["labels"] == {"team": "web", "route": "/pay"}
