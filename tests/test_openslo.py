"""OpenSLO v1 input: documents in, the native config dict out, every unsupported field refused."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from exporter.config.openslo_input import check_native
from exporter.errors import ConfigError
from exporter.openslo import convert, convert_located, is_openslo, read_openslo
from exporter.yaml_lines import YamlDocument, YamlSyntaxError, load_yaml_all

FIXTURES = Path(__file__).resolve().parent / "openslo"

DATASOURCE = """\
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prometheus}
spec:
  type: Prometheus
  connectionDetails: {url: http://prometheus:9090}
"""

SLI_ERRORS = """\
apiVersion: openslo/v1
kind: SLI
metadata: {name: errors}
spec:
  ratioMetric:
    counter: true
    bad: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code=~"5.."}'}}}
    total: {metricSource: {type: Prometheus, spec: {query: http_requests_total}}}
"""
RATIO_ERRORS = {
    "ratio": {"bad": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}
}
ROLLING = "timeWindow: [{duration: 28d, isRolling: true}]\n"
TARGET = "objectives: [{target: 0.999}]\n"


def slo(spec: str, metadata: str = "{name: checkout}") -> str:
    """An SLO document; ``spec`` (dedented) starts on line 5."""
    body = textwrap.indent(textwrap.dedent(spec), "  ")
    return f"apiVersion: openslo/v1\nkind: SLO\nmetadata: {metadata}\nspec:\n{body}"


def documents(*texts: str) -> str:
    """Several YAML documents in one file."""
    return "---\n".join(texts)


def sources(*files: tuple[str, str]) -> list[tuple[str, YamlDocument]]:
    """Every document of each ``(file name, text)``, in order."""
    return [(name, document) for name, text in files for document in load_yaml_all(text)]


def with_datasource(text: str) -> list[tuple[str, YamlDocument]]:
    """``text`` as s.yaml, then the DataSource as ds.yaml."""
    return sources(("s.yaml", text), ("ds.yaml", DATASOURCE))


def native_slo(**fields: Any) -> dict[str, Any]:
    """A converted SLO named checkout of service checkout."""
    return {"name": "checkout", "service": "checkout", **fields}


# ---- valid inputs ---------------------------------------------------------------------

VALID = [
    pytest.param(
        documents(slo("service: checkout\nindicatorRef: errors\n" + ROLLING + TARGET), SLI_ERRORS),
        native_slo(objective=99.9, period="28d", sli=RATIO_ERRORS),
        id="indicatorRef-ratio-selectors-rolling",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              metadata: {name: availability}
              spec:
                ratioMetric:
                  counter: true
                  good: {metricSource: {type: prometheus, spec: {query: 'x_total{code!~"5.."}'}}}
                  total: {metricSource: {type: Prometheus, spec: {query: x_total}}}
            timeWindow: [{duration: 4w, isRolling: true}]
            objectives: [{targetPercent: 99.5}]
            """
        ),
        native_slo(
            objective=99.5,
            period="28d",
            sli={"ratio": {"good": 'x_total{code!~"5.."}', "total": "x_total"}},
        ),
        id="inline-good-targetPercent-weeks",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              spec:
                ratioMetric:
                  counter: true
                  bad:
                    metricSource: {type: Prometheus, spec: {query: 'sum(increase(e[{{window}}]))'}}
                  total:
                    metricSource: {type: Prometheus, spec: {query: 'sum(increase(t[{{ window}}]))'}}
            timeWindow: [{duration: 7d, isRolling: true}]
            objectives: [{target: 0.99}]
            """
        ),
        native_slo(
            objective=99,
            period="7d",
            sli={
                "query": {
                    "bad": "sum(increase(e[{{window}}]))",
                    "total": "sum(increase(t[{{ window}}]))",
                }
            },
        ),
        id="window-templates-become-query",
    ),
    pytest.param(
        documents(
            slo(
                "description: Checkout answers.\nservice: checkout\nindicatorRef: errors\n"
                + ROLLING
                + "objectives: [{displayName: three nines, target: 0.999}]\n",
                metadata="{name: checkout, displayName: Checkout, labels: {team: payments}, "
                "annotations: {openslo.com/owner: me}}",
            ),
            SLI_ERRORS,
        ),
        native_slo(
            description="Checkout answers.",
            labels={"team": "payments"},
            objective=99.9,
            period="28d",
            sli=RATIO_ERRORS,
        ),
        id="labels-description-displayName",
    ),
    pytest.param(
        documents(
            slo(
                """\
                service: checkout
                indicatorRef: errors
                timeWindow:
                  - duration: 1M
                    isRolling: false
                    calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Berlin}
                objectives: [{target: 0.999}]
                """
            ),
            SLI_ERRORS,
        ),
        native_slo(objective=99.9, calendar="month", timezone="Europe/Berlin", sli=RATIO_ERRORS),
        id="calendar-month",
    ),
    pytest.param(
        documents(
            slo(
                """\
                service: checkout
                indicatorRef: errors
                timeWindow:
                  - duration: 1w
                    isRolling: false
                    calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}
                objectives: [{target: 0.999}]
                """
            ),
            SLI_ERRORS,
        ),
        native_slo(objective=99.9, calendar="week", timezone="UTC", sli=RATIO_ERRORS),
        id="calendar-week-starting-monday",
    ),
    pytest.param(
        documents(
            slo(
                """\
                service: checkout
                indicatorRef: errors
                timeWindow:
                  - duration: 1Q
                    calendar: {startTime: 2024-04-01, timeZone: America/New_York}
                objectives: [{target: 0.999}]
                """
            ),
            SLI_ERRORS,
        ),
        native_slo(
            objective=99.9, calendar="quarter", timezone="America/New_York", sli=RATIO_ERRORS
        ),
        id="calendar-quarter-isRolling-implied",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + "budgetingMethod: Timeslices\n"
                + "objectives: [{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5m}]\n"
            ),
            SLI_ERRORS,
        ),
        native_slo(
            objective=99,
            period="28d",
            budgeting={"method": "timeslices", "slice": "5m", "slice_target": 95},
            sli=RATIO_ERRORS,
        ),
        id="timeslices",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + "budgetingMethod: RatioTimeslices\n"
                + "objectives: [{target: 0.99, timeSliceWindow: 1m}]\n"
            ),
            SLI_ERRORS,
        ),
        native_slo(
            objective=99,
            period="28d",
            budgeting={"method": "ratio_timeslices", "slice": "1m"},
            sli=RATIO_ERRORS,
        ),
        id="ratio-timeslices",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + "budgetingMethod: Occurrences\n"
                + TARGET
            ),
            SLI_ERRORS,
        ),
        native_slo(objective=99.9, period="28d", sli=RATIO_ERRORS),
        id="occurrences-is-the-default",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              spec:
                ratioMetric:
                  rawType: success
                  raw: {metricSource: {type: Prometheus, spec: {query: 'avg(up{job="checkout"})'}}}
            timeWindow: [{duration: 28d, isRolling: true}]
            objectives: [{target: 0.99}]
            """
        ),
        native_slo(
            objective=99,
            period="28d",
            sli={"raw": {"query": 'avg(up{job="checkout"})', "type": "success"}},
        ),
        id="raw-success",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              spec:
                ratioMetric:
                  counter: false
                  rawType: failure
                  raw: {metricSource: {type: Prometheus, spec: {query: job:error_ratio}}}
            timeWindow: [{duration: 28d, isRolling: true}]
            objectives: [{target: 0.99}]
            """
        ),
        native_slo(
            objective=99,
            period="28d",
            sli={"raw": {"query": "job:error_ratio", "type": "failure"}},
        ),
        id="raw-failure-counter-is-irrelevant",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              spec:
                thresholdMetric:
                  metricSource:
                    type: Prometheus
                    spec: {query: 'histogram_quantile(0.99, sum by (le) (rate(d_bucket[5m])))'}
            timeWindow: [{duration: 28d, isRolling: true}]
            objectives: [{target: 0.99, op: lte, value: 0.3}]
            """
        ),
        native_slo(
            objective=99,
            period="28d",
            sli={
                "threshold": {
                    "query": "histogram_quantile(0.99, sum by (le) (rate(d_bucket[5m])))",
                    "op": "lte",
                    "value": 0.3,
                }
            },
        ),
        id="threshold-takes-op-and-value-from-objective",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + TARGET
                + """\
                alertPolicies:
                  - kind: AlertPolicy
                    metadata: {name: paging}
                    spec:
                      conditions:
                        - kind: AlertCondition
                          metadata: {name: fast}
                          spec:
                            severity: page
                            condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}
                        - kind: AlertCondition
                          metadata: {name: faster}
                          spec:
                            severity: page
                            condition: {kind: burnrate, op: gte, threshold: 20, lookbackWindow: 30m}
                """.replace("                ", "")
            ),
            SLI_ERRORS,
        ),
        native_slo(
            objective=99.9,
            period="28d",
            sli=RATIO_ERRORS,
            alerts=[
                {"severity": "page", "long_window": "1h", "short_window": "5m", "burn_rate": 14.4},
                {"severity": "page", "long_window": "30m", "short_window": "3m", "burn_rate": 20},
            ],
        ),
        id="inline-policy-and-conditions-short-window-derived",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + TARGET
                + "alertPolicies: [{alertPolicyRef: paging}, {alertPolicyRef: tickets}]\n"
            ),
            SLI_ERRORS,
            """\
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: paging}
spec:
  alertWhenBreaching: true
  alertWhenResolved: false
  alertWhenNoData: false
  conditions: [{conditionRef: fast}]
""",
            """\
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: tickets}
spec:
  conditions:
    - conditionRef: slow
""",
            """\
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: fast}
spec:
  severity: page
  condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}
""",
            """\
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: slow}
spec:
  severity: ticket
  condition: {kind: burnrate, op: gt, threshold: 1, lookbackWindow: 3d, alertAfter: 6h}
""",
        ),
        native_slo(
            objective=99.9,
            period="28d",
            sli=RATIO_ERRORS,
            alerts=[
                {"severity": "page", "long_window": "1h", "short_window": "5m", "burn_rate": 14.4},
                {"severity": "ticket", "long_window": "3d", "short_window": "6h", "burn_rate": 1},
            ],
        ),
        id="alertPolicyRef-and-conditionRef-documents",
    ),
    pytest.param(
        documents(
            slo("service: checkout\nindicatorRef: errors\n" + ROLLING + TARGET),
            SLI_ERRORS.replace("type: Prometheus", "metricSourceRef: prometheus"),
        ),
        native_slo(objective=99.9, period="28d", sli=RATIO_ERRORS),
        id="metricSourceRef-to-the-DataSource",
    ),
    pytest.param(
        "- "
        + textwrap.indent(
            slo("service: checkout\nindicatorRef: errors\n" + ROLLING + TARGET), "  "
        ).lstrip()
        + "- "
        + textwrap.indent(SLI_ERRORS, "  ").lstrip(),
        native_slo(objective=99.9, period="28d", sli=RATIO_ERRORS),
        id="a-document-that-is-a-list-of-objects",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + TARGET
                + "alertPolicies: []\n"
            ),
            SLI_ERRORS,
        ),
        native_slo(objective=99.9, period="28d", sli=RATIO_ERRORS),
        id="no-alert-policies-keeps-the-defaults",
    ),
    pytest.param(
        documents(
            slo("service: checkout\nindicatorRef: errors\n" + ROLLING + TARGET),
            SLI_ERRORS,
            "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: checkout}\n"
            "spec: {description: Takes the money.}\n",
        ),
        native_slo(objective=99.9, period="28d", sli=RATIO_ERRORS),
        id="service-defined",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_openslo_converts_to_the_native_slo(text: str, expected: dict[str, Any]):
    """Each supported OpenSLO form becomes exactly this native SLO; DataSource is the backend."""
    config = convert(with_datasource(text))
    assert config == {"backend": {"url": "http://prometheus:9090"}, "slos": [expected]}


def test_native_keys_come_in_reading_order():
    """Converted keys come in reading order: identity, goal, window, budgeting, SLI, alerts."""
    text = documents(
        slo(
            "service: checkout\nindicatorRef: errors\n"
            + ROLLING
            + "budgetingMethod: Timeslices\n"
            + "objectives: [{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5m}]\n"
            + "description: last on purpose\n"
            + "alertPolicies: [{alertPolicyRef: p}]\n",
            metadata="{name: checkout, labels: {team: payments}}",
        ),
        SLI_ERRORS,
        "apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec:\n"
        "  conditions: [{kind: AlertCondition, metadata: {name: c}, spec: {severity: page, "
        "condition: {kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h}}}]\n",
    )
    (converted,) = convert(with_datasource(text))["slos"]
    assert list(converted) == [
        "name",
        "service",
        "description",
        "labels",
        "objective",
        "period",
        "budgeting",
        "sli",
        "alerts",
    ]
    assert list(converted["alerts"][0]) == ["severity", "long_window", "short_window", "burn_rate"]


def test_data_sources_with_the_same_url_make_one_backend():
    """Several DataSources are fine when they name the same URL (a trailing slash aside)."""
    second = DATASOURCE.replace("name: prometheus", "name: thanos").replace("9090}", "9090/}")
    text = documents(
        slo("service: checkout\nindicatorRef: errors\n" + ROLLING + TARGET), SLI_ERRORS
    )
    config = convert(sources(("s.yaml", text), ("ds.yaml", DATASOURCE), ("t.yaml", second)))
    assert config["backend"] == {"url": "http://prometheus:9090"}


# ---- invalid inputs: one exact line per problem ---------------------------------------

# Lines 1-8: the SLO (spec from line 5), line 9: ---, lines 10-17: the SLI "errors".
BASE = documents(slo("service: checkout\nindicatorRef: errors\n" + ROLLING + TARGET), SLI_ERRORS)
POLICY = """\
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: paging}
spec:
  conditions: [{conditionRef: fast}]
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: fast}
spec:
  severity: page
  condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}
"""
# BASE with alertPolicies: paging on line 9: the SLI is on lines 11-18, the policy on
# lines 20-24 and the condition on lines 26-31.
ALERTING = (
    documents(
        slo(
            "service: checkout\nindicatorRef: errors\n"
            + ROLLING
            + TARGET
            + "alertPolicies: [{alertPolicyRef: paging}]\n"
        ),
        SLI_ERRORS,
    )
    + POLICY
)


def broken(old: str, new: str, base: str = BASE) -> str:
    """``base`` with ``old`` replaced by ``new`` (which must be there)."""
    assert old in base, old
    return base.replace(old, new)


SLO_AT = 's.yaml:{}: SLO "checkout": '
SLI_AT = 's.yaml:{}: SLI "errors": '

INVALID = [
    pytest.param(
        broken("target: 0.999", "target: 99.9"),
        [
            SLO_AT.format(8) + "spec.objectives[0].target: target is a ratio between 0 and 1 "
            "(both excluded), e.g. 0.999; got 99.9; for a percentage write targetPercent: 99.9"
        ],
        id="target-given-in-percent",
    ),
    pytest.param(
        broken("{target: 0.999}", "{target: 0.999, targetPercent: 99.9}"),
        [SLO_AT.format(8) + "spec.objectives[0]: give either target or targetPercent, not both"],
        id="target-and-targetPercent",
    ),
    pytest.param(
        broken("{target: 0.999}]", "{target: 0.999}, {target: 0.99}]"),
        [
            SLO_AT.format(8) + "spec.objectives[1]: several objectives are not supported: "
            "write one SLO per objective"
        ],
        id="several-objectives",
    ),
    pytest.param(
        broken("{target: 0.999}", "{target: 0.999, compositeWeight: 2}"),
        [
            SLO_AT.format(8) + "spec.objectives[0].compositeWeight: composite SLOs are not "
            "supported: give the SLO one indicator in spec.indicator or spec.indicatorRef, "
            "and one objective"
        ],
        id="composite-slo",
    ),
    pytest.param(
        broken("{target: 0.999}", "{target: 0.999, op: lte, value: 1}"),
        [
            SLO_AT.format(8) + "spec.objectives[0].op: op and value only apply to a "
            "thresholdMetric SLI",
            SLO_AT.format(8) + "spec.objectives[0].value: op and value only apply to a "
            "thresholdMetric SLI",
        ],
        id="op-and-value-on-a-ratio-sli",
    ),
    pytest.param(
        broken("  objectives", "  budgetMethod: Occurrences\n  objectives"),
        [SLO_AT.format(8) + "spec: unknown field 'budgetMethod' (did you mean 'budgetingMethod'?)"],
        id="unknown-spec-field",
    ),
    pytest.param(
        broken("  service: checkout\n", "  service: checkout\n  service: payments\n"),
        [
            SLO_AT.format(6) + "spec: key 'service' is given twice (first on line 5); YAML "
            "would silently keep only the last one"
        ],
        id="duplicate-yaml-key",
    ),
    pytest.param(
        broken("indicatorRef: errors", "indicatorRef: erors"),
        [SLO_AT.format(6) + "spec.indicatorRef: no SLI named 'erors'; defined: errors"],
        id="dangling-indicatorRef",
    ),
    pytest.param(
        broken("counter: true", "counter: false"),
        [
            SLI_AT.format(15) + "spec.ratioMetric.counter: counter: false (gauges) is not "
            "supported: good and total events are counted with increase() over each window; "
            "for a ratio stored as a metric use raw and rawType"
        ],
        id="gauge-ratio",
    ),
    pytest.param(
        broken("query: http_requests_total}", "query: 'sum(rate(http_requests_total[5m]))'}"),
        [
            SLI_AT.format(17) + "spec.ratioMetric.total.metricSource.spec.query: expected a "
            'plain counter selector such as http_requests_total{code=~"5.."} (the window is '
            "added for you) or a template over {{window}} such as "
            'sum(increase(http_requests_total{code=~"5.."}[{{window}}])), not an aggregation (sum)'
        ],
        id="query-neither-selector-nor-template",
    ),
    pytest.param(
        broken("query: http_requests_total}", "query: http_requests_total offset 1h}"),
        [
            SLI_AT.format(17) + "spec.ratioMetric.total.metricSource.spec.query: remove the "
            "offset; to look further back, set evaluation.delay"
        ],
        id="selector-with-offset",
    ),
    pytest.param(
        broken(
            "{metricSource: {type: Prometheus, spec: {query: http",
            "{metricSource: {type: Datadog, spec: {query: http",
        ),
        [
            SLI_AT.format(17) + "spec.ratioMetric.total.metricSource.type: only Prometheus "
            "metric sources are supported (any PromQL API: Prometheus, Thanos, Mimir, "
            "VictoriaMetrics); got 'Datadog'"
        ],
        id="metric-source-of-another-type",
    ),
    pytest.param(
        broken(
            "{metricSource: {type: Prometheus, spec: {query: http",
            "{metricSource: {metricSourceRef: prom, spec: {query: http",
        ),
        [
            SLI_AT.format(17) + "spec.ratioMetric.total.metricSource.metricSourceRef: no "
            "DataSource named 'prom'; defined: prometheus"
        ],
        id="dangling-metricSourceRef",
    ),
    pytest.param(
        broken("spec: {query: http_requests_total}", "spec: {promql: http_requests_total}"),
        [
            SLI_AT.format(17) + "spec.ratioMetric.total.metricSource.spec: unknown field "
            "'promql' (did you mean 'query'?)"
        ],
        id="metric-source-spec-without-query",
    ),
    pytest.param(
        broken("28d, isRolling: true", "1M, isRolling: true"),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].duration: 1M has no fixed length (months "
            "vary); use m, h, d or w, e.g. 30d, or make it a calendar window (isRolling: false "
            "with calendar)"
        ],
        id="rolling-month",
    ),
    pytest.param(
        broken("28d, isRolling: true", "28 days, isRolling: true"),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].duration: '28 days' is not an OpenSLO "
            "duration; write a whole number and one unit of m, h, d, w, M, Q, Y, e.g. 28d"
        ],
        id="duration-not-shorthand",
    ),
    pytest.param(
        broken(
            "{duration: 28d, isRolling: true}",
            "{duration: 2w, isRolling: false, calendar: {startTime: 2024-01-01, timeZone: UTC}}",
        ),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].duration: calendar windows of 1w, 1M or 1Q "
            "are supported (a week, month or quarter); got 2w"
        ],
        id="calendar-two-weeks",
    ),
    pytest.param(
        broken(
            "{duration: 28d, isRolling: true}",
            "{duration: 1M, isRolling: false, calendar: {startTime: 2024-01-15 08:00:00, "
            "timeZone: UTC}}",
        ),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].calendar.startTime: calendar months start "
            "at midnight on the 1st in timeZone, and every month is counted from that start; "
            "2024-01-15 08:00:00 is not one: use e.g. 2024-01-01 00:00:00"
        ],
        id="calendar-start-off-the-boundary",
    ),
    pytest.param(
        broken(
            "{duration: 28d, isRolling: true}",
            "{duration: 1w, calendar: {startTime: 2024-01-03, timeZone: UTC}}",
        ),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].calendar.startTime: calendar weeks start at "
            "midnight on a Monday in timeZone, and every week is counted from that start; "
            "2024-01-03 00:00:00 is not one: use e.g. 2024-01-01 00:00:00"
        ],
        id="calendar-week-starting-wednesday",
    ),
    pytest.param(
        broken(
            "{duration: 28d, isRolling: true}",
            "{duration: 1Q, isRolling: false, calendar: {startTime: 2024-01-01, "
            "timeZone: Europe/Paris3}}",
        ),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].calendar.timeZone: 'Europe/Paris3' is not "
            "an IANA time zone name, e.g. UTC or Europe/Berlin"
        ],
        id="unknown-time-zone",
    ),
    pytest.param(
        broken(
            "{duration: 28d, isRolling: true}",
            "{duration: 28d, isRolling: true, calendar: {startTime: 2024-01-01, timeZone: UTC}}",
        ),
        [
            SLO_AT.format(7) + "spec.timeWindow[0].calendar: a rolling window has no calendar: "
            "remove calendar, or set isRolling: false"
        ],
        id="rolling-window-with-calendar",
    ),
    pytest.param(
        broken("metadata: {name: checkout}", "metadata: {name: checkout, labels: {team: [a, b]}}"),
        [
            SLO_AT.format(3) + "metadata.labels.team: a list of values is not supported: a "
            "Prometheus label has one value"
        ],
        id="label-with-several-values",
    ),
    pytest.param(
        broken(
            "  objectives: [{target: 0.999}]",
            "  budgetingMethod: Timeslices\n  objectives: [{target: 0.999, timeSliceWindow: 5m}]",
        ),
        [SLO_AT.format(9) + "spec.objectives[0]: missing required field 'timeSliceTarget'"],
        id="timeslices-without-slice-target",
    ),
    pytest.param(
        broken("{target: 0.999}", "{target: 0.999, timeSliceWindow: 5m}"),
        [
            SLO_AT.format(8) + "spec.objectives[0].timeSliceWindow: only used with "
            "budgetingMethod Timeslices or RatioTimeslices; Occurrences counts every event"
        ],
        id="slice-window-with-occurrences",
    ),
    pytest.param(
        broken("  objectives", "  budgetingMethod: Weighted\n  objectives"),
        [
            SLO_AT.format(8) + "spec.budgetingMethod: expected one of Occurrences, Timeslices, "
            "RatioTimeslices; got 'Weighted'"
        ],
        id="unknown-budgeting-method",
    ),
    pytest.param(
        broken(
            "    counter: true\n",
            "    rawType: success\n",
        ),
        [
            SLI_AT.format(14) + "spec.ratioMetric: missing required field 'counter'; write "
            "counter: true; events are counted with increase()",
            SLI_AT.format(15) + "spec.ratioMetric.rawType: rawType goes with raw only",
        ],
        id="rawType-without-raw",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              spec:
                thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'max(lag)'}}}
                ratioMetric: {counter: true}
            timeWindow: [{duration: 28d, isRolling: true}]
            objectives: [{target: 0.99, op: lte, value: 1}]
            """
        ),
        [
            SLO_AT.format(7) + "spec.indicator.spec: give either ratioMetric or thresholdMetric, "
            "not both",
        ],
        id="ratio-and-threshold-metric",
    ),
    pytest.param(
        slo(
            """\
            service: checkout
            indicator:
              spec:
                thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'max(lag)'}}}
            timeWindow: [{duration: 28d, isRolling: true}]
            objectives: [{target: 0.99}]
            """
        ),
        [
            SLO_AT.format(10) + "spec.objectives[0]: missing required field 'op'; a "
            "thresholdMetric SLI needs op and value: a slice is good when `query op value`",
            SLO_AT.format(10) + "spec.objectives[0]: missing required field 'value'; a "
            "thresholdMetric SLI needs op and value: a slice is good when `query op value`",
        ],
        id="threshold-without-op-and-value",
    ),
    pytest.param(
        broken("kind: SLO", "kind: Objective"),
        [
            "s.yaml:2: Objective \"checkout\": kind: unknown kind 'Objective'; OpenSLO v1 kinds "
            "are SLO, SLI, AlertPolicy, AlertCondition, AlertNotificationTarget, Service, "
            "DataSource"
        ],
        id="unknown-kind",
    ),
    pytest.param(
        broken("apiVersion: openslo/v1\nkind: SLO", "apiVersion: openslo/v1alpha\nkind: SLO"),
        [
            SLO_AT.format(1) + "apiVersion: only openslo/v1 is supported, got 'openslo/v1alpha'; "
            "its fields differ, convert the document to v1"
        ],
        id="openslo-v1alpha",
    ),
    pytest.param(
        "backend: {url: 'http://x:9090'}\nslos: []\n---\n" + BASE,
        [
            "s.yaml:1: a native slo-exporter config mixed with OpenSLO documents; keep a config "
            "in one format: one native file, or OpenSLO documents only"
        ],
        id="native-config-mixed-in",
    ),
    pytest.param(
        BASE + "---\n" + SLI_ERRORS,
        [SLI_AT.format(21) + "metadata.name: another SLI is named 'errors' already (s.yaml:10)"],
        id="duplicate-name",
    ),
    pytest.param(
        BASE + "---\napiVersion: openslo/v1\nkind: Service\nmetadata: {name: payments}\nspec: {}\n",
        [SLO_AT.format(5) + "spec.service: no Service named 'checkout'; defined: payments"],
        id="service-not-defined",
    ),
    pytest.param(
        BASE
        + "---\napiVersion: openslo/v1\nkind: AlertNotificationTarget\nmetadata: {name: pager}\n"
        "spec: {target: pagerduty}\n",
        [
            's.yaml:19: AlertNotificationTarget "pager": notification targets are '
            "Alertmanager's job: alert on the exporter's slo_alert_condition series and route "
            "those alerts to receivers in Alertmanager; remove this document and its targetRefs"
        ],
        id="notification-target-document",
    ),
    pytest.param(
        broken(
            "  conditions: [{conditionRef: fast}]",
            "  conditions: [{conditionRef: fast}]\n  notificationTargets: [{targetRef: pager}]",
            base=ALERTING,
        ),
        [
            's.yaml:25: AlertPolicy "paging": spec.notificationTargets: notification targets are '
            "Alertmanager's job: alert on the exporter's slo_alert_condition series and route "
            "those alerts to receivers in Alertmanager; remove notificationTargets"
        ],
        id="policy-notification-targets",
    ),
    pytest.param(
        broken(
            "  conditions: [{conditionRef: fast}]",
            "  alertWhenResolved: true\n  conditions: [{conditionRef: fast}]",
            base=ALERTING,
        ),
        [
            's.yaml:24: AlertPolicy "paging": spec.alertWhenResolved: resolved notifications are '
            "Alertmanager's job (send_resolved in its receiver); remove this or set it to false"
        ],
        id="policy-alert-when-resolved",
    ),
    pytest.param(
        broken("alertPolicyRef: paging", "alertPolicyRef: pageing", base=ALERTING),
        [
            SLO_AT.format(9) + "spec.alertPolicies[0].alertPolicyRef: no AlertPolicy named "
            "'pageing'; defined: paging"
        ],
        id="dangling-alertPolicyRef",
    ),
    pytest.param(
        broken("op: gt,", "op: lt,", base=ALERTING),
        [
            's.yaml:31: AlertCondition "fast": spec.condition.op: a burn-rate condition fires '
            "above its threshold: op must be gt or gte; got 'lt'"
        ],
        id="condition-op-below",
    ),
    pytest.param(
        broken("kind: burnrate", "kind: threshold", base=ALERTING),
        [
            's.yaml:31: AlertCondition "fast": spec.condition.kind: only burnrate conditions are '
            "supported; got 'threshold'"
        ],
        id="condition-kind-not-burnrate",
    ),
    pytest.param(
        broken("alertAfter: 5m", "alertAfter: 1h", base=ALERTING),
        [
            's.yaml:31: AlertCondition "fast": spec.condition.alertAfter: alertAfter is the short '
            "window and must be shorter than lookbackWindow (the long window), e.g. 1h and 5m"
        ],
        id="alertAfter-not-shorter",
    ),
    pytest.param(
        broken("threshold: 14.4", "threshold: 0", base=ALERTING),
        [
            's.yaml:31: AlertCondition "fast": spec.condition.threshold: threshold is a burn rate, '
            "a positive number such as 14.4; got 0"
        ],
        id="condition-threshold-zero",
    ),
    pytest.param(
        broken(
            "[{conditionRef: fast}]", "[{conditionRef: fast}, {conditionRef: fast}]", base=ALERTING
        ),
        [
            SLO_AT.format(9) + "spec.alertPolicies[0]: the alert (severity page, lookbackWindow "
            '1h, short window 5m) is given by AlertCondition "fast" twice; each must be unique '
            "per SLO"
        ],
        id="same-alert-twice",
    ),
    pytest.param(
        documents(
            slo(
                "service: checkout\nindicatorRef: errors\n"
                + ROLLING
                + TARGET
                + "alertPolicies:\n  - spec:\n      conditions:\n        - spec:\n"
                "            severity: page\n"
                "            condition: {kind: burnrate, op: lt, threshold: 2, "
                "lookbackWindow: 1h}\n"
            ),
            SLI_ERRORS,
        ),
        [
            SLO_AT.format(14) + "spec.alertPolicies[0].spec.conditions[0].spec.condition.op: a "
            "burn-rate condition fires above its threshold: op must be gt or gte; got 'lt'"
        ],
        id="inline-condition-reported-inside-the-slo",
    ),
    pytest.param(
        BASE + "---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: dd}\n"
        "spec: {type: Datadog, connectionDetails: {url: 'http://prometheus:9090'}}\n",
        [
            's.yaml:22: DataSource "dd": spec.type: only Prometheus data sources are supported '
            "(any PromQL HTTP API: Prometheus, Thanos, Mimir, VictoriaMetrics); got 'Datadog'"
        ],
        id="datasource-of-another-type",
    ),
    pytest.param(
        BASE + "---\napiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: other}\n"
        "spec:\n  type: Prometheus\n  connectionDetails: {url: 'http://other:9090', token: x}\n",
        [
            's.yaml:24: DataSource "other": spec.connectionDetails.token: not supported: only url '
            "is read from a DataSource; for credentials, headers or TLS, convert to a native "
            "config (slo-exporter convert) and set them under backend",
            'ds.yaml:6: DataSource "prometheus": spec.connectionDetails.url: one backend per '
            "config: DataSource 'other' (s.yaml:19) gives a different url; slo-exporter queries "
            "one PromQL API",
        ],
        id="second-backend-and-credentials",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_unsupported_openslo_is_one_exact_line_per_problem(text: str, expected: list[str]):
    """Every problem is one line naming file, line, object and OpenSLO field, nothing more."""
    with pytest.raises(ConfigError) as caught:
        convert(with_datasource(text))
    assert list(caught.value.problems) == expected


def test_at_least_fifteen_kinds_of_mistakes_are_covered():
    """The invalid table is broad: well over fifteen distinct mistakes."""
    assert len(INVALID) >= 15


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            [("s.yaml", BASE)],
            [
                SLO_AT.format(1) + "no DataSource given: add one of type Prometheus with "
                "connectionDetails.url, the PromQL API to query"
            ],
            id="no-datasource",
        ),
        pytest.param(
            [("s.yaml", SLI_ERRORS), ("ds.yaml", DATASOURCE)],
            ["s.yaml: no SLO documents (kind: SLO) found; nothing to evaluate"],
            id="no-slo",
        ),
        pytest.param(
            [("n.yaml", "backend: {url: 'http://x:9090'}\nslos: []\n")],
            ["n.yaml: no OpenSLO documents (apiVersion: openslo/v1) found"],
            id="not-openslo-at-all",
        ),
    ],
)
def test_whole_input_problems(files: list[tuple[str, str]], expected: list[str]):
    """Problems of the input as a whole (no backend, no SLO, no OpenSLO) are reported once."""
    with pytest.raises(ConfigError) as caught:
        convert(sources(*files))
    assert list(caught.value.problems) == expected


def test_every_problem_is_reported_at_once_in_file_and_line_order():
    """Problems in several documents and files all come out together, ordered by file then line."""
    text = broken("target: 0.999", "target: 2").replace("counter: true", "counter: maybe")
    other = DATASOURCE.replace("type: Prometheus", "type: Graphite")
    with pytest.raises(ConfigError) as caught:
        convert(sources(("a.yaml", text), ("b.yaml", other)))
    assert list(caught.value.problems) == [
        'a.yaml:8: SLO "checkout": spec.objectives[0].target: target is a ratio between 0 and '
        "1 (both excluded), e.g. 0.999; got 2; for a percentage write targetPercent: 2",
        'a.yaml:15: SLI "errors": spec.ratioMetric.counter: expected true or false, got the '
        "string 'maybe'",
        'b.yaml:5: DataSource "prometheus": spec.type: only Prometheus data sources are '
        "supported (any PromQL HTTP API: Prometheus, Thanos, Mimir, VictoriaMetrics); got "
        "'Graphite'",
    ]


# ---- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"apiVersion": "openslo/v1", "kind": "SLO"}, True),
        ({"apiVersion": "openslo/v1alpha", "kind": "SLO"}, True),
        ([{"apiVersion": "openslo/v1"}, {"apiVersion": "openslo/v1"}], True),
        ([{"backend": {}}, {"apiVersion": "openslo/v1"}], True),
        ({"backend": {"url": "http://x"}, "slos": []}, False),
        ({"apiVersion": "v1", "kind": "ConfigMap"}, False),
        ([], False),
        (None, False),
        ("openslo/v1", False),
    ],
)
def test_openslo_is_recognised_by_api_version(data: object, expected: bool):
    """A document (or a list holding one) with an openslo/ apiVersion is OpenSLO; native is not."""
    assert is_openslo(data) is expected


# ---- multi-document YAML ----------------------------------------------------------------


def test_multi_document_yaml_keeps_file_lines_and_empty_documents():
    """Each document's lines are the file's lines; empty documents stay, as None."""
    documents_ = load_yaml_all("a: 1\n---\n---\nb:\n  c: 2\n...\n---\n- x\n")
    assert [document.data for document in documents_] == [{"a": 1}, None, {"b": {"c": 2}}, ["x"]]
    assert documents_[0].line_of(("a",)) == 1
    assert documents_[2].line_of(("b", "c")) == 5
    assert documents_[3].line_of((0,)) == 8


def test_multi_document_yaml_reports_duplicate_keys_per_document():
    """A key given twice in one document is recorded; the same key in two documents is not."""
    first, second = load_yaml_all("a: 1\nb: 2\n---\na: 3\na: 4\n")
    assert first.duplicates == []
    assert [(d.key, d.line, d.first_line) for d in second.duplicates] == [("a", 5, 4)]


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\n---\nb: [1, 2\n", 4), ("a: 1\n---\nx: !!python/object:os.system {}\n", 3)],
)
def test_multi_document_yaml_syntax_errors_have_file_lines(text: str, line: int):
    """A syntax error (or an unsafe tag) in a later document names the file's line."""
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml_all(text)
    assert caught.value.line == line


