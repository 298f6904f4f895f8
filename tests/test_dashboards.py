"""The Grafana dashboards: committed output, queries, variables, units, colours and the CLI.

Queries are checked here for syntax and metric names; that each returns data
from a Prometheus scraping a running exporter is `test_dashboards_live.py`.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from config_text import load_text
from dashboard_queries import (
    BUILTINS,
    all_panels,
    label_values_query,
    metric_names,
    panel_queries,
    substitute,
    variable_names,
    variables,
)
from prometheus_client.parser import text_string_to_metric_families
from truth import COMPOSITE_CONFIG, CONFIG, GROUPED_CONFIG

from exporter.config.loader import load_config
from exporter.dashboards.command import register
from exporter.dashboards.generate import config_dashboards, generic_dashboards
from exporter.dashboards.names import UID_MAX, pinned_uid
from exporter.dashboards.status_display import CODES
from exporter.domain.model import Status
from exporter.exposition import render
from exporter.selfmetrics import SelfMetrics

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "grafana" / "dashboards"
REGENERATE = "slo-exporter dashboard -o grafana/dashboards"
PROMETHEUS_DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRAFANA_VARIABLES = {"__interval", "__rate_interval", "__range", "__url_time_range", "__all"}
ANY_VALUES = {
    **BUILTINS,
    **{"service": ".*", "team": ".*", "slo": "some-slo", "window": "1h", "route": ".*"},
}


def _sets() -> dict[str, dict[str, dict[str, Any]]]:
    """The generic dashboards, and those for every example config and the test configs
    (plain, grouped and composite SLOs)."""
    configs = [*sorted((ROOT / "config").glob("*.yaml")), ROOT / "deploy/slos.yaml"]
    return {
        "generic": generic_dashboards(),
        **{
            str(path.relative_to(ROOT)): config_dashboards(load_config(path).slos)
            for path in configs
        },
        **{
            name: config_dashboards(
                load_text(text.format(url="http://127.0.0.1:9", max_groups="")).slos
            )
            for name, text in (
                ("test config", CONFIG),
                ("grouped test config", GROUPED_CONFIG),
                ("composite test config", COMPOSITE_CONFIG),
            )
        },
    }


SETS = _sets()
DASHBOARDS = [
    pytest.param(board, id=f"{name}: {file}")
    for name, boards in SETS.items()
    for file, board in boards.items()
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slo-exporter")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(*argv: str) -> int:
    args = _parser().parse_args(["dashboard", *argv])
    code: int = args.handler(args)
    return code


def _panel(board: dict[str, Any], title: str) -> dict[str, Any]:
    (panel,) = [p for p in all_panels(board) if p["title"] == title]
    return panel


def _override(panel: dict[str, Any], name: str) -> dict[str, Any]:
    for override in panel["fieldConfig"]["overrides"]:
        if override["matcher"]["options"] == name:
            return {p["id"]: p["value"] for p in override["properties"]}
    raise AssertionError(f"{panel['title']}: no override for {name!r}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _exposed_metrics() -> set[str]:
    names = {family.name for family in text_string_to_metric_families(render([]).decode())}
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    for family in SelfMetrics().registry.collect():
        names.update(family.name + suffix for suffix in suffixes[family.type])
    return names


EXPOSED = _exposed_metrics()


# ---- committed files --------------------------------------------------------------


def test_committed_dashboards_are_the_generators_output(tmp_path: Path):
    """grafana/dashboards holds exactly what `slo-exporter dashboard` writes, byte for byte."""
    assert _run("-o", str(tmp_path)) == 0
    generated = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    committed = {path.name: path.read_bytes() for path in COMMITTED.glob("*.json")}
    stale = sorted(name for name in generated.keys() | committed.keys()
                   if generated.get(name) != committed.get(name))  # fmt: skip
    assert not stale, f"grafana/dashboards is out of date ({', '.join(stale)}): run `{REGENERATE}`"


# ---- queries and variables --------------------------------------------------------


@pytest.mark.parametrize("board", DASHBOARDS)
def test_queries_are_promql_on_the_exporters_metrics(board: dict[str, Any]):
    """With the variables filled in, every panel query and every variable's selector parses
    as PromQL and reads only series the exporter exposes (slo_* and slo_exporter_*)."""
    exprs = [query.expr for query in panel_queries(board)]
    exprs += [
        label_values_query(variable["query"])[0]
        for variable in variables(board).values()
        if variable["type"] == "query"
    ]
    assert exprs
    for expr in exprs:
        names = metric_names(substitute(expr, ANY_VALUES))
        assert names, expr
        assert names <= EXPOSED, f"{expr}: {names - EXPOSED} are not exposed by the exporter"


@pytest.mark.parametrize("board", DASHBOARDS)
def test_every_variable_used_is_defined(board: dict[str, Any]):
    """Queries, titles and links refer only to the dashboard's own variables and Grafana's."""
    used = set().union(*(variable_names(text) for text in _strings(board["panels"])))
    used |= set().union(*(variable_names(text) for text in _strings(board["templating"])))
    assert used <= set(variables(board)) | GRAFANA_VARIABLES


@pytest.mark.parametrize("board", DASHBOARDS)
def test_everything_reads_the_datasource_variable(board: dict[str, Any]):
    """A Prometheus-type `datasource` variable exists, and every panel, panel query and
    query variable reads from it (so any Prometheus-compatible source can be picked)."""
    datasource = variables(board)["datasource"]
    assert (datasource["type"], datasource["query"]) == ("datasource", "prometheus")
    for panel in all_panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == PROMETHEUS_DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        assert all(t["datasource"] == PROMETHEUS_DATASOURCE for t in panel["targets"])
    for variable in variables(board).values():
        if variable["type"] == "query":
            assert variable["datasource"] == PROMETHEUS_DATASOURCE, variable["name"]


@pytest.mark.parametrize("board", DASHBOARDS)
def test_service_and_team_match_slos_without_the_label(board: dict[str, Any]):
    """Service and team are multi-value with ".*" as "All" and are matched with =~, so "All"
    keeps SLOs that have no team label (a value list would drop them)."""
    for name in ("service", "team"):
        variable = variables(board).get(name)
        if variable is None:  # a dashboard pinned to one SLO has no such choice
            continue
        assert (variable["multi"], variable["includeAll"], variable["allValue"]) == (
            True,
            True,
            ".*",
        )
        assert variable["current"]["value"] == ["$__all"]
    for text in _strings(board):
        for name in ("service", "team"):
            assert f'{name}="${name}"' not in text, text


# ---- identity, layout, units, colours ---------------------------------------------


@pytest.mark.parametrize("board", DASHBOARDS)
def test_identity_and_layout(board: dict[str, Any]):
    """A current schema version, a uid Grafana accepts, unique panel ids, the common tag, and
    panels that fit the 24-column grid without overlapping."""
    assert board["schemaVersion"] >= 41
    assert re.fullmatch(rf"[A-Za-z0-9_-]{{1,{UID_MAX}}}", board["uid"])
    assert "slo-exporter" in board["tags"]
    panels = list(all_panels(board))
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}  # fmt: skip
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_uids_are_unique_in_every_set():
    """No two dashboards written together share a uid (Grafana would keep only one)."""
    for boards in SETS.values():
        uids = [board["uid"] for board in boards.values()]
        assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("board", DASHBOARDS)
def test_stats_and_graphs_have_units(board: dict[str, Any]):
    """Every stat and time series panel says what its numbers are (a Grafana unit)."""
    for panel in all_panels(board):
        if panel["type"] in {"stat", "timeseries"}:
            assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]


@pytest.mark.parametrize(
    ("file", "panel", "unit"),
    [
        ("slo-detail.json", "Objective", "percentunit"),
        ("slo-detail.json", "SLI over the period", "percentunit"),
        ("slo-detail.json", "Budget remaining", "percentunit"),
        ("slo-detail.json", "Outage budget left", "s"),
        ("slo-detail.json", "Budget spent in", "s"),
        ("slo-detail.json", "Error budget burn-down", "percentunit"),
        ("slo-detail.json", "Burn rate by window, against the alert thresholds", "suffix:×"),
        ("slo-detail.json", "SLI by window, against the objective", "percentunit"),
        ("slo-detail.json", "Events in the last $window", "short"),
        ("slo-detail.json", "Numbers are from", "s"),
        ("slo-detail.json", "Evaluation cycle duration", "s"),
        ("slo-overview.json", "Error budget remaining", "percentunit"),
    ],
)
def test_panel_units(file: str, panel: str, unit: str):
    """Ratios are percentages, durations seconds, burn rates factors."""
    assert _panel(SETS["generic"][file], panel)["fieldConfig"]["defaults"]["unit"] == unit


@pytest.mark.parametrize(
    ("file", "panel", "column", "unit"),
    [
        ("slo-overview.json", "SLOs, least budget first", "Objective", "percentunit"),
        ("slo-overview.json", "SLOs, least budget first", "SLI (period)", "percentunit"),
        ("slo-overview.json", "SLOs, least budget first", "Budget remaining", "percentunit"),
        ("slo-overview.json", "SLOs, least budget first", "Burn .*", "suffix:×"),
        ("slo-detail.json", "Events by window", "SLI", "percentunit"),
        ("slo-detail.json", "Events by window", "Burn rate", "suffix:×"),
    ],
)
def test_table_column_units(file: str, panel: str, column: str, unit: str):
    """Table columns carry their units too."""
    assert _override(_panel(SETS["generic"][file], panel), column)["unit"] == unit


def test_overview_table_lists_least_budget_first():
    """The overview's SLO table is sorted by budget remaining, ascending (worst first), and
    has a burn-rate column for each default window, shortest first."""
    table = _panel(SETS["generic"]["slo-overview.json"], "SLOs, least budget first")
    assert table["options"]["sortBy"] == [{"displayName": "Budget remaining", "desc": False}]
    renames = table["transformations"][1]["options"]["renameByName"]
    burns = [name for name in renames.values() if name.startswith("Burn ")]
    assert burns == ["Burn 5m", "Burn 30m", "Burn 1h", "Burn 2h", "Burn 6h", "Burn 1d", "Burn 3d"]


def test_overview_links_each_slo_to_its_details():
    """Clicking an SLO in the overview opens the detail dashboard for it, keeping the data
    source and the time range."""
    table = _panel(SETS["generic"]["slo-overview.json"], "SLOs, least budget first")
    (link,) = _override(table, "SLO")["links"]
    url = link["url"]
    assert url.startswith("/d/slo-detail?")
    assert "var-slo=${__value.raw}" in url
    assert "${datasource:queryparam}" in url
    assert "${__url_time_range}" in url


EXPECTED_COLOURS = {
    Status.HEALTHY: "green",
    Status.ATTENTION: "yellow",
    Status.WARNING: "orange",
    Status.CRITICAL: "red",
    Status.EXHAUSTED: "dark-red",
    Status.NO_DATA: "#8e8e8e",
    Status.UNKNOWN: "purple",
}


@pytest.mark.parametrize(("status", "colour"), EXPECTED_COLOURS.items(), ids=str)
def test_status_shows_as_its_word_in_its_colour(status: Status, colour: str):
    """The status number maps to the status word, coloured red (exhausted, critical), orange
    (warning), yellow (attention), green (healthy), grey (no_data) or purple (unknown: the
    evaluation fails), in the overview table
    and on the detail dashboard."""
    table = _panel(SETS["generic"]["slo-overview.json"], "SLOs, least budget first")
    stat = _panel(SETS["generic"]["slo-detail.json"], "Status")
    mappings = [_override(table, "Status")["mappings"], stat["fieldConfig"]["defaults"]["mappings"]]
    for (mapping,) in mappings:
        result = mapping["options"][str(CODES[status])]
        assert (result["text"], result["color"]) == (status.value, colour)


def _colour_at(thresholds: dict[str, Any], value: float) -> str:
    """The colour Grafana picks: the last step whose value is at or below ``value``."""
    colour = thresholds["steps"][0]["color"]
    for step in thresholds["steps"][1:]:
        if value >= step["value"]:
            colour = step["color"]
    return colour


STATUS_OVERRIDE = "  status: {critical: 4, warning: 3, attention: 2}\n"


@pytest.mark.parametrize(
    ("status_block", "burn_rate", "colour"),
    [
        pytest.param("", 0.5, "green", id="defaults-0.5"),
        pytest.param("", 1.2, "yellow", id="defaults-1.2"),
        pytest.param("", 1.7, "orange", id="defaults-1.7"),
        pytest.param("", 2.5, "red", id="defaults-2.5"),
        pytest.param(STATUS_OVERRIDE, 1.7, "green", id="2/3/4-1.7"),
        pytest.param(STATUS_OVERRIDE, 2.5, "yellow", id="2/3/4-2.5"),
        pytest.param(STATUS_OVERRIDE, 3.5, "orange", id="2/3/4-3.5"),
        pytest.param(STATUS_OVERRIDE, 4.5, "red", id="2/3/4-4.5"),
    ],
)
def test_burn_rates_are_coloured_by_the_status_thresholds(
    status_block: str, burn_rate: float, colour: str
):
    """Burn rates show in the colour of the status they would give: the config's status
    thresholds (defaults 1 / 1.5 / 2) in the overview and in each SLO's own dashboard."""
    text = CONFIG.format(url="http://127.0.0.1:9")
    if status_block:
        text = text.replace("slos:\n", f"defaults:\n{status_block}slos:\n", 1)
    boards = config_dashboards(load_text(text).slos)
    table = _panel(boards["slo-overview.json"], "SLOs, least budget first")
    pinned = _panel(
        boards["slo-detail-checkout-availability.json"],
        "Burn rate by window, against the alert thresholds",
    )
    assert _colour_at(_override(table, "Burn .*")["thresholds"], burn_rate) == colour
    assert _colour_at(pinned["fieldConfig"]["defaults"]["thresholds"], burn_rate) == colour


