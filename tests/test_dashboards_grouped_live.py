"""Dashboards of grouped, progressive and composite SLOs on a real Prometheus scraping
the exporter, against the generator's truth.

The exporter runs the grouped test config (``api-availability`` by ``route``), an SLO
still in the first phase of a progressive objective and a composite of two routes on the
backfilled history, evaluating at whole minutes so every count is exact; a second
Prometheus scrapes it. The dashboards' queries, with the ``route`` variable filled in as
Grafana fills it, must return each group's numbers: events, SLI and burn rate per
window, SLI and budget over the period, exactly what the generator computed for that
route alone (``truth.route_truth``); the progressive SLO's are judged by the objective in
force, the composite's are its routes' events added.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from config_text import load_text
from dashboard_queries import BUILTINS, PanelQuery, label_values_query, panel_queries, substitute
from dashboard_queries import variables as variables_of
from history import API_ROUTES
from live_scrape import Live, instant, over_last_minute, scraped_exporter
from prometheus_server import api_request
from truth import DAY, GROUPED_CONFIG, burn_of, cart_slo, expected_burn, ratio_slo, route_truth

from exporter.dashboards.generate import config_dashboards
from exporter.domain.durations import format_duration

NAME = "api-availability"
PHASED = "pay-phased"
PHASED_SLO = ratio_slo(
    PHASED, "api", "99.9", 'api_requests_total{route="/pay"}',
    bad='api_requests_total{route="/pay",code=~"5.."}',
    extra="    phases:\n      - {name: launch, objective: 95, until: 2100-01-01T00:00:00Z}\n",
)  # fmt: skip
"""A progressive objective still in its first phase: 95 % in force, 99.9 % at the end."""
PHASED_IN_FORCE = 95.0
COMPOSITE = "journey"
COMPOSITE_SLOS = (
    cart_slo("cart-ok")
    + """\
  - name: journey
    service: shop
    objective: 99
    period: 7d
    composite:
      method: events
      objectives: [{{slo: cart-ok}}, {{slo: pay-phased}}]
"""
)
"""A composite of /cart and /pay: their events added."""
EXPORTER_CONFIG = GROUPED_CONFIG + PHASED_SLO + COMPOSITE_SLOS + "evaluation: {{interval: 60s}}\n"
"""Whole-minute evaluation times: where the history's counts are exact."""
SETTINGS = load_text(EXPORTER_CONFIG.format(url="http://127.0.0.1:9", max_groups=""))
BOARDS = config_dashboards(SETTINGS.slos)
DETAIL = BOARDS[f"slo-detail-{NAME}.json"]
OVERVIEW = BOARDS["slo-overview.json"]
ALL = ".*"
STILL = {"Evaluation cycle duration"}
"""Panels without finite values here, and why: a quantile of the cycle-duration histogram
over $__rate_interval (4 s) is NaN when no cycle ended in it, as with 60 s evaluations
(``test_dashboards_live.py`` evaluates every second and checks it)."""
SETTLE = 2.0
"""Seconds back from now at which to read: a scrape that has surely been stored whole."""


