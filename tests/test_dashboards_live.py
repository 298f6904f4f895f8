"""Every dashboard query returns data from a Prometheus that scrapes a running exporter.

The exporter runs as users run it (``python -m exporter run``) on the
backfilled test history; a second, empty Prometheus scrapes it every second,
as a Grafana data source would see it. Queries are sent the way Grafana
sends them: variables filled in, stats and tables as instant queries, time
series and state timelines as range queries over the last minute.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from config_text import load_text
from dashboard_queries import (
    BUILTINS,
    label_values_query,
    panel_queries,
    substitute,
    variables,
)
from live_scrape import Live, over_last_minute, scraped_exporter
from live_scrape import instant as _instant
from prometheus_server import api_request
from truth import CONFIG, TRUTH

from exporter.dashboards.generate import config_dashboards, generic_dashboards
from exporter.domain.durations import format_duration

# Evaluate every second, so rates of the exporter's cycle counters move within $__rate_interval.
EXPORTER_CONFIG = CONFIG.replace("interval: 60s", "interval: 1s")

BUSY_SLO = "checkout-availability"
"""Burning right now in the test history, with a team label: every panel has data for it."""


@pytest.fixture(scope="module")
def live(prometheus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The exporter on the test history, scraped every second by an empty Prometheus."""
    workdir = tmp_path_factory.mktemp("dashboards_live")
    with scraped_exporter(EXPORTER_CONFIG.format(url=prometheus.url), workdir, BUSY_SLO) as live:
        yield live


_range = over_last_minute


TEST_SETTINGS = load_text(CONFIG.format(url="http://127.0.0.1:9"))


def _dashboards() -> dict[str, dict[str, Any]]:
    per_config = config_dashboards(TEST_SETTINGS.slos)
    return {
        "generic overview": generic_dashboards()["slo-overview.json"],
        "generic detail": generic_dashboards()["slo-detail.json"],
        "config overview": per_config["slo-overview.json"],
        "pinned detail": per_config[f"slo-detail-{BUSY_SLO}.json"],
    }


DASHBOARDS = _dashboards()
SELECTIONS: dict[str, tuple[dict[str, str], set[str]]] = {
    "all services and teams": ({"service": ".*", "team": ".*"}, set(TRUTH)),
    "checkout of payments": ({"service": "checkout", "team": "payments"}, {BUSY_SLO}),
}
"""Variable values for the overview's service and team, and the SLOs they select."""
CASES = [
    pytest.param(dashboard, selection, id=f"{dashboard}, {selection}")
    for dashboard in DASHBOARDS
    for selection in SELECTIONS
]


def _values(dashboard: dict[str, Any], selection: str) -> dict[str, str]:
    values = {**BUILTINS, **SELECTIONS[selection][0], "slo": BUSY_SLO, "window": "1h"}
    pinned = variables(dashboard).get("slo", {})
    if pinned.get("type") == "constant":
        values["slo"] = pinned["query"]
    return values


def _finite(result: list[dict[str, Any]]) -> bool:
    samples = [s["value"] for s in result if "value" in s]
    samples += [point for s in result for point in s.get("values", [])]
    return any(math.isfinite(float(value)) for _, value in samples)


def _columns_of_unused_windows(dashboard: dict[str, Any], selection: str) -> set[str]:
    """The overview's burn-rate columns for windows none of the selected SLOs is evaluated on."""
    selected = SELECTIONS[selection][1]
    used = {
        format_duration(window)
        for slo in TEST_SETTINGS.slos
        if slo.name in selected
        for window in slo.windows
    }
    return {
        f"{query.panel} / {query.ref}"
        for query in panel_queries(dashboard)
        if query.table and query.ref.startswith("burn_") and query.ref[5:] not in used
    }


@pytest.mark.parametrize(("dashboard", "selection"), CASES)
def test_every_panel_query_returns_data(live: Live, dashboard: str, selection: str):
    """Each query of each panel returns series with finite values: instant for stats and
    tables, and over the last minute as well for time series and state timelines. The only
    empty ones are burn-rate columns of windows that none of the selected SLOs has."""
    board = DASHBOARDS[dashboard]
    values = _values(board, selection)
    empty: dict[str, str] = {}
    for query in panel_queries(board):
        expr = substitute(query.expr, values)
        answers = {"instant": _instant(live.url, expr)}
        if not query.instant:
            answers["range"] = _range(live.url, expr)
        for kind, result in answers.items():
            if not _finite(result):
                empty[f"{query.panel} / {query.ref}"] = f"{kind}: {query}"
    expected = _columns_of_unused_windows(board, selection)
    assert set(empty) == expected, "queries without data:\n" + "\n".join(empty.values())


