"""Sloth and Pyrra specs to the native config, a directory of mixed formats, mixed-form ratios.

Conversions are checked as the native SLO a user would read with
``slo-exporter show``; every unsupported construct is one line naming file,
line and field. The numbers on a real Prometheus are checked in
``test_migrated_inputs_against_prometheus.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from truth import MIGRATED_NAMES

from exporter.config.loader import effective_config, load_config
from exporter.domain.model import BoolGaugeSLI, LatencySLI, QuerySLI
from exporter.errors import ConfigError
from exporter.sloth.queries import counting_events, events_template

MIGRATE = Path(__file__).resolve().parent / "migrate"
BACKEND = "backend: {url: 'http://prometheus:9090'}\nslos: []\n"

SLOTH = """\
version: prometheus/v1
service: api
slos:
  - name: requests
    objective: 99.5
{extra}    sli:
{sli}"""
EVENTS = """\
      events:
        error_query: sum(rate(x_total{{code=~"5.."}}[{{{{.window}}}}]))
        total_query: sum(rate(x_total[{{{{.window}}}}]))
"""
EVENTS_TEXT = EVENTS.format()
PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {{name: api-slo, namespace: team-a, labels: {{pyrra.dev/team: a, prometheus: k8s}}}}
spec:
  target: "99"
  window: 2w
{extra}  indicator:
{indicator}"""
RATIO = """\
    ratio:
      errors: {metric: 'x_total{code=~"5.."}'}
      total: {metric: x_total}
"""


def write(tmp_path: Path, **files: str) -> Path:
    """The files in a new directory next to a native file with the backend."""
    directory = tmp_path / "slos"
    directory.mkdir()
    (directory / "backend.yaml").write_text(BACKEND)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(text)
    return directory


def converted_slo(tmp_path: Path, text: str) -> dict:
    """The one native SLO that ``text`` (next to a backend) converts to."""
    data = effective_config(write(tmp_path, spec=text))
    [slo] = data["slos"]
    return slo


def problems(tmp_path: Path, text: str) -> list[str]:
    """The lines of the ConfigError that loading ``text`` (next to a backend) raises."""
    directory = write(tmp_path, spec=text)
    with pytest.raises(ConfigError) as raised:
        load_config(directory)
    return [line.replace(f"{directory}/", "") for line in raised.value.problems]


PAGE = [
    {"severity": "page", "long_window": "1h", "short_window": "5m", "budget_percent": 2},
    {"severity": "page", "long_window": "6h", "short_window": "30m", "budget_percent": 5},
]
TICKET = [
    {"severity": "ticket", "long_window": "1d", "short_window": "2h", "budget_percent": 10},
    {"severity": "ticket", "long_window": "3d", "short_window": "6h", "budget_percent": 10},
]


@pytest.mark.parametrize(
    ("extra", "sli", "expected"),
    [
        pytest.param(
            "",
            EVENTS_TEXT,
            {
                "sli": {
                    "query": {
                        "bad": 'sum(increase(x_total{code=~"5.."}[{{window}}]))',
                        "total": "sum(increase(x_total[{{window}}]))",
                    }
                },
                "alerts": PAGE + TICKET,
            },
            id="events-rate-becomes-increase-and-default-alerts",
        ),
        pytest.param(
            "",
            "      raw:\n        error_ratio_query: slo:error:ratio_rate{{.window}}\n",
            {"sli": {"raw": {"query": "slo:error:ratio_rate5m", "type": "failure"}}},
            id="raw-error-ratio-per-5m-slice",
        ),
        pytest.param(
            "    labels: {tier: gold}\n    alerting:\n      annotations: {runbook_url: 'https://r'}\n"
            "      page_alert: {labels: {severity: critical}}\n"
            "      ticket_alert: {disable: true}\n",
            EVENTS_TEXT,
            {
                "labels": {"tier": "gold"},
                "alerts": [
                    {**rule, "severity": "critical", "annotations": {"runbook_url": "https://r"}}
                    for rule in PAGE
                ],
            },
            id="labels-annotations-severity-and-disabled-ticket",
        ),
        pytest.param(
            "    alerting:\n      name: ApiAlert\n      labels: {team: a, channel: ops}\n"
            "      page_alert: {labels: {channel: pager}, annotations: {summary: down}}\n",
            EVENTS_TEXT,
            {
                "alert_name": "ApiAlert",
                "alerts": [
                    {
                        **rule,
                        "labels": {"team": "a", "channel": "pager"},
                        "annotations": {"summary": "down"},
                    }
                    for rule in PAGE
                ]
                + [{**rule, "labels": {"team": "a", "channel": "ops"}} for rule in TICKET],
            },
            id="alert-name-and-each-alerts-labels-over-the-common-ones",
        ),
    ],
)
def test_sloth_converts_to_native(tmp_path, extra, sli, expected):
    """A Sloth SLO becomes a native SLO named service-name with a 30-day period."""
    slo = converted_slo(tmp_path, SLOTH.format(extra=extra, sli=sli))
    assert slo["name"] == "api-requests"
    assert slo["service"] == "api"
    assert slo["objective"] == 99.5
    assert slo["period"] == "30d"
    for key, value in expected.items():
        assert slo[key] == value


