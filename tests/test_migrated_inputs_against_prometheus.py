"""A directory of Sloth, Pyrra, OpenSLO and native files counts the true events on Prometheus.

``tests/migrate`` holds one file per format for SLOs of the test history:
a Sloth service file (``rate()`` queries over ``{{.window}}``), three Pyrra
manifests (a ratio, a latency and a bool gauge), an OpenSLO SLO whose ratio mixes a
``{{window}}`` template with a plain selector, and the native file giving
the backend. Loaded as one config, every window's events of every SLO equal
the generator's exact counts (``tests/truth.py``, ``tests/incremental_truth.py``);
a Sloth raw error ratio is checked per 5-minute slice against ``test_slices``' truth.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_run import eval_json
from incremental_truth import EVENTS
from slice_truth import instant_values
from test_slices_against_prometheus import _checkout_error_ratio, _failure_mean
from truth import DAY, MIGRATED_NAMES, TRUTH

from exporter.domain.durations import parse_duration

MIGRATE = Path(__file__).resolve().parent / "migrate"
EXAMPLE_URL = "http://127.0.0.1:9090"
OFFSETS = {"now": 0, "1d-ago": -DAY, "outage": -2 * DAY + 600}
NAMES = MIGRATED_NAMES


@pytest.fixture(scope="module")
def directory(prometheus, tmp_path_factory) -> Path:
    """``tests/migrate`` with the native file pointing at the test Prometheus."""
    target = tmp_path_factory.mktemp("migrate") / "slos"
    shutil.copytree(MIGRATE, target)
    native = target / "native.yaml"
    native.write_text(native.read_text().replace(EXAMPLE_URL, prometheus.url))
    return target


@pytest.mark.parametrize("when", list(OFFSETS))
def test_every_format_counts_the_true_events(prometheus, directory, when):
    """Each SLO, whatever format it was written in, counts exactly the generator's events."""
    at = prometheus.now + OFFSETS[when]
    document = eval_json(directory, at)
    assert [slo["name"] for slo in document["slos"]] == NAMES
    for slo in document["slos"]:
        good_events, total_events = EVENTS[slo["name"]]
        assert slo["events"], slo["name"]
        for label, counted in slo["events"].items():
            window = parse_duration(label)
            total = total_events(prometheus.history, at, window)
            good = good_events(prometheus.history, at, window)
            assert counted["total"] == pytest.approx(total), (slo["name"], label)
            assert counted["good"] == pytest.approx(good), (slo["name"], label)


def test_sloth_budget_and_alerts_equal_the_truth(prometheus, directory):
    """The Sloth SLO's SLI and budget are the truth's over 30 days; its alerts are Sloth's pages."""
    at = prometheus.now
    slo = next(s for s in eval_json(directory, at)["slos"] if s["name"] == "checkout-availability")
    truth = TRUTH["checkout-availability"]
    good = truth.good(prometheus.history, at, 30 * DAY)
    total = truth.total(prometheus.history, at, 30 * DAY)
    allowed = total * (1 - truth.objective / 100)
    assert slo["sli"] == pytest.approx(good / total)
    assert slo["error_budget_remaining_ratio"] == pytest.approx(1 - (total - good) / allowed)
    rules = [
        (a["severity"], a["long_window"], a["short_window"], a["burn_rate_threshold"])
        for a in slo["alerts"]
    ]
    assert rules == [("critical", "1h", "5m", pytest.approx(14.4)), ("critical", "6h", "30m", 6)]


SLOTH_RAW = """\
version: prometheus/v1
service: checkout
slos:
  - name: raw-errors
    objective: 99
    sli:
      raw:
        error_ratio_query: >-
          sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))
          / sum(rate(http_requests_total{service="checkout"}[{{.window}}]))
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
"""


@pytest.mark.parametrize("when", list(OFFSETS))
def test_sloth_raw_error_ratio_is_judged_per_five_minute_slice(prometheus, tmp_path, when):
    """A Sloth raw SLI: each 5-minute slice's error ratio, averaged, as the truth averages it."""
    (tmp_path / "native.yaml").write_text(f"backend: {{url: '{prometheus.url}'}}\n")
    (tmp_path / "sloth.yaml").write_text(SLOTH_RAW)
    at = prometheus.now + OFFSETS[when]
    at -= at % 300
    [slo] = eval_json(tmp_path, at)["slos"]
    assert slo["events"]
    for label, counted in slo["events"].items():
        window = parse_duration(label)
        truth = _failure_mean(
            instant_values(at, window, 300, _checkout_error_ratio(prometheus.history))
        )
        assert counted["total"] == pytest.approx(float(truth.total), rel=1e-6), label
        assert counted["good"] == pytest.approx(float(truth.good), rel=1e-6), label