@pytest.mark.parametrize(
    ("remaining", "colour"),
    [(-0.2, "dark-red"), (0.1, "orange"), (0.3, "yellow"), (0.8, "green")],
)
def test_budget_remaining_colours(remaining: float, colour: str):
    """Budget remaining is red once overspent, orange below 25 %, yellow below 50 %, else green."""
    stat = _panel(SETS["generic"]["slo-detail.json"], "Budget remaining")
    assert _colour_at(stat["fieldConfig"]["defaults"]["thresholds"], remaining) == colour


# ---- dashboards for one config ----------------------------------------------------


def test_config_gives_one_pinned_dashboard_per_slo():
    """With a config, every SLO gets its own detail dashboard with the SLO fixed, a hidden
    variable, and one panel per alert condition with that condition's windows."""
    settings = load_config(ROOT / "config/example.yaml")
    boards = config_dashboards(settings.slos)
    assert set(boards) == {"slo-overview.json", "slo-detail.json"} | {
        f"{pinned_uid(slo.name)}.json" for slo in settings.slos
    }
    slo = settings.slos[0]
    board = boards[f"{pinned_uid(slo.name)}.json"]
    pinned = variables(board)["slo"]
    assert (pinned["type"], pinned["query"], pinned["hide"]) == ("constant", slo.name, 2)
    assert "service" not in variables(board)
    rule_panels = [p for p in all_panels(board) if p["title"].startswith(("page:", "ticket:"))]
    assert len(rule_panels) == len(slo.alerts)
    assert 'window="1h"' in rule_panels[0]["targets"][0]["expr"]
    assert 'window="5m"' in rule_panels[0]["targets"][1]["expr"]