def test_sloth_manifest_reads_camel_case_fields(tmp_path):
    """A PrometheusServiceLevel manifest with errorQuery/totalQuery converts like a file."""
    manifest = """\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api, namespace: default}
spec:
  service: api
  labels: {owner: me}
  slos:
    - name: requests
      objective: "99.5"
      sli:
        events:
          errorQuery: sum(rate(x_total{code="500"}[{{.window}}]))
          totalQuery: sum(rate(x_total[{{.window}}]))
      alerting:
        pageAlert: {disable: true}
        ticketAlert: {disable: true}
"""
    slo = converted_slo(tmp_path, manifest)
    assert slo["name"] == "api-requests"
    assert slo["labels"] == {"owner": "me"}
    assert slo["objective"] == 99.5
    assert slo["sli"]["query"]["bad"] == 'sum(increase(x_total{code="500"}[{{window}}]))'
    assert slo["alerts"] == []


@pytest.mark.parametrize(
    ("extra", "sli", "expected"),
    [
        pytest.param(
            "",
            "      plugin: {id: sloth-common/availability, options: {job: api}}\n",
            'spec.yaml:7: Sloth SLO "requests": sli.plugin: Sloth SLI plugins are Go code that '
            "only Sloth runs; write the plugin's queries as sli.events (error_query and "
            "total_query over {{.window}})",
            id="plugin",
        ),
        pytest.param(
            "",
            EVENTS_TEXT.replace("rate(x_total[", "irate(x_total["),
            'spec.yaml:9: Sloth SLO "requests": sli.events.total_query: irate() uses only the '
            "last two samples and cannot count the events of a window; use rate() or "
            "increase() over [{{.window}}]",
            id="irate",
        ),
        pytest.param(
            "",
            EVENTS_TEXT.replace("{{.window}}]))\n        total", "{{.Window}}]))\n        total"),
            'spec.yaml:8: Sloth SLO "requests": sli.events.error_query: the Go template action '
            "{{.Window}} is not supported; Sloth queries take only {{.window}}",
            id="other-template-action",
        ),
        pytest.param(
            "    alerting: {page_alert: {labels: {slo: mine}}}\n",
            EVENTS_TEXT,
            'spec.yaml:6: Sloth SLO "requests": alerting.page_alert.labels.slo: label name '
            "'slo' is reserved: slo-exporter sets le, long_window, service, severity, "
            "short_window, slo, status, window itself",
            id="reserved-alert-label-found-by-the-native-schema",
        ),
        pytest.param(
            "    labels: {slo: x}\n",
            EVENTS_TEXT,
            "spec.yaml:6: Sloth SLO \"requests\": labels.slo: label name 'slo' is reserved: "
            "slo-exporter sets le, long_window, service, severity, short_window, slo, status, "
            "window itself",
            id="reserved-label-found-by-the-native-schema",
        ),
    ],
)
def test_sloth_problems_are_one_line_each(tmp_path, extra, sli, expected):
    """What Sloth allows but slo-exporter cannot express is refused at its file, line and field."""
    assert problems(tmp_path, SLOTH.format(extra=extra, sli=sli)) == [expected]


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        pytest.param(
            RATIO,
            {"ratio": {"bad": 'x_total{code=~"5.."}', "total": "x_total"}},
            id="ratio",
        ),
        pytest.param(
            "    latency:\n"
            '      success: {metric: \'h_seconds_bucket{job="a",le="0.25"}\'}\n'
            "      total: {metric: 'h_seconds_count{job=\"a\"}'}\n",
            {"latency": {"histogram": 'h_seconds{job="a"}', "threshold": 0.25}},
            id="latency-of-one-histogram",
        ),
        pytest.param(
            "    latency:\n"
            "      success: {metric: 'fast_total'}\n"
            "      total: {metric: 'all_total'}\n",
            {"ratio": {"good": "fast_total", "total": "all_total"}},
            id="latency-of-other-counters",
        ),
        pytest.param(
            "    latencyNative:\n      latency: 200ms\n      total: {metric: 'rpc_seconds'}\n",
            {"latency": {"histogram": "rpc_seconds", "threshold": 0.2, "native": True}},
            id="latency-native",
        ),
        pytest.param(
            "    boolGauge: {metric: 'probe_success{job=\"x\"}'}\n",
            {"bool_gauge": {"metric": 'probe_success{job="x"}'}},
            id="bool-gauge",
        ),
    ],
)
def test_pyrra_converts_to_native(tmp_path, indicator, expected):
    """A Pyrra manifest becomes a native SLO: namespace as service, pyrra.dev/ labels kept."""
    slo = converted_slo(tmp_path, PYRRA.format(extra="", indicator=indicator))
    assert slo["name"] == "api-slo"
    assert slo["service"] == "team-a"
    assert slo["labels"] == {"team": "a"}
    assert slo["objective"] == 99.0
    assert slo["period"] == "2w"
    assert slo["sli"] == expected
    assert slo["alerts"] == PYRRA_2W_ALERTS


