"""Config features beyond the basics: tiers, templates, calendar, budgeting, exclusions,
low-traffic settings, `show` and `schema`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from config_text import load_text

from exporter.config.loader import load_config
from exporter.domain.budgeting import Method, NoData
from exporter.domain.calendar import CalendarUnit
from exporter.domain.model import FreshnessSLI, LatencySLI, RatioSLI, ThresholdSLI
from exporter.errors import ConfigError

HEAD = "backend:\n  url: http://127.0.0.1:9090\n"


def slos(body: str) -> str:
    return HEAD + "slos:\n" + body


RATIO = """\
    sli:
      ratio:
        bad: http_requests_total{code=~"5.."}
        total: http_requests_total
"""


def one(text: str):
    (slo,) = load_text(text).slos
    return slo


@pytest.mark.parametrize(
    ("tier", "kind", "objective", "threshold"),
    [
        ("critical", "ratio", 99.95, None),
        ("essential", "ratio", 99.9, None),
        ("standard", "ratio", 99.5, None),
        ("best_effort", "ratio", 99.0, None),
        ("critical", "latency", 99.0, 0.1),
        ("essential", "latency", 99.0, 0.5),
        ("standard", "latency", 99.0, 1.0),
        ("best_effort", "latency", 99.0, 2.0),
    ],
)
def test_tier_defaults(tier: str, kind: str, objective: float, threshold: float | None):
    """A tier fills in the objective and, for latency, the threshold (p99) from the table."""
    sli = RATIO if kind == "ratio" else "    sli:\n      latency: {histogram: h}\n"
    slo = one(slos(f"  - name: x\n    service: s\n    tier: {tier}\n" + sli))
    assert slo.objective == objective
    if threshold is not None:
        assert isinstance(slo.sli, LatencySLI)
        assert slo.sli.threshold == threshold


def test_explicit_values_beat_the_tier():
    """An objective or threshold written in the SLO wins over the tier's."""
    slo = one(
        slos(
            "  - name: x\n    service: s\n    tier: critical\n    objective: 97\n"
            "    sli:\n      latency: {histogram: h, threshold: 0.3}\n"
        )
    )
    assert slo.objective == 97
    assert isinstance(slo.sli, LatencySLI)
    assert slo.sli.threshold == 0.3


def test_api_template_expands_with_exclusions():
    """The api template makes availability and latency SLOs; exclusions reach every selector."""
    settings = load_config(Path("config/tiers-and-templates.yaml"))
    by_name = {slo.name: slo for slo in settings.slos}
    availability = by_name["checkout-availability"]
    assert availability.objective == 99.9  # essential
    assert availability.labels == {"team": "payments"}
    assert availability.sli == RatioSLI(
        total='http_requests_total{service="checkout",route!~"/health|/metrics"}',
        bad='http_requests_total{service="checkout",code=~"5..",route!~"/health|/metrics"}',
    )
    latency = by_name["checkout-latency"]
    assert isinstance(latency.sli, LatencySLI)
    assert latency.sli.threshold == 0.3
    assert latency.objective == 99.0
    freshness = by_name["nightly-export-freshness"]
    assert isinstance(freshness.sli, FreshnessSLI)
    assert freshness.sli.max_age == 45 * 60
    assert set(by_name) == {
        "search-availability",
        "checkout-availability",
        "checkout-latency",
        "nightly-export-freshness",
        "nightly-export-completeness",
    }


@pytest.mark.parametrize(
    ("template", "inputs", "names"),
    [
        ("web", "requests: r_total\n    duration: d", ["w-availability", "w-latency"]),
        ("batch", "runs: {success: ok_total, total: all_total}", ["w-success"]),
        ("batch", "last_success: ts\n    max_age: 1h", ["w-freshness"]),
        ("streaming", "messages: {total: m_total, failed: f_total}", ["w-processing"]),
        ("streaming", "lag: lag_seconds\n    max_lag: 30s", ["w-lag"]),
        ("data_pipeline", "records: {processed: p_total, expected: e_total}", ["w-completeness"]),
    ],
)
def test_every_template_expands(template: str, inputs: str, names: list[str]):
    """Each template turns its inputs into the SLOs its table promises."""
    text = (
        HEAD
        + f"services:\n  - name: w\n    template: {template}\n    tier: standard\n    {inputs}\n"
    )
    settings = load_text(text)
    assert [slo.name for slo in settings.slos] == names
    if template == "streaming" and "lag" in inputs:
        assert settings.slos[0].sli == ThresholdSLI("max(lag_seconds)", "lte", 30.0)
    if template == "web" and "duration" in inputs:
        assert settings.slos[1].objective == 95.0


def test_calendar_and_budgeting_reach_the_model():
    """calendar, timezone, budgeting, no_data and min_events land on the SLO."""
    slo = one(
        slos(
            "  - name: x\n    service: s\n    objective: 99\n    calendar: month\n"
            "    timezone: Europe/Berlin\n    no_data: good\n    min_events: 25\n"
            "    budgeting: {method: timeslices, slice: 1m, slice_target: 95}\n" + RATIO
        )
    )
    assert slo.calendar is not None
    assert slo.calendar.unit is CalendarUnit.MONTH
    assert slo.calendar.tz_name == "Europe/Berlin"
    assert slo.period == 30 * 86400  # nominal, scales the alert factors
    assert slo.period not in slo.windows
    assert slo.budgeting.method is Method.TIMESLICES
    assert (slo.budgeting.slice, slo.budgeting.slice_target) == (60, 95)
    assert slo.no_data is NoData.GOOD
    assert slo.min_events == 25