@pytest.mark.parametrize(
    ("name", "uid"),
    [
        ("checkout-availability", "slo-detail-checkout-availability"),
        ("search_latency", "slo-detail-search_latency"),
        ("x" * 29, "slo-detail-" + "x" * 29),
    ],
)
def test_pinned_uid_is_the_name_when_it_fits(name: str, uid: str):
    """An SLO whose name fits in a uid gets `slo-detail-<name>`."""
    assert pinned_uid(name) == uid


@pytest.mark.parametrize(
    ("name", "other"),
    [("api.read", "api-read"), ("team:api", "team-api"), ("x" * 30, "x" * 31)],
)
def test_pinned_uids_stay_valid_and_distinct(name: str, other: str):
    """Names with characters a uid cannot hold, or too long, still give valid, stable uids,
    and names that would look alike get different ones."""
    for candidate in (name, other):
        assert re.fullmatch(r"slo-detail-[A-Za-z0-9_-]+", pinned_uid(candidate))
        assert len(pinned_uid(candidate)) <= UID_MAX
        assert pinned_uid(candidate) == pinned_uid(candidate)
    assert pinned_uid(name) != pinned_uid(other)


# ---- the command ------------------------------------------------------------------


def test_command_defaults():
    """`dashboard` needs no arguments: generic dashboards into grafana/dashboards."""
    args = _parser().parse_args(["dashboard"])
    assert (args.config, args.output) == (None, Path("grafana/dashboards"))