def _table_queries() -> list[Any]:
    return [
        pytest.param(name, panel, id=f"{name} / {panel}")
        for name, board in DASHBOARDS.items()
        for panel in sorted({q.panel for q in panel_queries(board) if q.table})
    ]


@pytest.mark.parametrize(("dashboard", "panel"), _table_queries())
def test_table_rows_line_up(live: Live, dashboard: str, panel: str):
    """Every query of a merged table returns series without a metric name whose label sets
    are among those of the table's first query (one per SLO, or per window), so Grafana's
    merge transformation puts each SLO's (or window's) values on one row."""
    board = DASHBOARDS[dashboard]
    values = _values(board, "all services and teams")
    rows: dict[str, set[frozenset[tuple[str, str]]]] = {}
    for query in panel_queries(board):
        if query.panel == panel:
            result = _instant(live.url, substitute(query.expr, values))
            rows[query.ref] = {frozenset(series["metric"].items()) for series in result}
    first = next(iter(rows.values()))
    assert len(first) > 1
    assert all("__name__" not in dict(labels) for labels in first)
    for ref, labels in rows.items():
        assert labels, f"{ref}: no rows"
        assert labels <= first, f"{ref}: rows that the first column does not have"


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        (".*", set(TRUTH)),
        ("payments", {"checkout-availability"}),
    ],
)
def test_team_all_keeps_slos_without_a_team(live: Live, team: str, expected: set[str]):
    """With team "All" every SLO is listed, those without a team label too; picking a team
    narrows the overview to that team's SLOs."""
    (objective,) = [
        q for q in panel_queries(DASHBOARDS["generic overview"]) if q.ref == "objective" and q.table
    ]
    expr = substitute(objective.expr, {"service": ".*", "team": team})
    assert {series["metric"]["slo"] for series in _instant(live.url, expr)} == expected


def _variable_cases() -> list[Any]:
    return [
        pytest.param(name, variable, id=f"{name} / {variable}")
        for name, board in DASHBOARDS.items()
        for variable, spec in variables(board).items()
        if spec["type"] == "query"
    ]


EXPECTED_OPTIONS = {
    "service": {"checkout", "search", "quiet", "ghost"},
    "team": {"payments"},
    "slo": set(TRUTH),
    "window": {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"},
}


@pytest.mark.parametrize(("dashboard", "variable"), _variable_cases())
def test_variables_offer_the_exporters_values(live: Live, dashboard: str, variable: str):
    """The service, team, SLO and window drop-downs list exactly what the exporter exposes
    (label_values(selector, label) asked the way Grafana asks it: /api/v1/label/…/values)."""
    board = DASHBOARDS[dashboard]
    selector, label = label_values_query(variables(board)[variable]["query"])
    selector = substitute(selector, {"service": ".*", "team": ".*", "slo": BUSY_SLO})
    options = api_request(live.url, f"/api/v1/label/{label}/values", {"match[]": selector})
    assert set(options) == EXPECTED_OPTIONS[variable]


def test_exporter_config_is_the_test_config(live: Live):
    """The live exporter serves the test config's SLOs (guards the interval rewrite)."""
    settings = load_text(EXPORTER_CONFIG.format(url="http://127.0.0.1:9"))
    assert {slo.name for slo in settings.slos} == set(TRUTH)
    assert settings.evaluation.interval == 1
    served = _instant(live.url, "slo_objective_ratio")
    assert {series["metric"]["slo"] for series in served} == set(TRUTH)


def test_status_number_shows_the_exporters_status(live: Live):
    """The status word the overview shows for each SLO (its status number through the value
    mapping) is the status the exporter reports in slo_status."""
    board = DASHBOARDS["generic overview"]
    (query,) = [q for q in panel_queries(board) if q.table and q.ref == "status"]
    table = next(p for p in board["panels"] if p["title"] == query.panel)
    (override,) = [
        o for o in table["fieldConfig"]["overrides"] if o["matcher"]["options"] == "Status"
    ]
    (mapping,) = next(p["value"] for p in override["properties"] if p["id"] == "mappings")
    expr = substitute(query.expr, {"service": ".*", "team": ".*"})
    shown = {
        series["metric"]["slo"]: mapping["options"][series["value"][1]]["text"]
        for series in _instant(live.url, expr)
    }
    reported = {
        series["metric"]["slo"]: series["metric"]["status"]
        for series in _instant(live.url, "slo_status == 1")
    }
    assert shown == reported
    assert len(set(reported.values())) > 1, "the test history gives SLOs different statuses"