# ---- files and directories --------------------------------------------------------------


def test_directory_resolves_references_across_files():
    """A directory's *.yaml and *.yml files are read in name order; refs resolve across them."""
    found = read_openslo(FIXTURES / "multi")
    names = [Path(name).name for name, _ in found]
    assert names == ["a-slo.yaml", "b-sli.yml", "c-alerts.yaml", "c-alerts.yaml", "d-source.yaml"]
    assert convert(found) == {
        "backend": {"url": "http://prometheus:9090"},
        "slos": [
            {
                "name": "checkout-availability",
                "service": "checkout",
                "objective": 99.9,
                "period": "28d",
                "sli": {
                    "ratio": {
                        "bad": 'http_requests_total{service="checkout",code=~"5.."}',
                        "total": 'http_requests_total{service="checkout"}',
                    }
                },
                "alerts": [
                    {
                        "severity": "page",
                        "long_window": "1h",
                        "short_window": "5m",
                        "burn_rate": 14.4,
                    }
                ],
            }
        ],
    }


def test_single_file_with_every_kind():
    """One file with several documents converts the same as the directory it was split from."""
    text = "---\n".join(
        path.read_text() for path in sorted((FIXTURES / "multi").iterdir()) if path.suffix != ".txt"
    )
    assert convert(sources(("all.yaml", text))) == convert(read_openslo(FIXTURES / "multi"))


