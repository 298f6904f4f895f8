"""``slo-exporter convert -c PATH``: OpenSLO in, the equivalent native config printed."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from config_text import load_text
from test_openslo import VALID, with_datasource

from exporter.config.convert_command import register
from exporter.config.loader import load_config
from exporter.config.openslo_input import check_native
from exporter.domain.model import BurnRateRule, QuerySLI, RatioSLI
from exporter.openslo import convert, convert_located, read_openslo
from exporter.openslo.dump import to_yaml
from exporter.watch import fingerprint

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "config" / "openslo"
NATIVE_EQUIVALENT = Path(__file__).resolve().parent / "openslo" / "native-equivalent.yaml"

SMALL = """\
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prometheus}
spec: {type: Prometheus, connectionDetails: {url: 'http://prometheus:9090'}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout, labels: {team: payments}}
spec:
  description: |
    Checkout requests that do not fail.
    Counted at the load balancer.
  service: checkout
  indicator:
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code!~"5.."}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: '{__name__="http_requests_total"}'}}}
  timeWindow: [{duration: 4w, isRolling: true}]
  objectives: [{target: 0.999}]
  alertPolicies:
    - spec:
        conditions:
          - spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}
"""

SMALL_NATIVE = """\
# slo-exporter native config, converted from OpenSLO by `slo-exporter convert`:
#   {path}
backend:
  url: http://prometheus:9090
slos:
  - name: checkout
    service: checkout
    description: |
      Checkout requests that do not fail.
      Counted at the load balancer.
    labels:
      team: payments
    objective: 99.9
    period: 28d
    sli:
      ratio:
        good: http_requests_total{{code!~"5.."}}
        total: '{{__name__="http_requests_total"}}'
    alerts:
      - severity: page
        long_window: 1h
        short_window: 5m
        burn_rate: 14.4
