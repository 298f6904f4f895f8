"""Rules for a grouped SLO: exporter mode alerts per group, native mode leaves it out."""

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


def test_native_mode_leaves_a_grouped_slo_out_with_the_reason(tmp_path):
    """Native rules sum fixed series; a grouped SLO is left out, saying why."""
    rules = tmp_path / "native.yaml"
    outcome = run_rules(
        "-c", str(SCENARIOS / "grouped_slos.yaml"), "--mode", "native", "-o", str(rules),
        "--skip-unsupported",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert "api-availability" in outcome.stderr
    assert "groups are found at evaluation time" in outcome.stderr