def test_problems_across_files_name_the_right_file(tmp_path: Path):
    """A dangling ref and a name repeated in another file are reported in the files they are in."""
    (tmp_path / "1.yaml").write_text(BASE.replace("indicatorRef: errors", "indicatorRef: latency"))
    (tmp_path / "2.yaml").write_text(SLI_ERRORS)
    (tmp_path / "3.yml").write_text(DATASOURCE)
    with pytest.raises(ConfigError) as caught:
        convert(read_openslo(tmp_path))
    assert list(caught.value.problems) == [
        f'{tmp_path / "1.yaml"}:6: SLO "checkout": spec.indicatorRef: no SLI named '
        "'latency'; defined: errors",
        f'{tmp_path / "2.yaml"}:3: SLI "errors": metadata.name: another SLI is named '
        f"'errors' already ({tmp_path / '1.yaml'}:10)",
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"a.yaml": "kind: SLO\n---\nx: [1\n"}, ["{d}/a.yaml:4:1: invalid YAML: "], id="syntax"
        ),
        pytest.param(
            {"a.yaml": b"\xff\xfe"},
            ["{d}/a.yaml: cannot read the config file: it is not UTF-8"],
            id="not-utf8",
        ),
        pytest.param(
            {"notes.txt": "x"}, ["{d}: no *.yaml or *.yml files in this directory"], id="empty"
        ),
    ],
)
def test_unreadable_directories_are_config_errors(
    tmp_path: Path, files: dict[str, str | bytes], expected: list[str]
):
    """A directory without YAML, or with a file that is not UTF-8 or not YAML, is a ConfigError."""
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        read_openslo(tmp_path)
    assert len(caught.value.problems) == len(expected)
    for problem, start in zip(caught.value.problems, expected, strict=True):
        assert problem.startswith(start.format(d=tmp_path)), problem


