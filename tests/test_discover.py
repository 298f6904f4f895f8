"""``discover``'s pure parts: which shapes series are, and the suggestion rule.

Against a real backend: ``test_discover_against_prometheus.py``.
"""

from __future__ import annotations

import argparse
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.config.tiers import TIERS
from exporter.discover.command import _match
from exporter.discover.shapes import GRPC_ERRORS, classify
from exporter.domain.budget import WindowEvents
from exporter.domain.suggest import TIER_OBJECTIVES, suggest_threshold, suggest_tier


def _series(name: str, **labels: str) -> dict[str, str]:
    return {"__name__": name, **labels}


@pytest.mark.parametrize(
    ("series", "native", "expected"),
    [
        ([_series("http_requests_total", service="api", code="200"),
          _series("http_requests_total", service="api", code="503")], set(),
         ("api", "api", 'http_requests_total{service="api"}', {"code": "5.."}, None)),
        ([_series("grpc_server_handled_total", job="rpc", grpc_code="OK")], set(),
         ("rpc", "api", 'grpc_server_handled_total{job="rpc"}', {"grpc_code": GRPC_ERRORS},
          None)),
        ([_series("requests_total", service="web", status="404"),
          _series("request_duration_seconds", service="web")], {"request_duration_seconds"},
         ("web", "api", 'requests_total{service="web"}', {"status": "5.."},
          ('request_duration_seconds{service="web"}', "native"))),
        ([_series("http_requests_total", service="shop", code="200"),
          _series("http_request_duration_seconds_bucket", service="shop", le="0.1"),
          _series("http_request_duration_seconds_count", service="shop")], set(),
         ("shop", "api", 'http_requests_total{service="shop"}', {"code": "5.."},
          ('http_request_duration_seconds{service="shop"}', "classic"))),
    ],
)  # fmt: skip
def test_request_counters_and_latency_histograms_make_an_api_service(series, native, expected):
    """HTTP and gRPC status labels, classic and native histograms, service or job label."""
    (shape,) = classify(series, native).services
    name, template, requests, errors, duration = expected
    assert (shape.name, shape.template, shape.requests, shape.errors) == (
        name, template, requests, errors,
    )  # fmt: skip
    if duration is None:
        assert shape.duration is None
    else:
        assert (shape.duration, shape.histogram) == duration


def test_record_counters_make_a_data_pipeline_and_the_rest_is_listed():
    """processed/expected counters of one job make records; a counter without a status
    label, a gauge and a series without service or job are listed, not used."""
    found = classify(
        [
            _series("rows_processed_total", job="etl"),
            _series("rows_expected_total", job="etl"),
            _series("jobs_total", job="etl"),
            _series("temperature_celsius", job="etl"),
            _series("up"),
        ],
        set(),
    )
    (shape,) = found.services
    assert (shape.template, shape.records) == (
        "data_pipeline", ('rows_processed_total{job="etl"}', 'rows_expected_total{job="etl"}'),
    )  # fmt: skip
    assert [line.split(":")[0] for line in found.unknown] == [
        'jobs_total{job="etl"}', 'temperature_celsius{job="etl"}', "up",
    ]  # fmt: skip


def test_a_service_name_the_config_refuses_is_listed_and_the_others_written():
    """A ``service`` value with a space cannot name a ``services:`` entry: its series are
    listed with the reason, and the other services are still found."""
    found = classify(
        [
            _series("http_requests_total", service="web shop", code="200"),
            _series("http_requests_total", service="shop", code="200"),
        ],
        set(),
    )
    assert [s.name for s in found.services] == ["shop"]
    assert found.unknown == [
        'http_requests_total{service="web shop"}: service "web shop" is no valid service '
        "name (letters, digits, '_', '.', ':' and '-')"
    ]


def test_the_suggestion_ladder_is_the_tier_table():
    """The tiers the rule climbs are the config's tiers, strictest first."""
    assert dict(TIER_OBJECTIVES) == {name: tier.availability for name, tier in TIERS.items()}
    assert [o for _, o in TIER_OBJECTIVES] == sorted((o for _, o in TIER_OBJECTIVES), reverse=True)


@pytest.mark.parametrize(
    ("bad", "tier", "fits"),
    [(0, "critical", True), (25, "critical", True), (26, "essential", True),
     (50, "essential", True), (250, "standard", True), (500, "best_effort", True),
     (501, "best_effort", False)],
)  # fmt: skip
def test_the_strictest_tier_keeping_half_the_budget(bad: int, tier: str, fits: bool):
    """Out of 100,000 events: 25 bad keep exactly half of 99.95 %'s budget, 26 do not."""
    suggestion = suggest_tier(WindowEvents(100_000 - bad, 100_000))
    assert suggestion is not None
    assert (suggestion.tier, suggestion.fits) == (tier, fits)


def test_no_traffic_suggests_nothing():
    """A service without events gets no suggestion (and no threshold)."""
    assert suggest_tier(WindowEvents(0, 0)) is None
    assert suggest_threshold({math.inf: 0.0}) is None


@pytest.mark.parametrize(
    ("under", "threshold"),
    [({0.1: 990, 0.3: 995, 1.0: 1000}, 0.3), ({0.1: 996, 1.0: 1000}, 0.1),
     ({0.1: 900, 0.3: 990}, None)],
)  # fmt: skip
def test_latency_threshold_is_the_smallest_bound_keeping_half(under, threshold):
    """Of 1,000 requests at most 5 may be slower than the threshold."""
    assert suggest_threshold({**under, math.inf: 1000.0}) == threshold


@given(st.text(max_size=60))
def test_match_option_accepts_matchers_or_says_why_in_one_line(text: str):
    """Any ``--match`` text is taken or refused as a usage error, never a crash."""
    said: list[str] = []
    try:
        taken = _match(text)
    except argparse.ArgumentTypeError as err:
        said.append(str(err))
        taken = text
    assert taken == text
    assert all("\n" not in line for line in said)