PYRRA_2W_ALERTS = [
    {"severity": "critical", "long_window": "30m", "short_window": "3m", "burn_rate": 14},
    {"severity": "critical", "long_window": "3h", "short_window": "15m", "burn_rate": 7},
    {"severity": "warning", "long_window": "12h", "short_window": "1h", "burn_rate": 2},
    {"severity": "warning", "long_window": "2d", "short_window": "3h", "burn_rate": 1},
]
"""Pyrra's four alerts, defined for 28 days, for a 2w window (2m30s rounds up to 3m)."""


@pytest.mark.parametrize(
    ("alerting", "expected"),
    [
        ("{burnrates: false}", {"alerts": []}),
        ("{disabled: true}", {"alerts": []}),
        ("{name: ApiBurn}", {"alert_name": "ApiBurn"}),
    ],
)
def test_pyrra_alerting(tmp_path, alerting, expected):
    """Disabled burn-rate alerts are an SLO without alerts; a name is the alerts' name."""
    text = PYRRA.format(extra=f"  alerting: {alerting}\n", indicator=RATIO)
    slo = converted_slo(tmp_path, text)
    assert {key: slo[key] for key in expected} == expected


def test_pyrra_grouping_is_group_by(tmp_path):
    """Pyrra's grouping becomes the native group_by: one SLO per route, like Pyrra's."""
    text = PYRRA.format(extra="", indicator=RATIO + "      grouping: [route, cluster]\n")
    slo = converted_slo(tmp_path, text)
    assert slo["group_by"] == ["route", "cluster"]
    [loaded] = load_config(tmp_path / "slos").slos
    assert loaded.grouping is not None
    assert loaded.grouping.labels == ("route", "cluster")


