"""Generated rules as Prometheus' own tool sees them: valid everywhere, right in time.

``promtool check rules`` must accept every output (both modes, both formats) of every
config in ``config/`` and of the test config; ``promtool test rules`` runs the hand-written
scenarios in ``tests/rules/`` against rules generated from ``tests/rules/slos.yaml``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_server import find_binary
from rules_cli import parse_yaml, run_rules
from truth import write_config

pytestmark = pytest.mark.integration  # every test runs promtool

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "rules"
CONFIGS = sorted(p.name for p in (ROOT / "config").glob("*.yaml"))
MODES = ("exporter", "native")
FORMATS = ("rules", "prometheusrule")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_binary("promtool", "PROMTOOL_BIN"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _rule_file(output: Path, fmt: str, workdir: Path) -> Path:
    """The rule file to check: the output itself, or a PrometheusRule's spec.groups."""
    if fmt == "rules":
        return output
    manifest = parse_yaml(output.read_text())
    assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
    assert manifest["kind"] == "PrometheusRule"
    extracted = workdir / f"{output.stem}.groups.yaml"
    extracted.write_text(yaml.safe_dump({"groups": manifest["spec"]["groups"]}))
    return extracted


def _check(config: Path, mode: str, fmt: str, workdir: Path) -> None:
    output = workdir / f"{config.stem}-{mode}-{fmt}.yaml"
    outcome = run_rules(
        "-c", str(config), "--mode", mode, "--format", fmt, "-o", str(output),
        "--skip-unsupported",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    checked = promtool("check", "rules", str(_rule_file(output, fmt, workdir)))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CONFIGS)
def test_promtool_accepts_rules_of_every_shipped_config(name, mode, fmt, tmp_path):
    """`promtool check rules` passes on each config/ file's rules, in both modes and formats."""
    _check(ROOT / "config" / name, mode, fmt, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_promtool_accepts_rules_of_the_test_config(mode, fmt, tmp_path):
    """`promtool check rules` passes on the test config's rules (every SLI kind it has)."""
    _check(write_config(tmp_path, "http://127.0.0.1:9090"), mode, fmt, tmp_path)


@pytest.mark.parametrize("mode", MODES)
def test_promtool_unit_tests_pass(mode, tmp_path):
    """The scenarios in tests/rules/<mode>_test.yaml pass against freshly generated rules:
    a 20x burn pages in time and resolves, a 2x burn opens only a ticket, healthy and zero
    traffic raise nothing, missing data and a missing exporter are reported."""
    rules = tmp_path / f"{mode}.yaml"
    outcome = run_rules("-c", str(SCENARIOS / "slos.yaml"), "--mode", mode, "-o", str(rules))
    assert outcome.code == 0, outcome.stderr
    scenarios = shutil.copy(SCENARIOS / f"{mode}_test.yaml", tmp_path)
    result = promtool("test", "rules", str(scenarios))
    if result.returncode != 0:
        pytest.fail(f"promtool test rules failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
