"""An SLO's ``alert_name`` and its alerts' ``labels`` and ``annotations`` reach the rule files.

Sloth's ``alerting.name``, alert labels and annotations (and Pyrra's
``alerting.name``) map to these native fields; both rule modes write them on
the SLO's burn alerts, and ``promtool check rules`` accepts the result.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_server import find_binary

from exporter.config.loader import load_config
from exporter.rules.exporter_mode import exporter_groups
from exporter.rules.native import native_groups

CONFIG = """\
backend: {url: 'http://prometheus:9090'}
slos:
  - name: api
    service: api
    objective: 99.5
    labels: {team: a, channel: general}
    alert_name: ApiHighErrorRate
    sli:
      ratio:
        bad: 'x_total{code=~"5.."}'
        total: x_total
    alerts:
      - severity: page
        long_window: 1h
        short_window: 5m
        burn_rate: 14.4
        labels: {channel: pager}
        annotations: {runbook: 'https://runbooks.example/api'}
      - {severity: ticket, long_window: 1d, short_window: 2h, burn_rate: 3}
"""


@pytest.fixture
def settings(tmp_path: Path):
    """The config above, loaded."""
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG)
    return load_config(path)


def burn_alerts(groups: list[dict]) -> dict[str, dict]:
    """The burn alerts of ``groups`` by severity."""
    return {
        rule["labels"]["severity"]: rule
        for group in groups
        for rule in group["rules"]
        if rule.get("alert") == "ApiHighErrorRate"
    }


@pytest.mark.parametrize("mode", ["exporter", "native"])
def test_burn_alerts_carry_the_name_labels_and_annotations(settings, mode):
    """The page has the alert's labels (over the SLO's) and annotations; the ticket has none."""
    groups = (
        exporter_groups(settings)
        if mode == "exporter"
        else native_groups(settings.slos, settings.alerting)
    )
    alerts = burn_alerts(groups)
    assert set(alerts) == {"page", "ticket"}
    assert alerts["page"]["labels"] == {
        "slo": "api",
        "service": "api",
        "severity": "page",
        "team": "a",
        "channel": "pager",
    }
    assert alerts["page"]["annotations"]["runbook"] == "https://runbooks.example/api"
    assert alerts["ticket"]["labels"]["channel"] == "general"
    assert "runbook" not in alerts["ticket"]["annotations"]


@pytest.mark.integration  # runs promtool
@pytest.mark.parametrize("mode", ["exporter", "native"])
def test_promtool_accepts_them(settings, tmp_path, mode):
    """``promtool check rules`` accepts the rule file with the custom name and labels."""
    groups = (
        exporter_groups(settings)
        if mode == "exporter"
        else native_groups(settings.slos, settings.alerting)
    )
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    done = subprocess.run(
        [find_binary("promtool", "PROMTOOL_BIN"), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
