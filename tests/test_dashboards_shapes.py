"""Dashboards for the newer SLO shapes: grouped (``group_by``), composite and progressive.

A grouped SLO's own dashboard gets a variable per group label and names the group in
every legend; the overview gives the group labels a column and names them in legends;
a progressive objective is described by its phases, never by the final objective
alone. That the queries return each group's numbers is ``test_dashboards_grouped_live.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from config_text import load_text
from dashboard_queries import all_panels, panel_queries, variables
from truth import COMPOSITE_CONFIG, GROUPED_CONFIG

from exporter.dashboards.generate import config_dashboards

URL = "http://127.0.0.1:9"
GROUPED = config_dashboards(load_text(GROUPED_CONFIG.format(url=URL, max_groups="")).slos)
COMPOSITE = config_dashboards(load_text(COMPOSITE_CONFIG.format(url=URL)).slos)
GROUPED_DETAIL = GROUPED["slo-detail-api-availability.json"]
EXPORTER_HEALTH = ("slo_exporter_queries_total", "slo_exporter_query_errors_total",
                   "slo_exporter_evaluation_duration", "slo_exporter_backend_up",
                   "slo_exporter_config_last_reload")  # fmt: skip
"""The exporter's own series: they carry no group labels."""

PHASED = """\
backend: {{url: {url}}}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.95
    phases:
      - {{name: baseline, objective: 99.0, until: 2027-01-01T00:00:00Z}}
      - {{objective: 99.5, until: 2027-03-01T00:00:00Z}}
    sli:
      ratio:
        bad: http_requests_total{{code=~"5.."}}
        total: http_requests_total
"""


def _grouped_by(labels: str) -> dict[str, Any]:
    text = GROUPED_CONFIG.format(url=URL, max_groups="").replace("[route]", f"[{labels}]")
    text = text.replace("labels: {team: web}", "labels: {}")
    return config_dashboards(load_text(text).slos)["slo-detail-api-availability.json"]


def test_grouped_slo_has_a_variable_per_group_label():
    """The grouped SLO's dashboard offers its groups' routes (the values its series carry
    now), several at once, every group by default."""
    route = variables(GROUPED_DETAIL)["route"]
    assert route["query"] == 'label_values(slo_sli_ratio{slo="$slo"}, route)'
    assert (route["multi"], route["includeAll"], route["allValue"]) == (True, True, ".*")
    assert route["current"]["value"] == ["$__all"]
    assert route["label"] == "route"


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        ("route", {"route"}),
        ("route, method", {"route", "method"}),
        ("datasource", {"group_datasource"}),
        ("window_name, team", {"window_name", "group_team"}),
    ],
)
def test_group_variables_never_replace_the_dashboards_own(labels: str, names: set[str]):
    """A group label named like one of the dashboard's own variables (``datasource``,
    ``team``) gets ``group_<label>``; the data source variable stays the data source."""
    board = _grouped_by(labels)
    found = {
        name
        for name, variable in variables(board).items()
        if "label_values(slo_sli_ratio" in str(variable.get("query"))
    }
    assert found == names
    assert variables(board)["datasource"]["type"] == "datasource"


def test_grouped_queries_are_filtered_by_the_group_variables():
    """Every query of the SLO's series picks the chosen groups; only the exporter's own
    health series (which have no group) are left unfiltered."""
    for query in panel_queries(GROUPED_DETAIL):
        assert 'slo="$slo"' in query.expr, query
        assert query.expr.count('slo="$slo"') == query.expr.count('route=~"${route}"'), query


def test_grouped_legends_name_the_group():
    """Every line, band and stat value of the grouped SLO's dashboard is named by its
    route, so groups never share a legend (table rows show it in their route column)."""
    unnamed = [
        f"{panel['title']}: {target['legendFormat']}"
        for panel in all_panels(GROUPED_DETAIL)
        for target in panel.get("targets", [])
        if not any(name in target["expr"] for name in EXPORTER_HEALTH)
        and target.get("format") != "table"
        and "{{route}}" not in target["legendFormat"]
    ]
    assert not unnamed, "\n".join(unnamed)


def test_grouped_windows_table_shows_the_group_first():
    """The windows table keeps the route column, first, so each row says its group."""
    (table,) = [p for p in all_panels(GROUPED_DETAIL) if p["title"] == "Events by window"]
    organize = table["transformations"][1]["options"]
    assert organize["indexByName"]["route"] == 0
    assert "route" not in organize["excludeByName"]


def test_overview_lists_groups_with_their_label():
    """The config's overview has a route column right after the SLO, and its budget and
    status lines are named by SLO and route."""
    board = GROUPED["slo-overview.json"]
    (table,) = [p for p in all_panels(board) if p["type"] == "table"]
    index = table["transformations"][1]["options"]["indexByName"]
    assert (index["slo"], index["route"]) == (0, 1)
    legends = {
        panel["title"]: panel["targets"][0]["legendFormat"]
        for panel in all_panels(board)
        if panel["type"] in {"timeseries", "state-timeline"}
    }
    assert legends == {
        "Error budget remaining": "{{slo}} {{route}}",
        "Status over time": "{{slo}} {{route}}",
    }


def test_phased_slo_is_described_by_its_phases():
    """A progressive objective's dashboard states each phase with its end and the final
    objective, and says the panels show the objective in force (the final one alone
    would be wrong until the last phase ends)."""
    boards = config_dashboards(load_text(PHASED.format(url=URL)).slos)
    description = boards["slo-detail-checkout-availability.json"]["description"]
    assert description == (
        "checkout-availability (checkout): objective 99 % until 2027-01-01T00:00:00Z "
        "(baseline), 99.5 % until 2027-03-01T00:00:00Z, then 99.95 %; the panels show the "
        "objective in force at each time."
    )


@pytest.mark.parametrize(
    ("slo", "says"),
    [
        ("checkout-journey", "Composite of cart-availability, pay-availability: their good "
                             "and total events added."),
        ("checkout-weighted", "Composite of cart-availability × 1, pay-availability × 3, their "
                              "SLIs averaged by weight: its events are weights, not requests."),
    ],
)  # fmt: skip
def test_composite_dashboard_names_its_components(slo: str, says: str):
    """A composite's dashboard says what it is made of and, when weighted, that its
    events are weights."""
    description = COMPOSITE[f"slo-detail-{slo}.json"]["description"]
    assert description.endswith(says)


@pytest.mark.parametrize(
    ("labels", "says"),
    [
        ("route", "One SLO per route (group_by): pick groups with the route variable."),
        ("route, method", "One SLO per route, method (group_by): pick groups with the route, "
                          "method variables."),
    ],
)  # fmt: skip
def test_grouped_dashboard_says_how_to_pick_groups(labels: str, says: str):
    """A grouped SLO's dashboard says it is one SLO per group and which variables pick them."""
    assert says in _grouped_by(labels)["description"]
