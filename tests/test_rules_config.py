"""The config keys of ``slo-exporter rules``: the ``alerting`` section and per-SLO links."""

from __future__ import annotations

import textwrap

import pytest
from config_text import load_text

from exporter.config.links import expand_url
from exporter.errors import ConfigError
from exporter.settings import AlertingSettings

SOURCE = "c.yaml"
HEAD = """\
backend:
  url: http://127.0.0.1:9090
"""
SLOS = """\
slos:
  - name: checkout-availability
    service: check out
    objective: 99.9
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}
        total: http_requests_total
"""


def config(alerting: str, slos: str = SLOS) -> str:
    """HEAD (lines 1-2), then ``alerting`` (dedented, from line 3), then ``slos``."""
    return HEAD + textwrap.dedent(alerting) + slos


def problems(text: str) -> tuple[str, ...]:
    """The problems ConfigError lists for ``text``; fails if it loads."""
    with pytest.raises(ConfigError) as caught:
        load_text(text, SOURCE)
    return caught.value.problems


def test_alerting_defaults_without_the_section():
    """A config without ``alerting`` gets the documented defaults and no links."""
    settings = load_text(HEAD + SLOS, SOURCE)
    assert settings.alerting == AlertingSettings()
    assert settings.alerting.severity("page") == "page"
    (slo,) = settings.slos
    assert (slo.runbook_url, slo.dashboard_url) == ("", "")


def test_every_alerting_key_is_read():
    """Each alerting key lands in AlertingSettings, durations in seconds."""
    settings = load_text(
        config(
            """\
            alerting:
              severity_names: {page: critical, ticket: warning}
              exhausted_severity: page
              exhausted_for: 0s
              data_missing_severity: page
              data_missing_for: 30m
              exporter_severity: ticket
              exporter_job: slos
              exporter_down_for: 2m
              stale_after: 20m
              native_interval: 30s
              native_offset: 0s
            """
        ),
        SOURCE,
    )
    alerting = settings.alerting
    assert dict(alerting.severity_names) == {"page": "critical", "ticket": "warning"}
    assert (alerting.severity("page"), alerting.severity("ticket")) == ("critical", "warning")
    assert alerting.severity("other") == "other"
    assert (alerting.exhausted_severity, alerting.exhausted_for) == ("page", 0)
    assert (alerting.data_missing_severity, alerting.data_missing_for) == ("page", 1800)
    assert (alerting.exporter_severity, alerting.exporter_job) == ("ticket", "slos")
    assert (alerting.exporter_down_for, alerting.stale_after) == (120, 1200)
    assert (alerting.native_interval, alerting.native_offset) == (30, 0)


@pytest.mark.parametrize(
    ("evaluation", "stale_after"), [("30s", 600), ("5m", 900), ("1h", 3 * 3600)]
)
def test_stale_after_defaults_to_three_cycles_or_10m(evaluation: str, stale_after: int):
    """Without alerting.stale_after, evaluations are stale after 10m or three cycles."""
    text = HEAD + f"evaluation: {{interval: {evaluation}}}\n" + SLOS
    assert load_text(text, SOURCE).alerting.stale_after == stale_after


def test_links_default_from_alerting_and_are_url_encoded():
    """alerting's URL templates fill {slo} and {service} (encoded); an SLO's own URL wins."""
    slos = SLOS + textwrap.indent(
        textwrap.dedent(
            """\
            - name: search
              service: search
              objective: 99
              runbook_url: https://wiki.example.com/search
              sli:
                ratio: {good: a_total, total: b_total}
            """
        ),
        "  ",
    )
    settings = load_text(
        config(
            """\
            alerting:
              runbook_url: https://runbooks.example.com/{service}/{slo}
              dashboard_url: https://grafana.example.com/d/slo?var-slo={slo}&from=now-7d
            """,
            slos,
        ),
        SOURCE,
    )
    checkout, search = settings.slos
    assert checkout.runbook_url == "https://runbooks.example.com/check%20out/checkout-availability"
    assert checkout.dashboard_url == (
        "https://grafana.example.com/d/slo?var-slo=checkout-availability&from=now-7d"
    )
    assert search.runbook_url == "https://wiki.example.com/search"
    assert search.dashboard_url == "https://grafana.example.com/d/slo?var-slo=search&from=now-7d"


def test_expand_url_leaves_other_braces_alone():
    """Only {slo} and {service} are placeholders; JSON in a link stays as it is."""
    url = 'https://g/explore?left={"q":"x"}&slo={slo}'
    assert expand_url(url, "a/b", "s") == 'https://g/explore?left={"q":"x"}&slo=a%2Fb'


@pytest.mark.parametrize(
    ("alerting", "expected"),
    [
        (
            "alerting:\n  exporter_jobb: x\n",
            "c.yaml:4: alerting: unknown field 'exporter_jobb' (did you mean 'exporter_job'?)",
        ),
        (
            "alerting:\n  stale_after: 10\n",
            "c.yaml:4: alerting.stale_after: 10 has no unit: write a duration such as 10s, "
            "5m or 1h",
        ),
        (
            "alerting:\n  stale_after: 1m\n",
            "c.yaml:4: alerting.stale_after: must be longer than two evaluation intervals (1m), "
            "or the stale-evaluation alert fires between two healthy cycles",
        ),
        (
            "alerting:\n  runbook_url: https://wiki/{name}\n",
            "c.yaml:4: alerting.runbook_url: unknown placeholder {name}; use {slo} or {service}",
        ),
        (
            "alerting:\n  dashboard_url: grafana/d/x\n",
            "c.yaml:4: alerting.dashboard_url: expected an http:// or https:// URL, "
            "got 'grafana/d/x'",
        ),
        (
            "alerting:\n  dashboard_url: 'https://g/d?slo={{ $labels.slo }}'\n",
            "c.yaml:4: alerting.dashboard_url: write {slo} or {service} as placeholders; "
            "{{...}} is not expanded here",
        ),
        (
            "alerting:\n  severity_names: {page: ''}\n",
            "c.yaml:4: alerting.severity_names.page: label value is empty; Prometheus treats an "
            "empty label as absent",
        ),
        (
            "alerting:\n  native_offset: -1m\n",
            "c.yaml:4: alerting.native_offset: '-1m' is not a duration: use a number and a "
            "unit, e.g. 30s, 5m, 1h30m, 30d",
        ),
    ],
)
def test_alerting_mistakes_are_one_line_each(alerting: str, expected: str):
    """A wrong alerting key or value is one line naming the file, line and field."""
    assert problems(HEAD + alerting + SLOS) == (expected,)


def test_slo_link_mistakes_name_the_slo():
    """A bad per-SLO runbook_url names the SLO and the field."""
    slos = SLOS.replace("    service: check out\n", "    service: x\n    runbook_url: ftp://x\n")
    assert problems(HEAD + slos) == (
        'c.yaml:6: slos[0] "checkout-availability": runbook_url: expected an http:// or '
        "https:// URL, got 'ftp://x'",
    )