def test_command_writes_per_config_dashboards(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`dashboard -c FILE -o DIR` creates DIR and writes one JSON file per dashboard, listing
    each file it wrote."""
    out = tmp_path / "new" / "dir"
    expected = list(SETS["config/example.yaml"])
    assert _run("-c", str(ROOT / "config/example.yaml"), "-o", str(out)) == 0
    assert sorted(path.name for path in out.iterdir()) == sorted(expected)
    assert capsys.readouterr().out.split() == [str(out / name) for name in expected]
    for path in out.iterdir():
        assert json.loads(path.read_text())["uid"] == path.stem


def test_command_rejects_an_invalid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """An invalid config exits 1 with the config's problems, one per line, and writes nothing."""
    config = tmp_path / "slos.yaml"
    config.write_text("backend: {url: http://x}\nslos: [{name: a, service: b, objective: 100}]\n")
    out = tmp_path / "out"
    assert _run("-c", str(config), "-o", str(out)) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors
    assert all(line.startswith(f"{config}:") for line in errors)
    assert not out.exists()


def test_command_reports_an_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """An output path that cannot be a directory exits 1 with one line naming it."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert _run("-o", str(blocker)) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1
    assert str(blocker) in errors[0]


def test_pinned_dashboard_links_the_runbook():
    """An SLO's own dashboard links to its runbook (placeholders filled in) and shows its
    description; without a runbook there is no such link."""
    text = CONFIG.format(url="http://127.0.0.1:9").replace(
        "    labels: {team: payments}\n",
        "    labels: {team: payments}\n"
        "    description: Checkout answers without server errors.\n"
        "    runbook_url: https://runbooks.example/{service}/{slo}\n",
        1,
    )
    boards = config_dashboards(load_text(text).slos)
    board = boards["slo-detail-checkout-availability.json"]
    runbooks = [link for link in board["links"] if link["title"] == "Runbook"]
    assert [link["url"] for link in runbooks] == [
        "https://runbooks.example/checkout/checkout-availability"
    ]
    assert "Checkout answers without server errors." in board["description"]
    other = boards["slo-detail-checkout-errors.json"]
    assert [link["title"] for link in other["links"]] == ["SLO dashboards"]
