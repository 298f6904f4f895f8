"""The rule groups both modes generate, checked as data: names, labels, thresholds, text."""

from __future__ import annotations

from typing import Any

import pytest
from config_text import load_text

from exporter.domain.model import SLO
from exporter.rules.exporter_mode import exporter_groups
from exporter.rules.native import native_groups
from exporter.rules.tiles import step_queries, unsupported
from exporter.settings import AlertingSettings, Settings

CONFIG = """\
backend:
  url: http://127.0.0.1:9090
alerting:
  severity_names: {page: critical, ticket: warning}
  dashboard_url: https://grafana.example.com/d/slo?var-slo={slo}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    labels: {team: payments}
    runbook_url: https://runbooks.example.com/checkout
    sli:
      ratio:
        good: http_requests_total{service="checkout",code!~"5.."}
        total: http_requests_total{service="checkout"}
  - name: search-availability
    service: search
    objective: 99
    period: 7d
    sli:
      query:
        bad: sum(increase(search_errors_total[{{window}}]))
        total: sum(increase(search_requests_total[{{window}}]))
  - name: checkout-latency
    service: '{{ checkout }}'
    objective: 98.5
    alerts: []
    sli:
      latency: {histogram: http_request_duration_seconds, threshold: 0.3}
"""

ALL_ALERTS = [
    "SLOErrorBudgetBurn",
    "SLOErrorBudgetBurn",
    "SLOErrorBudgetExhausted",
    "SLODataMissing",
]


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_text(CONFIG, "c.yaml")


def _generate(settings: Settings, mode: str) -> list[dict[str, Any]]:
    if mode == "exporter":
        return exporter_groups(settings)
    return native_groups(settings.slos, settings.alerting)


def _alerts(groups: list[dict[str, Any]], slo: str) -> list[dict[str, Any]]:
    return [
        rule
        for group in groups
        for rule in group["rules"]
        if "alert" in rule and rule["labels"].get("slo") == slo
    ]


def _burn(groups: list[dict[str, Any]], slo: str, severity: str) -> dict[str, Any]:
    (rule,) = [
        r
        for r in _alerts(groups, slo)
        if r["alert"] == "SLOErrorBudgetBurn" and r["labels"]["severity"] == severity
    ]
    return rule


def test_exporter_groups_are_named_and_ordered(settings: Settings):
    """Exporter mode: the SLO alerts group, then the exporter's health group; in each SLO,
    burn alerts by severity, exhausted, data missing, evaluation failing, stale."""
    groups = exporter_groups(settings)
    assert [g["name"] for g in groups] == ["slo-exporter-alerts", "slo-exporter-health"]
    assert "interval" not in groups[0]
    names = [r["alert"] for r in _alerts(groups, "checkout-availability")]
    assert names == [*ALL_ALERTS, "SLOEvaluationFailing", "SLOEvaluationStale"]
    assert [r["alert"] for r in groups[1]["rules"]] == ["SLOExporterDown"]


def test_native_groups_one_per_slo_every_step(settings: Settings):
    """Native mode: one group per SLO in config order, evaluated every native_interval;
    step records first, the alerts last."""
    groups = native_groups(settings.slos, settings.alerting)
    assert [g["name"] for g in groups] == [
        "slo-native-checkout-availability",
        "slo-native-search-availability",
        "slo-native-checkout-latency",
    ]
    assert {g["interval"] for g in groups} == {"1m"}
    first = groups[0]["rules"]
    assert [r.get("record") for r in first[:2]] == [
        "slo:good_events:step_increase",
        "slo:total_events:step_increase",
    ]
    assert [r["alert"] for r in first if "alert" in r] == ALL_ALERTS
    assert all("record" in r for r in first[: -len(ALL_ALERTS)])


def test_native_records_every_window_burn_rate_and_the_budget(settings: Settings):
    """Every window gets its event sums and burn rate; the period its SLI and remaining budget."""
    slo = settings.slos[1]
    (group,) = [g for g in native_groups(settings.slos, settings.alerting) if "search" in g["name"]]
    records = {(r["record"], r["labels"].get("window")) for r in group["rules"] if "record" in r}
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "7d"]
    assert len(slo.windows) == len(windows)
    for window in windows:
        assert ("slo:bad_events:increase", window) in records
        assert ("slo:total_events:increase", window) in records
        assert ("slo:burn_rate:ratio", window) in records
    assert ("slo:sli:ratio", "7d") in records
    assert ("slo:error_budget_remaining:ratio", None) in records


@pytest.mark.parametrize("mode", ["exporter", "native"])
def test_burn_alerts_carry_slo_service_mapped_severity_and_labels(settings: Settings, mode):
    """One burn alert per severity, labelled slo, service, severity (renamed by
    severity_names) and the SLO's labels, with no `for:` (the workbook's advice)."""
    groups = _generate(settings, mode)
    for severity in ("critical", "warning"):
        rule = _burn(groups, "checkout-availability", severity)
        assert rule["labels"] == {
            "slo": "checkout-availability",
            "service": "checkout",
            "severity": severity,
            "team": "payments",
        }
        assert "for" not in rule


