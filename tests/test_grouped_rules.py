"""Rules for a grouped SLO: exporter mode alerts per group, native mode records per group."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rules_cli import run_rules
from test_rules_promtool import promtool

SCENARIOS = Path(__file__).resolve().parent / "rules"


@pytest.mark.integration
def test_exporter_mode_pages_for_the_burning_group_alone(tmp_path):
    """promtool: of two routes, only the one whose condition holds pages, with its route."""
    rules = tmp_path / "grouped.yaml"
    outcome = run_rules("-c", str(SCENARIOS / "grouped_slos.yaml"), "-o", str(rules))
    assert outcome.code == 0, outcome.stderr
    assert "by (slo, route)" in rules.read_text()
    scenarios = shutil.copy(SCENARIOS / "grouped_test.yaml", tmp_path)
    result = promtool("test", "rules", str(scenarios))
    if result.returncode != 0:
        pytest.fail(f"promtool test rules failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.mark.integration
def test_native_mode_records_each_group_and_promtool_accepts_it(tmp_path):
    """Native rules sum a grouped SLO's step events by its group labels; promtool checks them."""
    rules = tmp_path / "native.yaml"
    outcome = run_rules(
        "-c", str(SCENARIOS / "grouped_slos.yaml"), "--mode", "native", "-o", str(rules)
    )
    assert outcome.code == 0, outcome.stderr
    assert "sum by (route) (" in rules.read_text()
    checked = promtool("check", "rules", str(rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_native_mode_leaves_out_a_grouped_gauge_with_the_reason(tmp_path):
    """Native rules group counters only: a grouped bool_gauge SLO is left out, saying why."""
    config = tmp_path / "gauge.yaml"
    config.write_text(
        (SCENARIOS / "grouped_slos.yaml")
        .read_text()
        .replace(
            """      ratio:
        bad: api_requests_total{code=~"5.."}
        total: api_requests_total""",
            "      bool_gauge: {metric: probe_success}",
        )
    )
    outcome = run_rules(
        "-c", str(config), "--mode", "native", "-o", str(tmp_path / "native.yaml"),
        "--skip-unsupported",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert "api-availability" in outcome.stderr
    assert "native rules group counters only" in outcome.stderr
