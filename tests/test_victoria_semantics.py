"""Where VictoriaMetrics 1.79 and Prometheus 2.42 agree on our PromQL, and where they don't.

Measured on the same synthetic history (``twin`` is a VictoriaMetrics holding exactly the
data of the ``prometheus`` fixture), against ``History``'s exact increments:

* ``increase(sel[W])`` at a whole-minute T over a whole-minute W (what the exporter asks,
  with the minute-aligned samples of the history): both exact.
* Off the minute grid (T or W not whole minutes): VictoriaMetrics is still exact, it
  subtracts the last sample at or before ``T - W`` from the last at or before ``T`` and never
  extrapolates; Prometheus extrapolates the samples inside ``[T - W, T]`` to the window's
  edges (its documented formula, re-implemented in :func:`prometheus_increase`).
* Range selectors and subqueries: Prometheus 2 includes a sample exactly at ``T - W``,
  VictoriaMetrics does not (like Prometheus 3); the exporter's ``[W - 1ms]`` and
  ``[W - 1ms:slice]`` make all three agree.  ``increase()`` keeps ``[W]``: there
  VictoriaMetrics takes the sample before the window anyway.
* Lookback: Prometheus 2 sees a sample exactly 5 min old, VictoriaMetrics does not.  Inside
  a subquery VictoriaMetrics looks back about one subquery step (a little over the sample
  interval when the step is shorter), not 5 min: a slice shorter than 5 min whose samples
  stopped is a slice without data on VictoriaMetrics but not on Prometheus.
* ``rate()``: Prometheus multiplies the increase by ``1/W``, VictoriaMetrics divides it by
  the time its samples span.  So the two differ in the last bit, which can only flip a
  slice whose exact value equals its bound; and over a window that reaches before a
  series' first sample VictoriaMetrics' rate is higher (a throughput slice at the very
  start of a series can be good there and bad on Prometheus).
* Values: VictoriaMetrics stores floats as decimals; a non-integer value with many digits
  (``_sum`` of a histogram) comes back within 1e-12 relative, integers exactly.
* A default VictoriaMetrics answers a ``time`` within its ``-search.latencyOffset`` (30 s)
  of its clock at *its clock minus 30 s*; ``evaluation.delay: 30s`` avoids that.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

import aiohttp
import pytest
from history import DAY, HOUR, LOOKBACK, MINUTE, History, LabelMatcher
from prometheus_server import PrometheusServer
from victoria_server import (
    VictoriaProcess,
    VictoriaServer,
    start_victoria_process,
    start_victoria_server,
)

from exporter.domain.budgeting import Budgeting, Method
from exporter.domain.model import (
    SLI,
    BoolGaugeSLI,
    FreshnessSLI,
    LatencySLI,
    RatioSLI,
    RawSLI,
    ThresholdSLI,
    ThroughputSLI,
)
from exporter.promql.client import PromQLClient
from exporter.promql.sli_queries import window_queries
from exporter.schedule import evaluation_time
from exporter.settings import BackendSettings

Labels = dict[str, LabelMatcher]


@dataclass(frozen=True)
class Counter:
    """A PromQL selector and the same selection for ``History``."""

    selector: str
    name: str
    labels: Labels


COUNTERS = (
    Counter(
        'http_requests_total{service="checkout"}', "http_requests_total", {"service": "checkout"}
    ),
    Counter(
        'http_requests_total{service="checkout",code=~"5.."}',
        "http_requests_total",
        {"service": "checkout", "code": lambda c: c.startswith("5")},
    ),
    Counter(
        'http_request_duration_seconds_bucket{service="checkout",le="0.3"}',
        "http_request_duration_seconds_bucket",
        {"service": "checkout", "le": "0.3"},
    ),
    Counter('search_errors_total{service="search"}', "search_errors_total", {"service": "search"}),
)

WINDOWS = {"1m": 60, "5m": 300, "30m": 1800, "1h": HOUR, "6h": 6 * HOUR, "1d": DAY}
WINDOWS |= {"3d": 3 * DAY, "7d": 7 * DAY, "30d": 30 * DAY}

WHOLE_MINUTES = {
    "now": lambda h: h.now,
    "1d-ago": lambda h: h.now - DAY,
    "outage+10m": lambda h: h.incidents["checkout_outage"].start + 10 * MINUTE,
    "reset": lambda h: h.reset_at,
    "reset-1m": lambda h: h.reset_at - MINUTE,
    "start+1h": lambda h: h.start + HOUR,
    "end": lambda h: h.end,
}

OFF_GRID = {
    "now+30s": lambda h: h.now + 30,
    "now-17s": lambda h: h.now - 17,
    "now+0.5s": lambda h: h.now + 0.5,
    "reset+30s": lambda h: h.reset_at + 30,
}
OFF_GRID_WINDOWS = {"5m": 300, "30m": 1800, "1h": HOUR, "1d": DAY, "30d": 30 * DAY}
OFF_GRID_WINDOWS |= {"90s": 90, "150s": 150}


@pytest.fixture(scope="module")
def twin(
    prometheus: PrometheusServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VictoriaServer]:
    """A VictoriaMetrics holding exactly the history of the ``prometheus`` fixture."""
    server = start_victoria_server(tmp_path_factory.mktemp("twin"), now=prometheus.now)
    try:
        assert server.history.timestamps == prometheus.history.timestamps
        yield server
    finally:
        server.stop()


def prometheus_increase(
    history: History, counter: Counter, t: float, window: float
) -> float | None:
    """Prometheus 2.x ``sum(increase(sel[window]))`` at ``t`` (``extrapolatedRate`` in
    promql/functions.go): per series, the samples in ``[t - window, t]``, their increase
    with resets, stretched to the window's edges when a sample lies near them, else by half
    a sample interval; series with fewer than two samples are left out."""
    first = max(0, math.ceil((t - window - history.start) / history.step))
    last = history.index_at_or_before(t)
    times = history.timestamps[first : last + 1]
    total: float | None = None
    for series in history.select(counter.name, counter.labels):
        values = series.values()[first : last + 1]
        if len(values) < 2:
            continue
        result = values[-1] - values[0] + sum(a for a, b in pairwise(values) if b < a)
        to_start = times[0] - (t - window)
        to_end = t - times[-1]
        sampled = times[-1] - times[0]
        average = sampled / (len(values) - 1)
        if result > 0 and values[0] >= 0:
            to_start = min(to_start, sampled * values[0] / result)
        threshold = average * 1.1
        stretched = sampled
        stretched += to_start if to_start < threshold else average / 2
        stretched += to_end if to_end < threshold else average / 2
        total = (total or 0.0) + result * stretched / sampled
    return total


def _truth(history: History, counter: Counter, t: float, window: float) -> float:
    return history.increase(counter.name, counter.labels, t, window)


# --------------------------------------------------------------------------- increase()


@pytest.mark.parametrize("when", list(WHOLE_MINUTES))
def test_whole_minute_increase_is_exact_on_every_backend(backend, when):
    """At a whole-minute T, every whole-minute window from 1m to 30d (reaching across the
    counter reset and before the first sample) counts exactly the events of (T - W, T]."""
    history = backend.history
    t = WHOLE_MINUTES[when](history)
    wrong = []
    for label, window in WINDOWS.items():
        for counter in COUNTERS:
            got = backend.query_value(f"sum(increase({counter.selector}[{label}]))", t)
            want = _truth(history, counter, t, window)
            if got != want:
                wrong.append((counter.selector, label, got, want))
    assert wrong == [], f"{backend.kind} at {when}"


@pytest.mark.parametrize("when", list(OFF_GRID))
def test_off_grid_victoria_counts_exactly_and_prometheus_extrapolates(prometheus, twin, when):
    """At a T off the minute grid, or over a window that is no whole number of minutes,
    VictoriaMetrics still counts the events between the last samples at or before T - W and
    T exactly, while Prometheus returns its extrapolated estimate (so not a whole number)."""
    history = prometheus.history
    t = OFF_GRID[when](history)
    extrapolated = 0
    for label, window in OFF_GRID_WINDOWS.items():
        for counter in COUNTERS:
            promql = f"sum(increase({counter.selector}[{label}]))"
            truth = _truth(history, counter, t, window)
            assert twin.query_value(promql, t) == truth, (promql, "victoria-metrics")
            want = prometheus_increase(history, counter, t, window)
            got = prometheus.query_value(promql, t)
            if want is None:
                assert got is None, (promql, "prometheus")
                continue
            assert got == pytest.approx(want, rel=1e-9), (promql, "prometheus")
            extrapolated += got != truth
    assert extrapolated > 0, "Prometheus should have extrapolated somewhere"


def test_increase_ignores_the_one_millisecond_that_range_functions_need(prometheus, twin):
    """``increase(x[W - 1ms])`` is still exact on VictoriaMetrics (it takes the sample just
    before the window) but extrapolated on Prometheus: the exporter keeps ``[W]`` there."""
    history = prometheus.history
    counter = COUNTERS[3]
    for t in (history.now, history.now - DAY):
        promql = f"sum(increase({counter.selector}[299999ms]))"
        truth = _truth(history, counter, t, 300)
        assert twin.query_value(promql, t) == truth
        want = prometheus_increase(history, counter, t, 299.999)
        assert prometheus.query_value(promql, t) == pytest.approx(want, rel=1e-9)
        assert want != truth


# --------------------------------------------------------------------------- ranges, lookback


def test_range_and_subquery_left_edges(prometheus, twin):
    """A range or subquery of exactly W holds one sample more on Prometheus 2 (the one at
    T - W) than on VictoriaMetrics; one of W - 1ms, as the exporter writes, holds the same
    samples on both: those of (T - W, T]."""
    history = prometheus.history
    t = history.now - history.now % 300 - HOUR  # a multiple of the 5 m subquery step
    samples = len(history.gauge_samples("probe_success", {}, t, 300))
    assert samples == 5
    cases = {
        "count_over_time(probe_success[5m])": (6, 5),
        "count_over_time(probe_success[299999ms])": (5, 5),
        "count_over_time((probe_success)[1h:5m])": (13, 12),
        "count_over_time((probe_success)[3599999ms:5m])": (12, 12),
    }
    for promql, (on_prometheus, on_victoria) in cases.items():
        assert prometheus.query_value(promql, t) == on_prometheus, promql
        assert twin.query_value(promql, t) == on_victoria, promql


@pytest.mark.parametrize("age", [240, 299, 300, 301])
def test_lookback_includes_five_minutes_on_prometheus_only(prometheus, twin, age):
    """An instant selector sees a sample up to 5 min old on both; one exactly 5 min old only
    on Prometheus 2 (VictoriaMetrics, like Prometheus 3, looks back over (T - 5m, T])."""
    history = prometheus.history
    t = history.end + age
    want = history.gauge_at("probe_success", {}, t)
    assert [float(v) for v in want] == _values(prometheus.query("probe_success", t))
    on_victoria = [] if age == LOOKBACK else want
    assert [float(v) for v in on_victoria] == _values(twin.query("probe_success", t))


def test_subquery_lookback_is_about_one_step_on_victoria(prometheus, twin):
    """Inside a subquery with 1 m steps, a gauge whose samples stopped still has a value for
    5 min on Prometheus but for less than 2 min on VictoriaMetrics, so its slices run out of
    data sooner there."""
    history = prometheus.history
    promql = "count_over_time((probe_success)[179999ms:1m])"
    got = {
        age: (
            prometheus.query_value(promql, history.end + age),
            twin.query_value(promql, history.end + age),
        )
        for age in (60, 120, 180, 240)
    }
    assert got == {60: (3, 3), 120: (3, 2), 180: (3, 1), 240: (3, None)}


def _values(data: dict) -> list[float]:
    return sorted(float(sample["value"][1]) for sample in data["result"])


# --------------------------------------------------------------------------- our queries

CHECKOUT = 'http_requests_total{service="checkout"}'
CHECKOUT_5XX = 'http_requests_total{service="checkout",code=~"5.."}'
SEARCH_ERROR_RATIO = (
    'sum(rate(search_errors_total{service="search"}[5m]))'
    ' / sum(rate(search_requests_total{service="search"}[5m]))'
)
SLICE = 300
ERROR_RATIO_BOUND = Fraction(1, 100)
THROUGHPUT_FLOOR = Fraction(3, 5)
SLICED = Budgeting(method=Method.TIMESLICES, slice=SLICE, slice_target=99.0)
RATIO_SLICED = Budgeting(method=Method.RATIO_TIMESLICES, slice=SLICE)

EXPORTER_SLIS: dict[str, tuple[SLI, Budgeting | None]] = {
    "latency": (
        LatencySLI(histogram='http_request_duration_seconds{service="checkout"}', threshold=0.3),
        None,
    ),
    "timeslices": (RatioSLI(total=CHECKOUT, bad=CHECKOUT_5XX), SLICED),
    "ratio-timeslices": (RatioSLI(total=CHECKOUT, bad=CHECKOUT_5XX), RATIO_SLICED),
    "quiet-timeslices": (
        RatioSLI(
            total='http_requests_total{service="quiet"}',
            bad='http_requests_total{service="quiet",code=~"5.."}',
        ),
        SLICED,
    ),
    "bool-gauge": (BoolGaugeSLI(metric='probe_success{job="blackbox"}'), None),
    "threshold": (
        ThresholdSLI(query=SEARCH_ERROR_RATIO, op="lte", value=float(ERROR_RATIO_BOUND)),
        None,
    ),
    "raw": (RawSLI(query='avg(probe_success{job="blackbox"})'), None),
    "freshness": (
        FreshnessSLI(
            timestamp='batch_last_success_timestamp_seconds{job="nightly-export"}', max_age=1800
        ),
        None,
    ),
    "throughput": (
        ThroughputSLI(
            counter='search_requests_total{service="search"}', floor=float(THROUGHPUT_FLOOR)
        ),
        None,
    ),
}
EXPORTER_WINDOWS = {"5m": 300, "1h": HOUR, "1d": DAY, "7d": 7 * DAY, "30d": 30 * DAY}
EXPORTER_TIMES = {
    "now": lambda h: h.now,
    "now-2m": lambda h: h.now - 2 * MINUTE,
    "1d-ago": lambda h: h.now - DAY,
    "outage+10m": lambda h: h.incidents["checkout_outage"].start + 10 * MINUTE,
    "start+2h": lambda h: h.start + 2 * HOUR,
    "end": lambda h: h.end,
}


def _slice_ends(t: int, window: int) -> range:
    """Ends of the 5 m slices in (t - window, t] (multiples of 5 m since the epoch)."""
    return range((t - window) // SLICE * SLICE + SLICE, t // SLICE * SLICE + 1, SLICE)


def _first_slice(history: History) -> int:
    """The slice whose 5 m rate window holds the first sample but does not start at it."""
    return (history.start // SLICE + 1) * SLICE


def _ties(kind: str, history: History, t: int, window: int) -> int:
    """Slices of the window whose exact (rational) value equals the SLI's bound: the two
    backends round ``rate()`` differently in the last bit, so only there can they judge a
    slice differently (a value off the bound is off by far more than a rounding error)."""
    ties = 0
    for end in _slice_ends(t, window):
        requests = history.increase("search_requests_total", {"service": "search"}, end, SLICE)
        if kind == "throughput":
            ties += Fraction(requests) / SLICE == THROUGHPUT_FLOOR
        else:
            errors = history.increase("search_errors_total", {"service": "search"}, end, SLICE)
            ties += requests > 0 and Fraction(errors) / Fraction(requests) == ERROR_RATIO_BOUND
    return ties


@pytest.mark.parametrize("kind", list(EXPORTER_SLIS))
def test_exporter_queries_agree_across_backends(prometheus, twin, kind):
    """Every query the exporter sends for these SLI kinds returns the same number on both
    backends at whole-minute times, except where measured and explained: the sum of
    per-slice ratios differs in the last bits (1e-12 relative); a slice judged on
    ``rate()`` whose exact value equals the bound may be judged either way (the backends
    round ``rate()`` differently, see ``test_rate_rounding_and_series_start``); and the
    throughput slice whose rate window reaches before the counter's first sample can be
    judged differently (VictoriaMetrics divides by the time its samples span)."""
    sli, budgeting = EXPORTER_SLIS[kind]
    history = prometheus.history
    for when, at in EXPORTER_TIMES.items():
        t = at(history)
        for label, window in EXPORTER_WINDOWS.items():
            queries = window_queries(sli, window, budgeting)
            for part, promql in (("numerator", queries.numerator), ("total", queries.total)):
                on_prometheus = prometheus.query_value(promql, t)
                on_victoria = twin.query_value(promql, t)
                where = (when, label, part)
                if kind == "ratio-timeslices" and part == "numerator":
                    assert on_victoria == pytest.approx(on_prometheus, rel=1e-12), where
                elif kind in {"threshold", "throughput"} and part == "numerator":
                    allowed = _ties(kind, history, t, window)
                    if kind == "throughput" and t - window < _first_slice(history) <= t:
                        allowed += 1
                    assert on_prometheus is not None, where
                    assert on_victoria is not None, where
                    assert abs(on_victoria - on_prometheus) <= allowed, where
                else:
                    assert on_victoria == on_prometheus, where


def test_rate_rounding_and_series_start(prometheus, twin):
    """``rate(x[5m])`` at whole-minute slice ends: Prometheus multiplies the increase by
    1/300, VictoriaMetrics divides it by 300 (so they can differ in the last bit).  Where
    the window reaches before the series' first sample, Prometheus still divides by the 5 m
    window, VictoriaMetrics by the time from the first sample: a higher rate."""
    history = prometheus.history
    selector = 'search_requests_total{service="search"}'
    promql = f"rate({selector}[5m])"
    last_bit = 0
    for end in _slice_ends(history.now, 6 * HOUR):
        increase = history.increase("search_requests_total", {"service": "search"}, end, SLICE)
        assert prometheus.query_value(promql, end) == increase * (1 / SLICE), end
        assert twin.query_value(promql, end) == increase / SLICE, end
        last_bit += increase * (1 / SLICE) != increase / SLICE
    assert last_bit > 0
    first = _first_slice(history)
    increase = history.increase("search_requests_total", {"service": "search"}, first, SLICE)
    assert prometheus.query_value(promql, first) == pytest.approx(increase / SLICE, rel=1e-15)
    assert twin.query_value(promql, first) == pytest.approx(
        increase / (first - history.start), rel=1e-15
    )


def test_float_values_within_1e12_integers_exact(prometheus, twin):
    """Integer counters come back exactly from both; a non-integer value with many digits
    (a histogram's ``_sum``) comes back exactly from Prometheus and within 1e-12 relative
    from VictoriaMetrics, which stores values as decimals (whether a given value is
    rounded depends on its digits, so only the bound is asserted)."""
    history = prometheus.history
    (duration_sum,) = history.select("http_request_duration_seconds_sum")
    (duration_count,) = history.select("http_request_duration_seconds_count")
    for i in (1000, 5000, len(history.timestamps) - 1):
        t = history.timestamps[i]
        exact_sum = duration_sum.values()[i]
        got = twin.query_value("http_request_duration_seconds_sum", t)
        assert prometheus.query_value("http_request_duration_seconds_sum", t) == exact_sum
        assert got == pytest.approx(exact_sum, rel=1e-12, abs=0)
        count = duration_count.values()[i]
        assert twin.query_value("http_request_duration_seconds_count", t) == count


# --------------------------------------------------------------------------- latency offset


@pytest.fixture(scope="module")
def default_victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaProcess]:
    """An empty VictoriaMetrics with its default search flags (as most people run it)."""
    server = start_victoria_process(tmp_path_factory.mktemp("default-vm"), ("-loggerLevel=WARN",))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def client(default_victoria) -> AsyncIterator[PromQLClient]:
    async with aiohttp.ClientSession() as session:
        yield PromQLClient(session, BackendSettings(url=default_victoria.url))


async def test_default_victoria_moves_recent_evaluation_times(client):
    """The exporter asks a default VictoriaMetrics for ``time()`` at the current second and
    gets an earlier time back: it answers instant queries within 30 s of its clock
    (``-search.latencyOffset``) at its clock minus 30 s, so results would not be at T."""
    at = float(math.floor(time.time()))
    assert (await client.query("time()", at)).value < at


async def test_thirty_seconds_of_evaluation_delay_keeps_t_on_victoria(client):
    """With ``evaluation.delay: 30s`` the daemon's T is at least 30 s old, and a default
    VictoriaMetrics evaluates exactly at T."""
    at = evaluation_time(time.time(), 60, 30)
    assert (await client.query("time()", at)).value == at