@pytest.mark.parametrize(
    ("extra", "indicator", "expected"),
    [
        pytest.param(
            "",
            RATIO + "      grouping: route\n",
            'spec.yaml:11: ServiceLevelObjective "api-slo": spec.indicator.ratio.grouping: '
            "grouping: expected a list of label names, such as [route]",
            id="grouping-not-a-list",
        ),
        pytest.param(
            "  alerting: {absentName: Gone}\n",
            RATIO,
            'spec.yaml:7: ServiceLevelObjective "api-slo": spec.alerting.absentName: the '
            "missing-data alert's name is not configurable: slo-exporter calls it "
            "SLODataMissing and labels it slo, service and severity; remove it and route on those",
            id="absent-alert-name",
        ),
        pytest.param(
            "",
            RATIO.replace("x_total}", "'sum(rate(x_total[5m]))'}"),
            'spec.yaml:10: ServiceLevelObjective "api-slo": spec.indicator.ratio.total.metric: '
            'give a plain selector such as http_requests_total{code!~"5.."}, not an '
            "aggregation (sum)",
            id="not-a-selector-found-by-the-native-schema",
        ),
    ],
)
def test_pyrra_problems_are_one_line_each(tmp_path, extra, indicator, expected):
    """What Pyrra allows but slo-exporter cannot express is refused at its file, line and field."""
    found = problems(tmp_path, PYRRA.format(extra=extra, indicator=indicator))
    assert found == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            SLOTH.format(extra="", sli=EVENTS_TEXT).replace("99.5", "-1"),
            'spec.yaml:5: Sloth SLO "requests": objective: the objective is a percent in '
            "(0, 100], got -1",
            id="sloth-negative",
        ),
        pytest.param(
            SLOTH.format(extra="", sli=EVENTS_TEXT).replace("99.5", "'high'"),
            'spec.yaml:5: Sloth SLO "requests": objective: expected a percent such as 99.9, '
            "got 'high'",
            id="sloth-text",
        ),
        pytest.param(
            PYRRA.format(extra="", indicator=RATIO).replace('"99"', "high"),
            'spec.yaml:5: ServiceLevelObjective "api-slo": spec.target: expected a percent '
            "such as 99.9, got 'high'",
            id="pyrra-text",
        ),
        pytest.param(
            PYRRA.format(extra="", indicator=RATIO).replace('"99"', "'150'"),
            'spec.yaml:5: ServiceLevelObjective "api-slo": spec.target: target is a percent '
            "in (0, 100], got 150",
            id="pyrra-over-100",
        ),
    ],
)
def test_sloth_and_pyrra_read_their_objective_as_one_percent(tmp_path, text, expected):
    """Sloth's objective and Pyrra's target, as a number or as text, are a percent in
    (0, 100]; anything else is one line naming the file, line, SLO and field."""
    assert problems(tmp_path, text) == [expected]


def test_a_directory_of_every_format_loads_as_one_config():
    """Native, OpenSLO, Sloth and Pyrra files in one directory make one config."""
    settings = load_config(MIGRATE)
    assert settings.backend.url == "http://127.0.0.1:9090"
    by_name = {slo.name: slo for slo in settings.slos}
    assert list(by_name) == MIGRATED_NAMES
    assert isinstance(by_name["checkout-availability"].sli, QuerySLI)
    assert not isinstance(by_name["checkout-latency"].sli, LatencySLI)  # +Inf bucket: a ratio
    assert isinstance(by_name["probe-availability"].sli, BoolGaugeSLI)


def test_sloth_and_pyrra_without_a_backend_are_refused(tmp_path):
    """Without a native file or DataSource there is no Prometheus to ask: one clear line."""
    directory = tmp_path / "slos"
    directory.mkdir()
    shutil.copy(MIGRATE / "sloth.yaml", directory)
    with pytest.raises(ConfigError) as raised:
        load_config(directory / "sloth.yaml")
    [line] = raised.value.problems
    assert line.endswith(
        "no backend given: Sloth and Pyrra files name no Prometheus; put a native config file "
        "with backend: {url: ...} (or an OpenSLO DataSource) next to them, or convert with "
        "slo-exporter convert --backend-url URL"
    )


def test_two_backends_are_refused(tmp_path):
    """Two native files both giving a backend: the second is reported where it is written."""
    directory = write(tmp_path, sloth=(MIGRATE / "sloth.yaml").read_text(), zz=BACKEND)
    with pytest.raises(ConfigError) as raised:
        load_config(directory)
    assert [line.replace(f"{directory}/", "") for line in raised.value.problems] == [
        "zz.yaml:1: backend: backend is given a second time (backend.yaml:1); one config has "
        "one backend"
    ]


def test_native_query_accepts_a_plain_selector_next_to_a_template(tmp_path):
    """A native ``query`` side written as a plain counter selector counts like a ratio's."""
    config = tmp_path / "c.yaml"
    config.write_text(
        BACKEND.replace("slos: []\n", "")
        + "slos:\n  - name: s\n    service: s\n    objective: 99\n    sli:\n      query:\n"
        + "        bad: 'sum(increase(e_total[{{window}}]))'\n"
        + "        total: 'r_total{job=\"a\"}'\n"
    )
    [slo] = load_config(config).slos
    assert isinstance(slo.sli, QuerySLI)
    assert slo.sli.total == 'sum(increase(r_total{job="a"}[{{window}}]))'


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sum(rate(x[{{window}}]))", "sum(increase(x[{{window}}]))"),
        ("sum(rate (x[{{window}}])) by (rate)", "sum(increase (x[{{window}}])) by (rate)"),
        ('sum(rate(x{h="rate(y)"}[{{window}}]))', 'sum(increase(x{h="rate(y)"}[{{window}}]))'),
        ("sum(my_rate(x[{{window}}]))", "sum(my_rate(x[{{window}}]))"),
    ],
)
def test_rate_calls_become_increase(query, expected):
    """Only calls of rate() change; labels, strings and other names stay as written."""
    assert counting_events(query) == expected