@pytest.fixture(scope="module")
def live(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The exporter on the grouped config, scraped every second by an empty Prometheus."""
    text = EXPORTER_CONFIG.format(url=prometheus.url, max_groups="")
    with scraped_exporter(text, tmp_path_factory.mktemp("grouped_live"), NAME) as live:
        yield live


def _routes_now(prometheus: Any, at: float) -> set[str]:
    """The routes with events in the 7-day period ending at ``at``: the groups (truth)."""
    return {r for r in API_ROUTES if route_truth(r).total(prometheus.history, at, 7 * DAY) > 0}


def _values(route: str) -> dict[str, str]:
    return {**BUILTINS, "service": ALL, "team": ALL, "slo": NAME, "window": "1h", "route": route}


def _query(board: dict[str, Any], panel: str, ref: str) -> PanelQuery:
    (query,) = [q for q in panel_queries(board) if q.panel == panel and q.ref == ref]
    return query


def _finite(result: list[dict[str, Any]]) -> bool:
    samples = [s["value"] for s in result if "value" in s]
    samples += [point for s in result for point in s.get("values", [])]
    return any(math.isfinite(float(value)) for _, value in samples)


def test_route_variable_offers_the_groups_with_traffic(live: Live, prometheus):
    """The route drop-down lists exactly the routes with traffic in the period now: the
    new route, not the one silent for over a week."""
    selector, label = label_values_query(variables_of(DETAIL)["route"]["query"])
    options = api_request(
        live.url, f"/api/v1/label/{label}/values", {"match[]": substitute(selector, _values(ALL))}
    )
    at = _evaluated_at(live, time.time() - SETTLE, "/cart")
    assert set(options) == _routes_now(prometheus, at)
    assert "/new" in options
    assert "/legacy" not in options


@pytest.mark.parametrize(
    ("board", "route"),
    [
        (f"slo-detail-{NAME}.json", ALL),
        (f"slo-detail-{NAME}.json", "/pay"),
        (f"slo-detail-{NAME}.json", "/new"),
        ("slo-overview.json", ALL),
        (f"slo-detail-{COMPOSITE}.json", ALL),
        (f"slo-detail-{PHASED}.json", ALL),
    ],
)
def test_every_panel_query_returns_data(live: Live, board: str, route: str):
    """Every query of the grouped SLO's dashboard (all routes, or one), of the composite's
    and the progressive SLO's, and of the config's overview returns finite values,
    instant and over the last minute (but for the exporter's cycle duration, see STILL)."""
    dashboard = BOARDS[board]
    pinned = variables_of(dashboard).get("slo", {"query": NAME})  # the overview has none
    values = {**_values(route), "slo": pinned["query"]}
    empty = []
    for query in panel_queries(dashboard):
        expr = substitute(query.expr, values)
        results = [instant(live.url, expr)]
        if not query.instant:
            results.append(over_last_minute(live.url, expr))
        if query.panel not in STILL and not all(_finite(result) for result in results):
            empty.append(str(query))
    assert not empty, "queries without data:\n" + "\n".join(empty)


def _evaluated_at(live: Live, at: float, route: str) -> float:
    expr = f'slo_evaluation_timestamp_seconds{{slo="{NAME}", route="{route}"}}'
    (series,) = instant(live.url, expr, at)
    evaluated = float(series["value"][1])
    assert evaluated % 60 == 0, "whole-minute evaluations, where the truth is exact"
    return evaluated


def _by_window(live: Live, query: PanelQuery, route: str, at: float) -> dict[str, float]:
    """A table query's values by window; every row must be the route's."""
    result = instant(live.url, substitute(query.expr, _values(route)), at)
    assert {series["metric"]["route"] for series in result} <= {route}, query
    return {series["metric"]["window"]: float(series["value"][1]) for series in result}


def _stat(live: Live, query: PanelQuery, route: str, at: float) -> float:
    (series,) = instant(live.url, substitute(query.expr, _values(route)), at)
    assert series["metric"]["route"] == route, "the value is named by its route"
    return float(series["value"][1])


def test_each_groups_numbers_equal_its_truth(live: Live, prometheus):
    """With one route picked, the events table (good, total, bad, SLI, burn rate per
    window) and the SLI, budget and objective stats show that route's own numbers."""
    read_at = time.time() - SETTLE
    history = prometheus.history
    (slo,) = [slo for slo in SETTINGS.slos if slo.name == NAME]
    table = {ref: _query(DETAIL, "Events by window", ref) for ref in ("good", "total", "bad",
                                                                      "sli", "burn")}  # fmt: skip
    for route in sorted(_routes_now(prometheus, _evaluated_at(live, read_at, "/cart"))):
        at = _evaluated_at(live, read_at, route)
        truth = route_truth(route)
        shown = {ref: _by_window(live, query, route, read_at) for ref, query in table.items()}
        for window in slo.windows:
            label = format_duration(window)
            good, total = truth.good(history, at, window), truth.total(history, at, window)
            assert shown["total"][label] == pytest.approx(total), (route, label)
            assert shown["good"][label] == pytest.approx(good), (route, label)
            assert shown["bad"][label] == pytest.approx(total - good), (route, label)
            if total == 0:
                assert label not in shown["sli"], (route, label)
                continue
            assert shown["sli"][label] == pytest.approx(good / total), (route, label)
            burn = expected_burn(truth, good, total)
            assert shown["burn"][label] == pytest.approx(burn), (route, label)
        good, total = truth.good(history, at, truth.period), truth.total(history, at, truth.period)
        consumed = burn_of(good, total, truth.objective)
        stats = {
            "SLI over the period": good / total,
            "Budget remaining": 1 - consumed,
            "Objective": truth.objective / 100,
        }
        for title, expected in stats.items():
            (query,) = [q for q in panel_queries(DETAIL) if q.panel == title]
            assert _stat(live, query, route, read_at) == pytest.approx(expected, abs=1e-9), title


def test_overview_lists_each_group_with_its_budget(live: Live, prometheus):
    """The overview's table has one row per group, named by its route, with that route's
    budget remaining."""
    read_at = time.time() - SETTLE
    query = _query(OVERVIEW, "SLOs, least budget first", "remaining")
    rows = {
        (series["metric"]["slo"], series["metric"].get("route", "")): float(series["value"][1])
        for series in instant(live.url, substitute(query.expr, _values(ALL)), read_at)
    }
    at = _evaluated_at(live, read_at, "/cart")
    routes = _routes_now(prometheus, at)
    plain = {(PHASED, ""), ("cart-ok", ""), (COMPOSITE, "")}
    assert set(rows) == {(NAME, route) for route in routes} | plain
    for route in routes:
        truth = route_truth(route)
        good = truth.good(prometheus.history, at, truth.period)
        total = truth.total(prometheus.history, at, truth.period)
        remaining = 1 - burn_of(good, total, truth.objective)
        assert rows[(NAME, route)] == pytest.approx(remaining, abs=1e-9), route


def test_phased_slo_shows_the_objective_in_force(live: Live, prometheus):
    """An SLO whose first phase (95 %) is in force shows 95 % as its objective, and its
    SLI and budget over the period are judged by it, not by the final 99.9 %."""
    board = BOARDS[f"slo-detail-{PHASED}.json"]
    read_at = time.time() - SETTLE
    expr = f'slo_evaluation_timestamp_seconds{{slo="{PHASED}"}}'
    (series,) = instant(live.url, expr, read_at)
    at = float(series["value"][1])
    truth = route_truth("/pay")
    good = truth.good(prometheus.history, at, truth.period)
    total = truth.total(prometheus.history, at, truth.period)
    expected = {
        "Objective": PHASED_IN_FORCE / 100,
        "SLI over the period": good / total,
        "Budget remaining": 1 - burn_of(good, total, PHASED_IN_FORCE),
    }
    for title, value in expected.items():
        (query,) = [q for q in panel_queries(board) if q.panel == title]
        values = {**_values(ALL), "slo": PHASED}
        (shown,) = instant(live.url, substitute(query.expr, values), read_at)
        assert float(shown["value"][1]) == pytest.approx(value, abs=1e-9), title
    assert "99.9 %" in board["description"]
    assert "95 % until 2100-01-01T00:00:00Z (launch)" in board["description"]


def test_composite_shows_its_components_events(live: Live, prometheus):
    """The composite's dashboard shows the events of /cart and /pay added: its events per
    window and its SLI over the period equal the two routes' truth summed."""
    board = BOARDS[f"slo-detail-{COMPOSITE}.json"]
    read_at = time.time() - SETTLE
    (series,) = instant(live.url, f'slo_evaluation_timestamp_seconds{{slo="{COMPOSITE}"}}', read_at)
    at = float(series["value"][1])
    parts = [route_truth("/cart"), route_truth("/pay")]
    values = {**_values(ALL), "slo": COMPOSITE}
    (query,) = [
        q for q in panel_queries(board) if q.panel == "Events by window" and q.ref == "total"
    ]
    shown = {
        s["metric"]["window"]: float(s["value"][1])
        for s in instant(live.url, substitute(query.expr, values), read_at)
    }
    (composite,) = [slo for slo in SETTINGS.slos if slo.name == COMPOSITE]
    assert set(shown) == {format_duration(window) for window in composite.windows}
    for window in composite.windows:
        total = sum(part.total(prometheus.history, at, window) for part in parts)
        assert shown[format_duration(window)] == pytest.approx(total), window
    good = sum(part.good(prometheus.history, at, 7 * DAY) for part in parts)
    total = sum(part.total(prometheus.history, at, 7 * DAY) for part in parts)
    (query,) = [q for q in panel_queries(board) if q.panel == "SLI over the period"]
    (sli,) = instant(live.url, substitute(query.expr, values), read_at)
    assert float(sli["value"][1]) == pytest.approx(good / total, abs=1e-9)