def test_defaults_apply_low_traffic_settings():
    """defaults.min_events and defaults.no_data reach SLOs that don't set their own."""
    text = HEAD + "defaults:\n  min_events: 10\n  no_data: bad\nslos:\n"
    text += "  - name: x\n    service: s\n    objective: 99\n" + RATIO
    slo = one(text)
    assert (slo.min_events, slo.no_data) == (10, NoData.BAD)


BROKEN = [
    ("objective-or-tier", "  - name: x\n    service: s\n" + RATIO, 4, "give an 'objective'"),
    (
        "period-and-calendar",
        "  - name: x\n    service: s\n    objective: 99\n    period: 7d\n    calendar: week\n"
        + RATIO,
        4,
        "not both",
    ),
    (
        "bad-calendar",
        "  - name: x\n    service: s\n    objective: 99\n    calendar: year\n" + RATIO,
        7,
        "calendar",
    ),
    (
        "bad-timezone",
        "  - name: x\n    service: s\n    objective: 99\n    calendar: week\n"
        "    timezone: Mars/Olympus\n" + RATIO,
        8,
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        "timezone-without-calendar",
        "  - name: x\n    service: s\n    objective: 99\n    timezone: UTC\n" + RATIO,
        4,
        "only applies to a 'calendar'",
    ),
    (
        "timeslices-without-target",
        "  - name: x\n    service: s\n    objective: 99\n    budgeting: {method: timeslices}\n"
        + RATIO,
        7,
        "timeslices need slice_target",
    ),
    (
        "exclude-on-query",
        "  - name: x\n    service: s\n    objective: 99\n    exclude: {route: x}\n"
        "    sli:\n      query:\n        bad: sum(increase(e[{{window}}]))\n"
        "        total: sum(increase(t[{{window}}]))\n",
        4,
        "cannot add matchers to a query",
    ),
    (
        "threshold-with-window",
        "  - name: x\n    service: s\n    objective: 99\n    sli:\n      threshold:\n"
        "        query: sum(rate(x[{{window}}]))\n        op: lte\n        value: 1\n",
        9,
        "takes no {{window}}",
    ),
    (
        "latency-needs-threshold",
        "  - name: x\n    service: s\n    objective: 99\n    sli:\n      latency: {histogram: h}\n",
        4,
        "threshold, or a 'tier'",
    ),
    (
        "unknown-tier",
        "  - name: x\n    service: s\n    tier: platinum\n" + RATIO,
        6,
        "tier: expected one of 'critical'",
    ),
]


@pytest.mark.parametrize(
    ("body", "line", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_feature_mistakes_are_one_line_errors(body: str, line: int, message: str):
    """Each mistake is one line naming the line number and what to do."""
    with pytest.raises(ConfigError) as caught:
        load_text(slos(body), "c.yaml")
    problems = caught.value.problems
    assert any(p.startswith(f"c.yaml:{line}:") and message in p for p in problems), problems


@pytest.mark.parametrize(
    ("service", "line", "message"),
    [
        (
            "  - name: w\n    template: api\n    runs: {success: a, total: b}\n",
            4,
            "does not use runs",
        ),
        ("  - name: w\n    template: rest\n    requests: r\n", 5, "template"),
        ("  - name: w\n    template: batch\n    last_success: ts\n", 4, "'max_age' together"),
        ("  - name: w\n    template: api\n", 4, "needs at least one"),
        (
            "  - name: w\n    template: api\n    requests: r\n    objective: 101\n",
            4,
            "made by this template",
        ),
    ],
)
def test_template_mistakes_point_at_the_service(service: str, line: int, message: str):
    """Problems in a services entry, or in the SLOs it makes, point at the entry's lines."""
    with pytest.raises(ConfigError) as caught:
        load_text(HEAD + "services:\n" + service, "c.yaml")
    problems = caught.value.problems
    assert any(p.startswith(f"c.yaml:{line}:") and message in p for p in problems), problems


def test_no_slos_at_all():
    """A config without SLOs or services says so."""
    with pytest.raises(ConfigError, match="no SLOs listed"):
        load_text(HEAD + "slos: []\n")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.integration  # runs a child process
def test_show_prints_the_expanded_config():
    """`show` prints native YAML with the templates expanded, which loads to the same SLOs."""
    result = run_cli("show", "-c", "config/tiers-and-templates.yaml")
    assert result.returncode == 0, result.stderr
    shown = yaml.safe_load(result.stdout)
    assert "services" not in shown
    assert [s["name"] for s in shown["slos"]][1:3] == ["checkout-availability", "checkout-latency"]
    again = load_text(result.stdout)
    assert again.slos == load_config(Path("config/tiers-and-templates.yaml")).slos


@pytest.mark.integration  # runs a child process
def test_schema_is_json_schema_of_the_config():
    """`schema` prints a JSON Schema that knows the SLO fields and forbids unknown keys."""
    result = run_cli("schema")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    slo = document["$defs"]["SLOConfig"]
    assert {"objective", "calendar", "budgeting", "sli"} <= slo["properties"].keys()
    assert slo["additionalProperties"] is False


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("path", sorted(Path("config").glob("*.yaml")))
def test_every_example_config_validates(path: Path):
    """Every example in config/ passes `validate`."""
    result = run_cli("validate", "-c", str(path))
    assert result.returncode == 0, result.stderr
