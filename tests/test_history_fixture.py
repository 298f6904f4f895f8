"""Prove that the ``prometheus`` fixture and the ``History`` ground truth can be trusted.

If these pass, Prometheus' answers for ``increase()`` over the backfilled history are exactly
what ``History.increase`` says, so exporter tests may compare against the ground truth.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

import pytest
from history import (
    BATCH_INTERVAL,
    DAY,
    HOUR,
    LATENCY_BUCKETS,
    MINUTE,
    History,
    Incident,
    LabelMatcher,
    build_history,
)
from prometheus_server import PrometheusServer, api_request

FIXED_NOW = 1_700_000_123.4  # deterministic history for the pure-Python checks


def is_5xx(code: str) -> bool:
    return code.startswith("5")


class Case(NamedTuple):
    """A PromQL selector and the equivalent History.increase arguments."""

    id: str
    selector: str
    name: str
    labels: Mapping[str, LabelMatcher]


SELECTORS = [
    Case(
        "checkout-all",
        'http_requests_total{service="checkout"}',
        "http_requests_total",
        {"service": "checkout"},
    ),
    Case(
        "checkout-5xx",
        'http_requests_total{service="checkout",code=~"5.."}',
        "http_requests_total",
        {"service": "checkout", "code": is_5xx},
    ),
    Case(
        "checkout-b-reset",
        'http_requests_total{service="checkout",instance="b"}',
        "http_requests_total",
        {"service": "checkout", "instance": "b"},
    ),
    Case(
        "checkout-b-5xx",
        'http_requests_total{service="checkout",instance="b",code=~"5.."}',
        "http_requests_total",
        {"service": "checkout", "instance": "b", "code": is_5xx},
    ),
    Case(
        "checkout-404",
        'http_requests_total{service="checkout",code="404"}',
        "http_requests_total",
        {"service": "checkout", "code": "404"},
    ),
    Case(
        "bucket-le-0.3",
        'http_request_duration_seconds_bucket{service="checkout",le="0.3"}',
        "http_request_duration_seconds_bucket",
        {"service": "checkout", "le": "0.3"},
    ),
    Case(
        "bucket-le-inf",
        'http_request_duration_seconds_bucket{service="checkout",le="+Inf"}',
        "http_request_duration_seconds_bucket",
        {"service": "checkout", "le": "+Inf"},
    ),
    Case(
        "duration-count",
        'http_request_duration_seconds_count{service="checkout"}',
        "http_request_duration_seconds_count",
        {"service": "checkout"},
    ),
    Case(
        "duration-sum",
        'http_request_duration_seconds_sum{service="checkout"}',
        "http_request_duration_seconds_sum",
        {"service": "checkout"},
    ),
    Case(
        "search-requests",
        'search_requests_total{service="search"}',
        "search_requests_total",
        {"service": "search"},
    ),
    Case(
        "search-errors",
        'search_errors_total{service="search"}',
        "search_errors_total",
        {"service": "search"},
    ),
    Case(
        "quiet-all",
        'http_requests_total{service="quiet"}',
        "http_requests_total",
        {"service": "quiet"},
    ),
    Case(
        "quiet-500",
        'http_requests_total{service="quiet",code="500"}',
        "http_requests_total",
        {"service": "quiet", "code": "500"},
    ),
    Case(
        "batch-expected",
        'batch_records_expected_total{job="nightly-export"}',
        "batch_records_expected_total",
        {"job": "nightly-export"},
    ),
    Case(
        "batch-processed",
        'batch_records_processed_total{job="nightly-export"}',
        "batch_records_processed_total",
        {"job": "nightly-export"},
    ),
]

WINDOWS = {"5m": 5 * MINUTE, "1h": HOUR, "6h": 6 * HOUR, "1d": DAY, "3d": 3 * DAY, "7d": 7 * DAY}
OFFSETS = {"now": 0, "now-1d": -DAY, "now-2d+10m": -2 * DAY + 10 * MINUTE}

EXPECTED_NAMES = {
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_count",
    "http_request_duration_seconds_sum",
    "search_requests_total",
    "search_errors_total",
    "batch_records_expected_total",
    "batch_records_processed_total",
    "probe_success",
    "batch_last_success_timestamp_seconds",
    "api_requests_total",
}


def prom_increase(server: PrometheusServer, selector: str, window: str, t: int) -> float | None:
    return server.query_value(f"sum(increase({selector}[{window}]))", time=t)


def assert_exact(got: float | None, want: float, what: str) -> None:
    assert got is not None, f"{what}: Prometheus returned an empty vector, truth is {want}"
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"{what}: {got=} {want=}"


@pytest.fixture(scope="module")
def fixed_history() -> History:
    return build_history(FIXED_NOW)


# --------------------------------------------------------------------------- Prometheus


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
@pytest.mark.parametrize("window", WINDOWS.keys())
@pytest.mark.parametrize("case", SELECTORS, ids=[c.id for c in SELECTORS])
def test_increase_matches_ground_truth(
    prometheus: PrometheusServer, case: Case, window: str, offset: int
) -> None:
    """sum(increase(SELECTOR[W])) at an explicit time equals History.increase exactly."""
    t = prometheus.now + offset
    got = prom_increase(prometheus, case.selector, window, t)
    want = prometheus.history.increase(case.name, case.labels, t, WINDOWS[window])
    assert_exact(got, want, f"{case.selector}[{window}] @ now{offset:+d}s")


@pytest.mark.parametrize(
    ("after", "window"),
    [(0, "1m"), (0, "5m"), (5 * MINUTE, "10m"), (30 * MINUTE, "1h"), (HOUR, "1d")],
)
@pytest.mark.parametrize("code", ["200", "404", "500", "503"])
def test_windows_spanning_counter_reset(
    prometheus: PrometheusServer, code: str, after: int, window: str
) -> None:
    """Windows containing the instance-"b" counter reset agree with the increment truth."""
    history = prometheus.history
    t = history.reset_at + after
    selector = f'http_requests_total{{service="checkout",instance="b",code="{code}"}}'
    labels = {"service": "checkout", "instance": "b", "code": code}
    seconds = int(window[:-1]) * {"m": MINUTE, "h": HOUR, "d": DAY}[window[-1]]
    want = history.increase("http_requests_total", labels, t, seconds)
    assert_exact(prom_increase(prometheus, selector, window, t), want, f"{selector}[{window}]")


def test_counter_reset_is_visible_to_prometheus(prometheus: PrometheusServer) -> None:
    """Every instance-"b" checkout series really drops at reset_at (Prometheus counts a
    reset), instance "a" does not, and naive value differencing would be wrong there."""
    history = prometheus.history
    t = history.reset_at + 5 * MINUTE
    data = prometheus.query('resets(http_requests_total{service="checkout"}[10m])', time=t)
    resets = {
        r["metric"]["code"] + r["metric"]["instance"]: float(r["value"][1]) for r in data["result"]
    }
    assert resets == {
        f"{c}{i}": float(i == "b") for c in ("200", "404", "500", "503") for i in "ab"
    }
    (series,) = history.select(
        "http_requests_total", {"service": "checkout", "instance": "b", "code": "200"}
    )
    values = series.values()
    hi = (t - history.start) // history.step
    lo = hi - 10
    assert values[hi] - values[lo] < 0  # differencing is wrong across the reset ...
    assert (
        history.increase("http_requests_total", series.labels, t, 10 * MINUTE) > 0
    )  # ... truth is not


@pytest.mark.parametrize("window", ["5m", "1h", "6h"])
@pytest.mark.parametrize("offset", [0, HOUR, -2 * HOUR])
def test_quiet_service_without_traffic_returns_zero(
    prometheus: PrometheusServer, window: str, offset: int
) -> None:
    """During the quiet service's silence, increase() is 0 (a one-element vector with
    value 0, not an empty vector and not NaN), and the truth agrees."""
    t = prometheus.now + offset
    for code in ("200", "500"):
        selector = f'http_requests_total{{service="quiet",code="{code}"}}'
        got = prom_increase(prometheus, selector, window, t)
        assert got == 0.0, f"{selector}[{window}] @ {t}: {got}"
        seconds = {"5m": 5 * MINUTE, "1h": HOUR, "6h": 6 * HOUR}[window]
        assert (
            prometheus.history.increase(
                "http_requests_total", {"service": "quiet", "code": code}, t, seconds
            )
            == 0
        )
    # the error ratio over no traffic is 0/0 = NaN in PromQL; the exporter must handle it
    ratio = prometheus.query_value(
        'sum(increase(http_requests_total{service="quiet",code="500"}[5m]))'
        ' / sum(increase(http_requests_total{service="quiet"}[5m]))',
        time=t,
    )
    assert ratio is not None
    assert math.isnan(ratio)


def test_ghost_service_matches_nothing(prometheus: PrometheusServer) -> None:
    """Selectors for service "ghost" return an empty vector; the truth is 0."""
    got = prom_increase(prometheus, 'http_requests_total{service="ghost"}', "1d", prometheus.now)
    assert got is None
    assert (
        prometheus.history.increase(
            "http_requests_total", {"service": "ghost"}, prometheus.now, DAY
        )
        == 0
    )


def test_metric_names_and_series_are_exactly_the_generated_ones(
    prometheus: PrometheusServer,
) -> None:
    """Prometheus stores exactly the metric names and label sets that History lists."""
    names = api_request(prometheus.url, "/api/v1/label/__name__/values", {})
    assert set(names) == EXPECTED_NAMES
    found = api_request(
        prometheus.url,
        "/api/v1/series",
        {
            "match[]": '{__name__=~".+"}',
            "start": str(prometheus.history.start),
            "end": str(prometheus.history.end),
        },
    )
    got = sorted(tuple(sorted(s.items())) for s in found)
    history = prometheus.history
    want = sorted(
        tuple(sorted({"__name__": s.name, **s.labels}.items()))
        for s in [*history.series, *history.gauges]
    )
    assert got == want


@pytest.mark.parametrize("offset", [-7 * DAY, -3 * DAY + 7 * MINUTE, 0, HOUR, 3 * HOUR])
def test_raw_values_match_including_future(prometheus: PrometheusServer, offset: int) -> None:
    """Raw sample values equal History's counter and gauge values, also for timestamps after
    now (the backfilled block's max time lies in the future and Prometheus serves it)."""
    history = prometheus.history
    t = history.now + offset
    index = (t - history.start) // history.step
    data = prometheus.query('{__name__=~".+"}', time=t)
    got = {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in data["result"]}
    want = {
        tuple(sorted({"__name__": s.name, **s.labels}.items())): float(s.values()[index])
        for s in [*history.series, *history.gauges]
    }
    assert got == want


GAUGES = {
    "probe": ('probe_success{job="blackbox",target="checkout"}', "probe_success"),
    "batch": (
        'batch_last_success_timestamp_seconds{job="nightly-export"}',
        "batch_last_success_timestamp_seconds",
    ),
}
# Gauge read-out times: now, inside the outage, on a probe blip (set per history below),
# inside the batch failure, 30 s and 4 min past a sample (lookback), after now.
GAUGE_TIMES = {
    "now": lambda h: h.now,
    "outage": lambda h: h.now - 2 * DAY + 10 * MINUTE,
    "blip": lambda h: h.probe_blips[-1],
    "batch-failure": lambda h: h.now - 24 * HOUR,
    "between-samples": lambda h: h.now - 3 * HOUR + 30,
    "lookback": lambda h: h.now - 5 * HOUR + 4 * MINUTE + 59,
    "future": lambda h: h.now + 2 * HOUR,
}


@pytest.mark.parametrize("when", GAUGE_TIMES)
@pytest.mark.parametrize("gauge", GAUGES)
def test_gauge_values_match_ground_truth(
    prometheus: PrometheusServer, gauge: str, when: str
) -> None:
    """An instant gauge selector returns exactly History.gauge_at, between samples too."""
    selector, name = GAUGES[gauge]
    t = GAUGE_TIMES[when](prometheus.history)
    data = prometheus.query(selector, time=t)
    got = [float(r["value"][1]) for r in data["result"]]
    assert got == prometheus.history.gauge_at(name, {}, t)
    assert len(got) == 1


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
@pytest.mark.parametrize("window", ["5m", "1h", "1d", "7d"])
def test_gauge_windows_match_ground_truth(
    prometheus: PrometheusServer, window: str, offset: int
) -> None:
    """sum_over_time / count_over_time of probe_success over W - 1ms see exactly the samples
    History.gauge_samples lists for (T - W, T]."""
    history = prometheus.history
    t = history.now + offset
    seconds = WINDOWS[window]
    samples = history.gauge_samples("probe_success", {}, t, seconds)
    for function, want in (("sum_over_time", sum(samples)), ("count_over_time", len(samples))):
        got = prometheus.query_value(
            f'{function}(probe_success{{job="blackbox"}}[{seconds * 1000 - 1}ms])', time=t
        )
        assert_exact(got, want, f"{function} {window} @ now{offset:+d}s")


def test_histogram_is_consistent_in_prometheus(prometheus: PrometheusServer) -> None:
    """Buckets are cumulative in le order and +Inf equals _count, for raw values and for
    1h increases at several times (including inside the latency degradation)."""
    history = prometheus.history
    for t in (history.now, history.now - 5 * HOUR, history.now - 2 * DAY):
        data = prometheus.query(
            'increase(http_request_duration_seconds_bucket{service="checkout"}[1h])', time=t
        )
        by_le = {r["metric"]["le"]: float(r["value"][1]) for r in data["result"]}
        ordered = [by_le[le] for le in LATENCY_BUCKETS]
        assert ordered == sorted(ordered)
        count = prometheus.query_value(
            'increase(http_request_duration_seconds_count{service="checkout"}[1h])', time=t
        )
        assert by_le["+Inf"] == count


# --------------------------------------------------------------------------- pure History


def test_build_is_deterministic_and_aligned(fixed_history: History) -> None:
    """Same now -> identical history; timestamps are whole minutes; end is 3h after now."""
    again = build_history(FIXED_NOW)
    assert [s.increments for s in again.series] == [s.increments for s in fixed_history.series]
    h = fixed_history
    assert h.now % 60 == 0
    assert h.now == int(FIXED_NOW // 60) * 60
    assert h.end == h.now + 3 * HOUR
    assert h.end - h.start == 8 * DAY
    assert h.start % 60 == 0
    assert h.timestamps[0] == h.start
    assert h.timestamps[-1] == h.end
    assert all(len(s.increments) == len(h.timestamps) for s in h.series)
    assert all(s.increments[0] == 0 for s in h.series)


def test_increments_are_integers_except_sum(fixed_history: History) -> None:
    """All counter increments are non-negative integers (only _sum carries floats)."""
    for s in fixed_history.series:
        assert all(inc >= 0 for inc in s.increments)
        if not s.name.endswith("_sum"):
            assert all(isinstance(inc, int) for inc in s.increments), s.name


def test_histogram_is_consistent_in_history(fixed_history: History) -> None:
    """Every interval: buckets cumulative, +Inf == _count == checkout request count."""
    h = fixed_history
    buckets = [
        h.select("http_request_duration_seconds_bucket", {"le": le})[0].increments
        for le in LATENCY_BUCKETS
    ]
    (count,) = h.select("http_request_duration_seconds_count")
    checkout = h.select("http_requests_total", {"service": "checkout"})
    for i in range(len(h.timestamps)):
        column = [b[i] for b in buckets]
        assert column == sorted(column)
        assert column[-1] == count.increments[i] == sum(s.increments[i] for s in checkout)


def ratio(
    h: History,
    name: str,
    bad: Mapping[str, LabelMatcher],
    total: Mapping[str, LabelMatcher],
    *,
    t: int,
    w: int,
) -> float:
    """History.ratio, asserting that there was traffic."""
    value = h.ratio(name, bad, total, t, w)
    assert value is not None
    return value


def test_incident_shapes(fixed_history: History) -> None:
    """The incidents have the documented timing and roughly the documented severity."""
    h = fixed_history
    now = h.now
    name = "http_requests_total"
    bad: dict[str, LabelMatcher] = {"service": "checkout", "code": is_5xx}
    total: dict[str, LabelMatcher] = {"service": "checkout"}

    def err(t: int, w: int) -> float:
        return ratio(h, name, bad, total, t=t, w=w)

    assert 0.20 < err(now, 5 * MINUTE) < 0.30  # fast burn
    assert 0.20 < err(now, 45 * MINUTE) < 0.30
    assert err(now - 45 * MINUTE, 5 * HOUR) < 0.002  # before the fast burn
    assert err(now + 3 * HOUR, 2 * HOUR) < 0.002  # after now: normal again
    assert 0.30 < err(now - 2 * DAY + 20 * MINUTE, 20 * MINUTE) < 0.50  # outage
    assert 0.002 < err(now - 20 * HOUR, 10 * HOUR) < 0.006  # slow burn
    assert err(now - 3 * DAY, DAY) < 0.002  # normal
    per_minute = h.increase(name, total, now, DAY) / (DAY / MINUTE)
    assert 100 < per_minute < 300

    def fast(t: int, w: int) -> float:
        return ratio(
            h,
            "http_request_duration_seconds_bucket",
            {"le": "0.3"},
            {"le": "+Inf"},
            t=t,
            w=w,
        )

    assert 0.75 < fast(now - 5 * HOUR, HOUR) < 0.85  # latency degradation
    assert fast(now - 6 * HOUR, 2 * HOUR) > 0.98
    assert fast(now, 4 * HOUR) > 0.98

    def search_err(t: int, w: int) -> float:
        errors = h.increase("search_errors_total", {}, t, w)
        return errors / h.increase("search_requests_total", {}, t, w)

    assert 0.07 < search_err(now - DAY, HOUR) < 0.13  # search incident
    assert search_err(now - DAY - HOUR, 6 * HOUR) < 0.01
    assert search_err(now, 6 * HOUR) < 0.01

    quiet = {"service": "quiet"}
    assert h.increase(name, quiet, now + 3 * HOUR, 15 * HOUR) == 0  # silent from now-12h
    assert h.increase(name, quiet, now - 12 * HOUR, HOUR) > 0
    assert h.increase(name, {"service": "quiet", "code": "500"}, now - 12 * HOUR, 2 * DAY) > 0

    assert h.incidents["checkout_fast_burn"] == (now - 45 * MINUTE, now)
    assert h.reset_at == now - 3 * DAY + 7 * MINUTE


def test_increase_uses_increments_not_value_differences(fixed_history: History) -> None:
    """Across the reset History.increase sums increments; away from it, it equals the
    plain difference of counter values."""
    h = fixed_history
    for s in h.select("http_requests_total", {"service": "checkout"}):
        values = s.values()
        i = (h.reset_at - h.start) // h.step
        assert h.increase(s.name, s.labels, h.reset_at, 10 * MINUTE) == sum(
            s.increments[i - 9 : i + 1]
        )
        j = (h.now - h.start) // h.step
        assert h.increase(s.name, s.labels, h.now, HOUR) == values[j] - values[j - 60]


@pytest.mark.parametrize(
    ("labels", "expected_series"),
    [
        ({}, 10),
        ({"service": "checkout"}, 8),
        ({"service": "checkout", "code": is_5xx}, 4),
        ({"instance": "a"}, 4),
        ({"instance": ""}, 2),  # absent label == "" (quiet has no instance)
        ({"service": "ghost"}, 0),
    ],
)
def test_label_matching(
    fixed_history: History,
    labels: Mapping[str, str | Callable[[str], bool]],
    expected_series: int,
) -> None:
    """Matchers take exact strings or predicates; absent labels match "" like PromQL."""
    assert len(fixed_history.select("http_requests_total", labels)) == expected_series


def test_probe_fails_in_the_outage_and_at_blips_only(fixed_history: History) -> None:
    """probe_success is 0 exactly in the checkout outage and at the seeded isolated minutes
    (a few a day, at least one in the last day), 1 everywhere else."""
    h = fixed_history
    (probe,) = h.select_gauges("probe_success", {"job": "blackbox", "target": "checkout"})
    outage = h.incidents["checkout_outage"]
    zeros = {ts for ts, v in zip(h.timestamps, probe.samples, strict=True) if v == 0}
    assert set(probe.samples) == {0, 1}
    assert zeros == {ts for ts in h.timestamps if ts in outage} | set(h.probe_blips)
    assert len(h.probe_blips) == 24
    assert not any(ts in outage for ts in h.probe_blips)
    assert any(h.now - DAY < ts <= h.now for ts in h.probe_blips)
    assert h.gauge_samples("probe_success", {}, outage.end, 20 * MINUTE) == [0] * 20


def test_batch_gauge_is_the_last_success_and_goes_stale_in_the_failure(
    fixed_history: History,
) -> None:
    """The freshness gauge holds the last success; successes come every 30 min except in the
    3 h failure, so the age stays under 31 min outside it and passes 3 h inside it."""
    h = fixed_history
    failure = h.incidents["batch_failure"]
    assert failure == (h.now - 26 * HOUR, h.now - 23 * HOUR)
    ages = {}
    for ts in h.timestamps:
        (value,) = h.gauge_at("batch_last_success_timestamp_seconds", {}, ts)
        assert value == h.last_batch_success(ts)
        ages[ts] = ts - value
    around = Incident(failure.start - 30 * MINUTE, failure.end + HOUR)
    assert max(a for ts, a in ages.items() if ts not in around) < 31 * MINUTE
    assert max(ages.values()) > 3 * HOUR
    assert ages[failure.start + 45 * MINUTE] > 45 * MINUTE
    assert not any(s in failure for s in h.batch_successes)
    gaps = {b - a for a, b in zip(h.batch_successes, h.batch_successes[1:], strict=False)}
    assert max(gaps) > 3 * HOUR
    assert min(gaps) > BATCH_INTERVAL - MINUTE


def test_batch_records_dip_during_the_failure(fixed_history: History) -> None:
    """Processed records never exceed expected ones; completeness is ~55 % in the failure
    and above 99 % otherwise."""
    h = fixed_history
    (expected,) = h.select("batch_records_expected_total")
    (processed,) = h.select("batch_records_processed_total")
    assert all(p <= e for p, e in zip(processed.increments, expected.increments, strict=True))
    failure = h.incidents["batch_failure"]

    def done(t: int, w: int) -> float:
        return h.increase(processed.name, {}, t, w) / h.increase(expected.name, {}, t, w)

    assert 0.5 < done(failure.end, 3 * HOUR) < 0.6
    assert done(h.now, 20 * HOUR) > 0.99
    assert done(failure.start, DAY) > 0.99


def test_search_dips_to_a_quarter(fixed_history: History) -> None:
    """Search traffic drops to about a quarter for the hour of the dip."""
    h = fixed_history
    dip = h.incidents["search_dip"]
    assert dip == (h.now - 10 * HOUR, h.now - 9 * HOUR)
    during = h.increase("search_requests_total", {}, dip.end, HOUR)
    before = h.increase("search_requests_total", {}, dip.start, HOUR)
    assert 0.2 < during / before < 0.3