"""


def run_convert(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Parse ``convert -c PATH`` the way the CLI does, run it; exit code, stdout, stderr."""
    parser = argparse.ArgumentParser(prog="slo-exporter")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["convert", "-c", str(path)])
    code = args.handler(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_convert_prints_readable_native_yaml(tmp_path: Path, capsys):
    """The printed config names its sources and reads like a hand-written native config."""
    path = tmp_path / "slos.yaml"
    path.write_text(SMALL)
    code, out, err = run_convert(path, capsys)
    assert (code, err) == (0, "")
    assert out == SMALL_NATIVE.format(path=path)


def test_convert_output_is_deterministic_and_is_the_converted_dict(capsys):
    """Two runs print the same bytes, and the YAML holds exactly what convert() returns."""
    first = run_convert(EXAMPLES, capsys)
    second = run_convert(EXAMPLES, capsys)
    assert first == second
    code, out, _ = first
    assert code == 0
    assert yaml.safe_load(out) == convert(read_openslo(EXAMPLES))
    assert [line for line in out.splitlines() if line.startswith("#   ")] == [
        f"#   {EXAMPLES / name}"
        for name in (
            "alerting.yaml",
            "checkout.yaml",
            "datasource.yaml",
            "search.yaml",
            "services.yaml",
        )
    ]


def test_converted_examples_load_like_their_native_equivalent(capsys):
    """The printed config loads with the native loader into exactly the hand-written config."""
    code, out, _ = run_convert(EXAMPLES, capsys)
    assert code == 0
    converted = load_text(out, "converted.yaml")
    assert converted == load_text(NATIVE_EQUIVALENT.read_text(), "converted.yaml")
    checkout, search = converted.slos
    assert checkout.sli == RatioSLI(
        total='http_requests_total{service="checkout"}',
        bad='http_requests_total{service="checkout",code=~"5.."}',
    )
    assert (checkout.objective, checkout.period, dict(checkout.labels)) == (
        99.9,
        30 * 86400,
        {"team": "payments"},
    )
    assert checkout.alerts == (
        BurnRateRule("page", 3600, 300, 14.4),
        BurnRateRule("page", 6 * 3600, 1800, 6),
        BurnRateRule("ticket", 86400, 2 * 3600, 3),
        BurnRateRule("ticket", 3 * 86400, 6 * 3600, 1),
    )
    assert search.sli == QuerySLI(
        total='sum(increase(search_requests_total{service="search"}[{{window}}]))',
        bad='sum(increase(search_errors_total{service="search"}[{{window}}]))',
    )
    assert (search.objective, search.period) == (99, 7 * 86400)
    assert converted.backend.url == "http://127.0.0.1:9090"


# Cases of test_openslo.VALID that need the native calendar, budgeting, raw and threshold
# support (exporter/config/schema.py); every other case uses ratio, query, rolling periods
# and alerts only.
NEWER_NATIVE = {
    "calendar-month",
    "calendar-week-starting-monday",
    "calendar-quarter-isRolling-implied",
    "timeslices",
    "ratio-timeslices",
    "raw-success",
    "raw-failure-counter-is-irrelevant",
    "threshold-takes-op-and-value-from-objective",
}


def _valid(newer: bool) -> list:
    return [case for case in VALID if (case.id in NEWER_NATIVE) is newer]


def _round_trip(text: str, expected: dict) -> None:
    converted = convert(with_datasource(text))
    printed = to_yaml(converted, ["s.yaml", "ds.yaml"])
    assert yaml.safe_load(printed) == converted
    assert converted["slos"] == [expected]
    settings = load_text(printed, "converted.yaml")
    assert [slo.name for slo in settings.slos] == [expected["name"]]


@pytest.mark.parametrize(("text", "expected"), _valid(newer=False))
def test_printed_config_loads_with_the_native_loader(text: str, expected: dict):
    """Ratio, query, rolling and alert conversions print YAML the native loader accepts."""
    _round_trip(text, expected)


@pytest.mark.parametrize(("text", "expected"), _valid(newer=True))
def test_printed_calendar_budgeting_raw_threshold_load_natively(text: str, expected: dict):
    """Calendar, timeslice, raw and threshold conversions print YAML the native loader accepts."""
    _round_trip(text, expected)


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_every_valid_case_passes_the_native_schema_check(text: str, expected: dict):
    """check_native, which convert runs before printing, accepts every valid conversion."""
    converted = convert_located(with_datasource(text))
    check_native(converted)
    assert converted.config["slos"] == [expected]


def test_convert_reports_problems_on_stderr_with_exit_code_1(tmp_path: Path, capsys):
    """An unsupported OpenSLO field prints one line per problem on stderr, nothing on stdout."""
    shutil.copytree(EXAMPLES, tmp_path / "slos")
    checkout = tmp_path / "slos" / "checkout.yaml"
    checkout.write_text(
        checkout.read_text()
        .replace("counter: true", "counter: false")
        .replace("target: 0.999", "target: 99.9")
    )
    code, out, err = run_convert(tmp_path / "slos", capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f'{checkout}:10: SLI "checkout-server-errors": spec.ratioMetric.counter: counter: false '
        "(gauges) is not supported: good and total events are counted with increase() over "
        "each window; for a ratio stored as a metric use raw and rawType",
        f'{checkout}:39: SLO "checkout-availability": spec.objectives[0].target: target is a '
        "ratio between 0 and 1 (both excluded), e.g. 0.999; got 99.9; for a percentage write "
        "targetPercent: 99.9",
    ]


def test_convert_reports_native_findings_at_the_openslo_field(tmp_path: Path, capsys):
    """What the native schema refuses is reported at the OpenSLO file, line and field."""
    shutil.copytree(EXAMPLES, tmp_path / "slos")
    checkout = tmp_path / "slos" / "checkout.yaml"
    checkout.write_text(checkout.read_text().replace("team: payments", "__team: payments"))
    code, out, err = run_convert(tmp_path / "slos", capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f'{checkout}:28: SLO "checkout-availability": metadata.labels.__team: label name '
        "'__team' is reserved: names starting with __ are internal"
    ]


def test_convert_prints_a_native_config_as_loaded(tmp_path, capsys):
    """A native config converts to itself: the printed config loads to the same SLOs."""
    code, out, err = run_convert(ROOT / "config" / "example.yaml", capsys)
    assert (code, err) == (0, "")
    printed = tmp_path / "printed.yaml"
    printed.write_text(out)
    assert load_config(printed).slos == load_config(ROOT / "config" / "example.yaml").slos


def test_convert_requires_a_path(capsys):
    """Without -c the command line is wrong: argparse exits with code 2 and says so."""
    parser = argparse.ArgumentParser(prog="slo-exporter")
    register(parser.add_subparsers(dest="command", required=True))
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["convert"])
    assert caught.value.code == 2
    assert "-c/--config" in capsys.readouterr().err


@pytest.mark.integration  # runs a child process
def test_loading_openslo_equals_loading_its_conversion():
    """`-c` on an OpenSLO directory gives exactly the SLOs its `convert` output gives."""

    printed = subprocess.run(
        [sys.executable, "-m", "exporter", "convert", "-c", "config/openslo"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert load_config("config/openslo").slos == load_text(printed).slos


def test_openslo_directory_change_is_noticed(tmp_path):
    """Editing any file of an OpenSLO directory changes its fingerprint (so it reloads)."""

    directory = tmp_path / "slos"
    shutil.copytree("config/openslo", directory)
    before = fingerprint(directory)
    first = sorted(directory.glob("*.yaml"))[0]
    first.write_text(first.read_text() + "\n# edited\n")
    assert fingerprint(directory) != before
