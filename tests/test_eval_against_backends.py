"""``slo-exporter eval --at T`` on each real backend, checked against exact ground truth.

Every test runs once per ``backend`` (Prometheus 2.42 and VictoriaMetrics 1.79, both from
Debian).  Both are exact here, for different reasons: T and every window are whole minutes
and the history has a sample at every whole minute, so Prometheus finds samples at both
ends of ``[T - W, T]`` and does not extrapolate, while VictoriaMetrics' ``increase()``
never extrapolates (it subtracts the last sample at or before ``T - W`` from the last at or
before ``T``).  ``test_victoria_semantics.py`` measures where the two part ways.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_run import eval_json
from truth import DAY, TRUTH, expected_burn, write_config

from exporter.cli import main
from exporter.domain.durations import parse_duration

HOUR = 3600
# Evaluation times relative to the history's "now": the ongoing fast burn, a calm day,
# and ten minutes into the big outage two days ago.
OFFSETS = {"now": 0, "1d-ago": -DAY, "outage": -2 * DAY + 600}


@pytest.fixture(scope="module")
def config_path(backend, tmp_path_factory) -> Path:
    return write_config(tmp_path_factory.mktemp("eval"), backend.url)


@pytest.fixture(scope="module")
def evaluations(backend, config_path) -> dict[str, dict]:
    """One eval per offset, shared by the tests of this module."""
    results = {}
    for label, offset in OFFSETS.items():
        results[label] = eval_json(config_path, backend.now + offset)
    return results


def _by_name(document: dict) -> dict[str, dict]:
    return {slo["name"]: slo for slo in document["slos"]}


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", list(TRUTH))
def test_events_and_burn_rates_match_ground_truth(backend, evaluations, when, name):
    """Every window's good/total events and burn rate equal the generator's exact counts."""
    at = backend.now + OFFSETS[when]
    slo = _by_name(evaluations[when])[name]
    truth = TRUTH[name]
    history = backend.history
    assert slo["events"], f"{name} has no events at {when}"
    for label, counted in slo["events"].items():
        window = parse_duration(label)
        good = truth.good(history, at, window)
        total = truth.total(history, at, window)
        assert counted["total"] == pytest.approx(total, rel=1e-9, abs=1e-9), label
        assert counted["good"] == pytest.approx(good, rel=1e-9, abs=1e-9), label
        burn = expected_burn(truth, good, total)
        if burn is None:
            assert slo["burn_rates"][label] is None, label
        else:
            assert slo["burn_rates"][label] == pytest.approx(burn, rel=1e-6, abs=1e-12), label


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", list(TRUTH))
def test_budget_matches_ground_truth(backend, evaluations, when, name):
    """SLI, consumed and remaining budget over the period equal the exact ratios."""
    at = backend.now + OFFSETS[when]
    slo = _by_name(evaluations[when])[name]
    truth = TRUTH[name]
    good = truth.good(backend.history, at, truth.period)
    total = truth.total(backend.history, at, truth.period)
    if total == 0:
        assert slo["data_ok"] is False
        assert slo["sli"] is None
        assert slo["error_budget_remaining_ratio"] is None
        assert slo["status"] == "no_data"
        return
    budget = 1 - truth.objective / 100
    consumed = (1 - good / total) / budget
    assert slo["data_ok"] is True
    assert slo["sli"] == pytest.approx(good / total, rel=1e-9)
    assert slo["error_budget_consumed_ratio"] == pytest.approx(consumed, rel=1e-6, abs=1e-12)
    assert slo["error_budget_remaining_ratio"] == pytest.approx(1 - consumed, rel=1e-6, abs=1e-9)
    allowed_bad = budget * total - (total - good)
    assert slo["error_budget_remaining_events"] == pytest.approx(allowed_bad, rel=1e-6, abs=1e-6)
    assert slo["error_budget_remaining_seconds"] == pytest.approx(
        (1 - consumed) * budget * truth.period, rel=1e-6, abs=1e-6
    )


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", list(TRUTH))
def test_alert_conditions_follow_ground_truth(backend, evaluations, when, name):
    """Each multiwindow condition fires exactly when both true burn rates exceed its threshold."""
    at = backend.now + OFFSETS[when]
    slo = _by_name(evaluations[when])[name]
    truth = TRUTH[name]
    history = backend.history
    assert len(slo["alerts"]) == 4
    for alert in slo["alerts"]:
        burns = []
        for key in ("long_window", "short_window"):
            window = parse_duration(alert[key])
            burns.append(
                expected_burn(
                    truth, truth.good(history, at, window), truth.total(history, at, window)
                )
            )
        expected = all(b is not None and b > alert["burn_rate_threshold"] for b in burns)
        assert alert["firing"] is expected, alert


def test_fast_burn_pages_now(evaluations):
    """The ongoing 25 % error burst pages checkout-availability and makes it critical."""
    slo = _by_name(evaluations["now"])["checkout-availability"]
    firing = {(a["severity"], a["long_window"]) for a in slo["alerts"] if a["firing"]}
    assert ("page", "1h") in firing
    assert slo["status"] in {"critical", "exhausted"}


def test_calm_day_raises_nothing(evaluations):
    """A day ago nothing burned fast enough to page checkout."""
    slo = _by_name(evaluations["1d-ago"])["checkout-availability"]
    assert not any(a["firing"] and a["severity"] == "page" for a in slo["alerts"])


def test_quiet_service_has_no_short_window_ratios(evaluations):
    """A service without traffic in the last hours has null short-window burn rates, not NaN."""
    slo = _by_name(evaluations["now"])["quiet-availability"]
    assert slo["events"]["5m"]["total"] == 0
    assert slo["burn_rates"]["5m"] is None
    assert slo["burn_rates"]["1h"] is None


def test_json_never_contains_nan(evaluations):
    """The JSON document is strict: no NaN or Infinity tokens anywhere."""
    for document in evaluations.values():
        text = json.dumps(document, allow_nan=False)
        assert "NaN" not in text
        assert "Infinity" not in text


def test_table_output_lists_every_slo(backend, config_path, capsys):
    """The table format prints a header, one row per SLO and the evaluation time."""
    code = main(["eval", "-c", str(config_path), "--at", str(backend.now), "--format", "table"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["SLO", "SERVICE"]
    assert {line.split()[0] for line in lines[1:-1]} == set(TRUTH)
    assert lines[-1].startswith("evaluated at ")
    assert "\x1b[" not in out  # no colour codes when stdout is not a terminal


def test_rfc3339_at_equals_unix_at(backend, config_path, evaluations):
    """--at accepts RFC 3339 and means the same instant as unix seconds."""
    stamp = datetime.fromtimestamp(backend.now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert eval_json(config_path, stamp) == evaluations["now"]


def test_not_finite_never_reaches_json(evaluations):
    """Exhaustion time is a finite number or null (not burning / no data)."""
    for document in evaluations.values():
        for slo in document["slos"]:
            value = slo.get("error_budget_exhaustion_seconds")
            assert value is None or math.isfinite(value)