def test_missing_path_is_a_config_error(tmp_path: Path):
    """A path that does not exist is a ConfigError naming it, not a traceback."""
    with pytest.raises(ConfigError) as caught:
        read_openslo(tmp_path / "nope.yaml")
    assert caught.value.problems == (
        f"{tmp_path / 'nope.yaml'}: cannot read the config file: No such file or directory",
    )


# ---- origins: native findings reported in OpenSLO terms -----------------------------------


def test_every_native_field_knows_its_openslo_origin():
    """Each native path maps back to the file, line, object and OpenSLO field it came from."""
    converted = convert_located(read_openslo(FIXTURES / "multi"))
    a, b, c, d = (
        str(FIXTURES / "multi" / n)
        for n in ("a-slo.yaml", "b-sli.yml", "c-alerts.yaml", "d-source.yaml")
    )
    where = {
        path: converted.locate(path).format("x")  # type: ignore[union-attr]
        for path in [
            ("backend", "url"),
            ("slos", 0),
            ("slos", 0, "objective"),
            ("slos", 0, "period"),
            ("slos", 0, "sli"),
            ("slos", 0, "sli", "ratio", "bad"),
            ("slos", 0, "alerts", 0, "short_window"),
            ("slos", 0, "labels", "team", "[key]"),
        ]
    }
    assert where == {
        ("backend", "url"): f'{d}:8: DataSource "prometheus": spec.connectionDetails.url: x',
        ("slos", 0): f'{a}:1: SLO "checkout-availability": x',
        ("slos", 0, "objective"): f'{a}:14: SLO "checkout-availability": '
        "spec.objectives[0].target: x",
        ("slos", 0, "period"): f'{a}:11: SLO "checkout-availability": '
        "spec.timeWindow[0].duration: x",
        ("slos", 0, "sli"): f'{a}:8: SLO "checkout-availability": spec.indicatorRef: x',
        ("slos", 0, "sli", "ratio", "bad"): f'{b}:12: SLI "checkout-errors": '
        "spec.ratioMetric.bad.metricSource.spec.query: x",
        ("slos", 0, "alerts", 0, "short_window"): f'{c}:19: AlertCondition "fast-burn": '
        "spec.condition.alertAfter: x",
        ("slos", 0, "labels", "team", "[key]"): f'{a}:1: SLO "checkout-availability": x',
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            broken("metadata: {name: checkout}", "metadata: {name: 'check out'}"),
            [
                "s.yaml:3: SLO \"check out\": metadata.name: name 'check out' may only contain "
                "letters, digits, '_', '.', ':' and '-'"
            ],
            id="slo-name-characters",
        ),
        pytest.param(
            broken("metadata: {name: checkout}", "metadata: {name: checkout, labels: {slo: x}}"),
            [
                SLO_AT.format(3) + "metadata.labels.slo: label name 'slo' is reserved: "
                "slo-exporter sets le, long_window, service, severity, short_window, slo, "
                "status, window itself"
            ],
            id="reserved-label-name",
        ),
    ],
)
def test_native_schema_findings_point_at_the_openslo_field(text: str, expected: list[str]):
    """What only the native schema checks is still reported at the OpenSLO file, line and field."""
    converted = convert_located(with_datasource(text))
    with pytest.raises(ConfigError) as caught:
        check_native(converted)
    assert list(caught.value.problems) == expected