def test_exporter_burn_alert_reads_the_exporters_conditions(settings: Settings):
    """Exporter mode fires on slo_alert_condition of the config's severity name, per rule,
    and reports the long-window burn rate."""
    expr = _burn(exporter_groups(settings), "checkout-availability", "critical")["expr"]
    assert (
        'slo_alert_condition{job="slo-exporter",slo="checkout-availability",severity="page",'
        'long_window="1h",short_window="5m"}) == 1'
    ) in expr
    assert 'long_window="6h",short_window="30m"' in expr
    assert 'slo_burn_rate{job="slo-exporter",slo="checkout-availability",window="1h"}' in expr
    assert "ticket" not in expr


@pytest.mark.parametrize(
    ("long", "short", "factor", "share"),
    [
        ("1h", "5m", "3.36", "2%"),
        ("6h", "30m", "1.4", "5%"),
        ("1d", "2h", "0.7", "10%"),
        ("3d", "6h", "0.233333333333", "10%"),
    ],
)
def test_thresholds_scale_for_a_7d_period(settings: Settings, long, short, factor, share):
    """A 7d SLO's workbook thresholds are scaled (2 % of a 7d budget in 1h is 3.36), in the
    native conditions and in the annotation text of both modes."""
    severity = "critical" if long in ("1h", "6h") else "warning"
    native = _burn(native_groups(settings.slos, settings.alerting), "search-availability", severity)
    assert f'window="{long}"}} > {factor}\n' in native["expr"]
    assert f'window="{short}"}} > {factor}' in native["expr"]
    exporter = _burn(exporter_groups(settings), "search-availability", severity)
    for rule in (native, exporter):
        text = rule["annotations"]["description"]
        assert (
            f"above {float(factor):.4g} over both the last {long} and {short} ({share} of " in text
        )
        assert "objective 99% over 7d" in text


@pytest.mark.parametrize("mode", ["exporter", "native"])
def test_disabled_alerts_leave_only_the_data_alerts(settings: Settings, mode):
    """An SLO with `alerts: []` gets no burn and no exhausted alert, only the data alerts."""
    names = {r["alert"] for r in _alerts(_generate(settings, mode), "checkout-latency")}
    exporter_only = {"SLOEvaluationFailing", "SLOEvaluationStale"}
    expected = {"SLODataMissing"} | (exporter_only if mode == "exporter" else set())
    assert names == expected


@pytest.mark.parametrize("mode", ["exporter", "native"])
def test_annotations_summarise_and_link(settings: Settings, mode):
    """Alerts of an SLO say what burns and link its runbook and dashboard when configured."""
    groups = _generate(settings, mode)
    page = _burn(groups, "checkout-availability", "critical")["annotations"]
    assert page["summary"] == (
        'checkout-availability is burning its error budget {{ $value | printf "%.1f" }} '
        "times too fast"
    )
    assert "objective 99.9% over 30d" in page["description"]
    assert "(2% of the 30d budget spent in 1h)" in page["description"]
    assert page["runbook_url"] == "https://runbooks.example.com/checkout"
    assert page["dashboard_url"] == (
        "https://grafana.example.com/d/slo?var-slo=checkout-availability"
    )
    search = _burn(groups, "search-availability", "critical")["annotations"]
    assert "runbook_url" not in search
    assert search["dashboard_url"].endswith("var-slo=search-availability")


@pytest.mark.parametrize("mode", ["exporter", "native"])
def test_template_braces_from_the_config_are_escaped(settings: Settings, mode):
    """A `{{` in a service name reaches the alert literally, not as a template action."""
    (rule,) = [
        r for r in _alerts(_generate(settings, mode), "checkout-latency")
        if r["alert"] == "SLODataMissing"
    ]  # fmt: skip
    assert rule["labels"]["service"] == '{{ "{{" }} checkout }}'
    assert '(service {{ "{{" }} checkout }}, objective' in rule["annotations"]["description"]


def test_exporter_down_and_stale_use_the_job_and_the_pipeline_severity(settings: Settings):
    """The exporter's health alerts select its job and carry exporter_severity, renamed."""
    groups = exporter_groups(settings)
    (down,) = groups[1]["rules"]
    assert down["expr"] == 'up{job="slo-exporter"} == 0 or absent(up{job="slo-exporter"})'
    assert (down["for"], down["labels"]) == ("5m", {"severity": "critical"})
    (stale,) = [
        r for r in _alerts(groups, "checkout-availability") if r["alert"] == "SLOEvaluationStale"
    ]
    assert stale["expr"].endswith('{job="slo-exporter",slo="checkout-availability"}) > 600')
    assert stale["labels"]["severity"] == "critical"