@given(st.text(alphabet="rateinc(){}[]\"' _x", max_size=40))
def test_strings_and_non_calls_are_never_rewritten(text):
    """Whatever the text, removing the rewritten calls gives back the original."""
    try:
        rewritten = counting_events(text)
    except ValueError:
        return  # an irate( call, refused
    assert rewritten.replace("increase", "rate") == text.replace("increase", "rate")


def test_sloth_window_template_is_native():
    """``{{.window}}`` and ``{{ .window }}`` both become ``{{window}}``."""
    text = "sum(rate(a[{{.window}}])) / sum(rate(b[{{ .window }}]))"
    assert events_template(text) == "sum(increase(a[{{window}}])) / sum(increase(b[{{window}}]))"


def test_an_slo_name_used_by_two_formats_is_refused(tmp_path):
    """A Sloth SLO named like a native one: the later is reported, naming the earlier."""
    native = BACKEND.replace(
        "slos: []\n",
        "slos:\n  - name: api-requests\n    service: api\n    objective: 99\n"
        "    sli: {ratio: {bad: e_total, total: r_total}}\n",
    )
    directory = tmp_path / "slos"
    directory.mkdir()
    (directory / "backend.yaml").write_text(native)
    (directory / "spec.yaml").write_text(SLOTH.format(extra="", sli=EVENTS_TEXT))
    with pytest.raises(ConfigError) as raised:
        load_config(directory)
    assert [line.replace(f"{directory}/", "") for line in raised.value.problems] == [
        "spec.yaml:4: Sloth SLO \"requests\": name: duplicate SLO name 'api-requests': an "
        "earlier SLO has it already (backend.yaml:3)"
    ]


def test_a_key_given_twice_in_a_sloth_file_is_refused(tmp_path):
    """YAML would keep the last of two equal keys; the loader says so instead."""
    text = SLOTH.format(extra="", sli=EVENTS_TEXT).replace(
        "service: api\n", "service: api\nservice: web\n"
    )
    assert problems(tmp_path, text) == [
        "spec.yaml:3: service: key 'service' is given twice (first on line 2); YAML would "
        "silently keep only the last one"
    ]


SLOTH_MANIFEST = """\
apiVersion: {version}
kind: {kind}
metadata: {{name: api}}
spec:
  service: api
  slos: []
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            PYRRA.format(extra="", indicator=RATIO).replace("v1alpha1", "v2"),
            'spec.yaml:2: ServiceLevelObjective "api-slo": kind: expected apiVersion '
            "pyrra.dev/v1alpha1 and kind ServiceLevelObjective, got 'pyrra.dev/v2' and the "
            "string 'ServiceLevelObjective'",
            id="pyrra-other-version",
        ),
        pytest.param(
            PYRRA.format(extra="", indicator=RATIO).replace("kind: Service", "kind: Other"),
            'spec.yaml:2: ServiceLevelObjective "api-slo": kind: expected apiVersion '
            "pyrra.dev/v1alpha1 and kind ServiceLevelObjective, got 'pyrra.dev/v1alpha1' and "
            "the string 'OtherLevelObjective'",
            id="pyrra-other-kind",
        ),
        pytest.param(
            SLOTH_MANIFEST.format(version="sloth.slok.dev/v2", kind="PrometheusServiceLevel"),
            "spec.yaml:2: Sloth spec: kind: expected apiVersion sloth.slok.dev/v1 and kind "
            "PrometheusServiceLevel, got 'sloth.slok.dev/v2' and the string "
            "'PrometheusServiceLevel'",
            id="sloth-other-version",
        ),
        pytest.param(
            SLOTH_MANIFEST.format(version="sloth.slok.dev/v1", kind="ServiceLevel"),
            "spec.yaml:2: Sloth spec: kind: expected apiVersion sloth.slok.dev/v1 and kind "
            "PrometheusServiceLevel, got 'sloth.slok.dev/v1' and the string 'ServiceLevel'",
            id="sloth-other-kind",
        ),
    ],
)
def test_a_manifest_of_another_version_or_kind_is_one_line(tmp_path, text, expected):
    """A Pyrra or Sloth manifest of its API group but not the version and kind read is
    refused in one line at its kind, naming what is expected and what was found."""
    assert problems(tmp_path, text) == [expected]
