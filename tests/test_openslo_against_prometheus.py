"""The OpenSLO example, converted, evaluates on a real Prometheus exactly like its native twin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_run import eval_text
from truth import DAY, TRUTH

from exporter.config.loader import load_config
from exporter.domain.durations import parse_duration
from exporter.openslo import convert, read_openslo
from exporter.openslo.dump import to_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "config" / "openslo"
NATIVE_EQUIVALENT = Path(__file__).resolve().parent / "openslo" / "native-equivalent.yaml"
EXAMPLE_URL = "http://127.0.0.1:9090"
# The ongoing fast burn, a calm day, and ten minutes into the outage two days ago.
OFFSETS = {"now": 0, "1d-ago": -DAY, "outage": -2 * DAY + 600}


@pytest.fixture(scope="module")
def configs(prometheus, tmp_path_factory) -> tuple[Path, Path]:
    """The converted OpenSLO example and the hand-written native twin, on the test Prometheus."""
    directory = tmp_path_factory.mktemp("openslo")
    shutil.copytree(EXAMPLES, directory / "openslo")
    source = directory / "openslo" / "datasource.yaml"
    assert EXAMPLE_URL in source.read_text()
    source.write_text(source.read_text().replace(EXAMPLE_URL, prometheus.url))
    converted = directory / "converted.yaml"
    converted.write_text(to_yaml(convert(read_openslo(directory / "openslo"))))
    load_config(converted)  # the native loader accepts it
    native = directory / "native.yaml"
    native.write_text(NATIVE_EQUIVALENT.read_text().replace(EXAMPLE_URL, prometheus.url))
    return converted, native


@pytest.mark.parametrize("when", list(OFFSETS))
def test_converted_openslo_evaluates_exactly_like_the_native_config(prometheus, configs, when):
    """Same evaluation time, same Prometheus: the two eval JSON documents are identical."""
    converted, native = configs
    at = prometheus.now + OFFSETS[when]
    assert eval_text(converted, at) == eval_text(native, at)


@pytest.mark.parametrize("when", list(OFFSETS))
def test_converted_openslo_counts_the_true_events(prometheus, configs, when):
    """Every window's events of the converted SLOs equal the generator's exact counts."""
    converted, _ = configs
    at = prometheus.now + OFFSETS[when]
    document = json.loads(eval_text(converted, at))
    assert [slo["name"] for slo in document["slos"]] == [
        "checkout-availability",
        "search-availability",
    ]
    for slo in document["slos"]:
        truth = TRUTH[slo["name"]]
        assert slo["events"], slo["name"]
        for label, counted in slo["events"].items():
            window = parse_duration(label)
            assert counted["total"] == pytest.approx(truth.total(prometheus.history, at, window))
            assert counted["good"] == pytest.approx(truth.good(prometheus.history, at, window))


def test_openslo_alert_policy_pages_on_the_fast_burn(prometheus, configs):
    """The AlertPolicy's fast-burn condition (14.4 over 1h and 5m) fires during the 25 % burst."""
    converted, _ = configs
    document = json.loads(eval_text(converted, prometheus.now))
    checkout = document["slos"][0]
    firing = {
        (a["severity"], a["long_window"], a["short_window"], a["burn_rate_threshold"])
        for a in checkout["alerts"]
        if a["firing"]
    }
    assert ("page", "1h", "5m", 14.4) in firing