def _slo(extra: str, sli: str | None = None) -> SLO:
    sli = sli or "ratio: {good: good_total, total: all_total}"
    text = f"""\
backend: {{url: http://127.0.0.1:9090}}
slos:
  - name: s
    service: s
    objective: 99
{_indented(extra)}    sli:
      {sli}
"""
    (slo,) = load_text(text, "c.yaml").slos
    return slo


def _indented(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


@pytest.mark.parametrize(
    ("extra", "sli", "reason"),
    [
        ("calendar: month", None, "a calendar period starts at a moving point in time"),
        (
            "budgeting: {method: timeslices, slice: 5m, slice_target: 99}",
            None,
            "time-slice budgeting is not available in native mode",
        ),
        ("", "threshold: {query: 'x', op: lte, value: 1}", "a threshold SLI is judged per"),
        ("windows: [90s]", None, "window 1m30s is not a multiple of alerting.native_interval"),
    ],
)
def test_native_mode_names_what_it_cannot_evaluate(extra, sli, reason):
    """Calendar periods, time slices and windows off the step are refused with a reason."""
    why = unsupported(_slo(extra, sli), 60)
    assert why is not None
    assert why.startswith(reason)


def test_native_mode_takes_ratio_latency_query_and_bool_gauge():
    """The event SLI kinds are all evaluated natively."""
    kinds = [
        "ratio: {bad: errors_total, total: requests_total}",
        "latency: {histogram: duration_seconds, threshold: 0.25}",
        "latency: {histogram: duration_seconds, threshold: 0.25, native: true}",
        "query: {good: 'sum(increase(a[{{window}}]))', total: 'sum(increase(b[{{window}}]))'}",
        "bool_gauge: {metric: probe_success}",
    ]
    assert [unsupported(_slo("", sli), 60) for sli in kinds] == [None] * len(kinds)


@pytest.mark.parametrize(
    ("sli", "numerator", "total"),
    [
        (
            "latency: {histogram: 'duration_seconds{job=\"api\"}', threshold: 1}",
            'duration_seconds_bucket{job="api",le=~"1|1\\\\.0"} offset 1m - last_over_time('
            'duration_seconds_bucket{job="api",le=~"1|1\\\\.0"}[10m] offset 2m) >= 0',
            'duration_seconds_bucket{job="api",le=~"\\\\+Inf"} offset 1m',
        ),
        (
            "query: {good: 'sum(increase(a[{{window}}]))',"
            " total: 'scalar(sum(increase(b[{{window}}])))'}",
            "sum(last_over_time((sum(increase(a[1m])))[1s:1s] offset 1m)) or vector(0)",
            "sum(last_over_time((vector(scalar(sum(increase(b[1m])))))[1s:1s] offset 1m))"
            " or vector(0)",
        ),
        (
            "bool_gauge: {metric: 'probe_success{target=\"x\"}'}",
            'sum(sum_over_time(probe_success{target="x"}[59s999ms] offset 1m)) or vector(0)',
            'sum(count_over_time(probe_success{target="x"}[59s999ms] offset 1m)) or vector(0)',
        ),
    ],
)
def test_step_queries_per_sli_kind(sli, numerator, total):
    """Each kind counts one step's events, a step ago: counter differences for buckets,
    the template shifted by a subquery (scalars wrapped), gauge samples in (t-2m, t-1m]."""
    queries = step_queries(_slo("", sli).sli, 60, 60)
    assert numerator in queries.numerator
    assert total in queries.total


def test_step_queries_without_offset_read_the_latest_values():
    """native_offset 0 counts the step that ends at the evaluation time."""
    queries = step_queries(_slo("").sli, 60, 0)
    assert "(good_total - last_over_time(good_total[10m] offset 1m) >= 0)" in queries.numerator


def test_native_conditions_respect_min_events_and_no_data():
    """min_events keeps thin windows from firing (silence counts when no_data gives it a
    meaning); the silent window's burn rate follows the no-data policy."""
    slo = _slo("min_events: 20\nno_data: bad")
    (group,) = native_groups((slo,), AlertingSettings())
    page = next(r for r in group["rules"] if r.get("alert") == "SLOErrorBudgetBurn")
    assert (
        '(slo:burn_rate:ratio{slo="s",window="1h"} > 14.4 and '
        '(slo:total_events:increase{slo="s",window="1h"} >= 20 or '
        'slo:total_events:increase{slo="s",window="1h"} == 0))'
    ) in page["expr"]
    burn = next(r for r in group["rules"] if r.get("record") == "slo:burn_rate:ratio")
    assert burn["expr"].endswith('or slo:total_events:increase{slo="s",window="5m"} * 0 + 100')
