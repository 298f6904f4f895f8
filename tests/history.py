"""Synthetic metric history plus an exact ground-truth model of it.

The history is pure data: it does not import the exporter.  It is written to OpenMetrics
with :func:`write_openmetrics`, backfilled into a real Prometheus by
``tests/prometheus_server.py``, and :meth:`History.increase` tells tests what
``sum(increase(selector[window]))`` must return at an evaluation time ``t``.

Why the shape of the data makes ``increase()`` exact in Prometheus 2.x: every series has a
sample at every whole minute from ``start`` to ``end`` (``end`` lies 3 h in the future) and
starts at value 0.  For a window ``[t - W, t]`` with ``t`` and ``W`` whole minutes inside the
data there is a sample exactly at both ends, so Prometheus does not extrapolate; when the
window reaches back before ``start`` the first sample in it is the value-0 start sample,
which makes Prometheus' "extrapolate no further than zero" rule cancel the extrapolation.
Hence ``increase`` equals the sum of the increments sampled at timestamps in ``(t - W, t]``.

Timeline (all relative to ``now`` = the builder's ``now`` aligned down to a whole minute; an
incident covering ``(a, b]`` affects the increments sampled at timestamps ``a < ts <= b``):

* checkout outage, ~40 % 5xx ............ ``(now - 2d, now - 2d + 20m]``
* checkout counter reset (instance "b") . first post-reset sample at ``now - 3d + 7m``
* checkout slow burn, ~0.4 % 5xx ........ ``(now - 30h, now - 20h]``
* search incident, ~10 % errors ......... ``(now - 25h, now - 24h]``
* checkout latency degradation .......... ``(now - 6h, now - 5h]`` (~80 % <= 0.3 s)
* quiet service goes silent ............. ``(now - 12h, end]`` (zero increments)
* checkout fast burn, ~25 % 5xx ......... ``(now - 45m, now]``; normal again after ``now``
* search traffic dip, 1/4 of the traffic . ``(now - 10h, now - 9h]`` (same error odds)
* nightly-export batch failure .......... ``(now - 26h, now - 23h]`` (no success, ~55 % done)

Gauges (``History.gauges``) hold one sample per whole minute, like the counters, written
as ``# TYPE ... gauge`` families:

* ``probe_success{job="blackbox",target="checkout"}``: 1, but 0 during the checkout outage
  and at a few isolated seeded minutes (``History.probe_blips``);
* ``batch_last_success_timestamp_seconds{job="nightly-export"}``: the unix time of the
  batch job's last success (``History.batch_successes``: every 30 min at ``:07`` and
  ``:37`` plus a seeded 0-59 s, none during the batch failure).

With them come the counters ``batch_records_expected_total`` and
``batch_records_processed_total`` (``{job="nightly-export"}``; processed <= expected every
minute).  New series draw from their own random stream, so adding them changed no
existing series.

``api_requests_total{service="api",route,code}`` (codes 200 and 500) has a label with
several values, for grouped SLOs (``group_by: [route]``), from its own random stream too:

* ``/cart``, ``/pay``, ``/search``: traffic all along; ``/pay`` fails ~20 % during the
  pay incident ``(now - 30m, now]``;
* ``/legacy``: traffic only until ``now - 7d - 1h`` (``History.legacy_until``): a group a
  7-day period finds a day ago but no longer now;
* ``/new``: traffic from ``now - 2h`` on (``History.new_from``): a group that appears.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple, TextIO

STEP = 60
"""Seconds between samples."""
HISTORY_SPAN = 8 * 86400
"""``end - start`` in seconds."""
FUTURE = 3 * 3600
"""How far past ``now`` the samples extend (``end - now``)."""
SEED = 42
LOOKBACK = 300
"""Prometheus' default lookback delta: an instant selector sees a sample at most 5 min old."""
BATCH_INTERVAL = 30 * 60
"""The nightly-export batch job succeeds every 30 minutes ..."""
BATCH_OFFSET = 7 * 60
"""... at ``:07`` and ``:37`` past the hour (plus a seeded 0-59 s), outside its failure."""
PROBE_BLIPS_PER_DAY = 3
"""Isolated minutes per day in which ``probe_success`` is 0 outside the outage."""

MINUTE = 60
HOUR = 3600
DAY = 86400

# Histogram bucket bounds, formatted the way Go / Prometheus clients format them.
LATENCY_BUCKETS: tuple[str, ...] = ("0.05", "0.1", "0.3", "1", "+Inf")
_LATENCY_CDF_NORMAL = (0.50, 0.80, 0.99, 0.998, 1.0)
_LATENCY_CDF_DEGRADED = (0.20, 0.40, 0.80, 0.95, 1.0)
# Representative duration of a request that falls into each bucket (for ``_sum``).
_LATENCY_MIDPOINTS = (0.03, 0.07, 0.18, 0.5, 1.8)
# _sum increments are multiples of 2**-10: every partial sum is then exact in float64, so
# Prometheus' ``v(t) - v(t - W)`` and our prefix-sum difference agree bit for bit.
_SUM_QUANTUM = 1024

CHECKOUT_CODES: tuple[str, ...] = ("200", "404", "500", "503")
CHECKOUT_INSTANCES: tuple[str, ...] = ("a", "b")
API_ROUTES: tuple[str, ...] = ("/cart", "/legacy", "/new", "/pay", "/search")
"""The ``route`` values of ``api_requests_total``, sorted."""

LabelMatcher = str | Callable[[str], bool]
"""An exact label value, or a predicate on the value (absent labels are seen as "")."""


class Incident(NamedTuple):
    """Increments sampled at timestamps ``start < ts <= end`` are affected."""

    start: int
    end: int

    def __contains__(self, ts: object) -> bool:
        return isinstance(ts, int | float) and self.start < ts <= self.end


@dataclass
class Series:
    """One time series: metric name, labels and the increment drawn at each timestamp.

    ``increments[i]`` is the counter increase over ``(timestamps[i] - STEP, timestamps[i]]``;
    ``increments[0]`` is always 0 (the series starts at 0).  ``resets`` holds the indices
    whose sample restarts the counter from 0, i.e. ``value[i] == increments[i]`` there.
    """

    name: str
    labels: dict[str, str]
    increments: list[float]
    resets: tuple[int, ...] = ()
    _prefix: list[float] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def prefix(self) -> list[float]:
        """``prefix[i]`` = sum of ``increments[0..i]`` (never affected by resets)."""
        if self._prefix is None:
            self._prefix = list(accumulate(self.increments))
        return self._prefix

    def values(self) -> list[float]:
        """The raw counter values as Prometheus stores them (they drop at resets)."""
        out: list[float] = []
        value: float = 0
        reset_set = set(self.resets)
        for i, inc in enumerate(self.increments):
            value = inc if i in reset_set else value + inc
            out.append(value)
        return out

    def matches(self, name: str, labels: Mapping[str, LabelMatcher]) -> bool:
        return self.name == name and _labels_match(self.labels, labels)


def _labels_match(have: Mapping[str, str], want: Mapping[str, LabelMatcher]) -> bool:
    for key, matcher in want.items():
        value = have.get(key, "")
        if callable(matcher):
            if not matcher(value):
                return False
        elif value != matcher:
            return False
    return True


@dataclass
class Gauge:
    """One gauge series: metric name, labels and its value at each timestamp."""

    name: str
    labels: dict[str, str]
    samples: list[float]

    def values(self) -> list[float]:
        """The raw sample values as Prometheus stores them."""
        return list(self.samples)

    def matches(self, name: str, labels: Mapping[str, LabelMatcher]) -> bool:
        return self.name == name and _labels_match(self.labels, labels)


@dataclass
class History:
    """The generated history and its ground truth.

    ``now`` is the builder's ``now`` aligned down to a whole minute; ``timestamps`` are
    ``start, start + step, ..., end`` (seconds since the epoch, all whole minutes).
    """

    start: int
    end: int
    step: int
    now: int
    series: list[Series]
    incidents: dict[str, Incident]
    reset_at: int
    """Timestamp of the first sample after the counter reset of checkout instance "b"."""
    gauges: list[Gauge] = field(default_factory=list)
    """Gauge series (``series`` holds the counters and the histogram)."""
    probe_blips: tuple[int, ...] = ()
    """Timestamps of the isolated minutes where ``probe_success`` is 0 outside the outage."""
    batch_successes: tuple[float, ...] = ()
    """Unix times of every nightly-export success from before ``start`` to ``end``, sorted."""
    legacy_until: int = 0
    """``api_requests_total{route="/legacy"}`` has no increments sampled after this."""
    new_from: int = 0
    """``api_requests_total{route="/new"}`` has no increments sampled at or before this."""

    @property
    def timestamps(self) -> range:
        return range(self.start, self.end + 1, self.step)

    def select(self, name: str, labels: Mapping[str, LabelMatcher] | None = None) -> list[Series]:
        """All counter series called ``name`` whose labels match every matcher in ``labels``."""
        return [s for s in self.series if s.matches(name, labels or {})]

    def select_gauges(
        self, name: str, labels: Mapping[str, LabelMatcher] | None = None
    ) -> list[Gauge]:
        """All gauges called ``name`` whose labels match every matcher in ``labels``."""
        return [g for g in self.gauges if g.matches(name, labels or {})]

    def index_at_or_before(self, t: float) -> int:
        """Index of the last timestamp ``<= t`` (-1 before ``start``, clamped at ``end``)."""
        if t < self.start:
            return -1
        return min(int((t - self.start) // self.step), len(self.timestamps) - 1)

    def increase(
        self,
        name: str,
        labels: Mapping[str, LabelMatcher] | None,
        t: float,
        window: float,
    ) -> float:
        """Exact sum of the increments of all matching series sampled in ``(t - window, t]``.

        Equals Prometheus' ``sum(increase(name{labels}[window]))`` evaluated at ``t`` when
        ``t`` and ``window`` are whole minutes and ``t`` lies within ``[start, end]``.
        Returns 0.0 when no series matches (Prometheus returns an empty vector then).
        """
        hi = self.index_at_or_before(t)
        lo = self.index_at_or_before(t - window)
        total = 0.0
        for s in self.select(name, labels):
            prefix = s.prefix
            upper = prefix[hi] if hi >= 0 else 0.0
            lower = prefix[lo] if lo >= 0 else 0.0
            total += upper - lower
        return total

    def ratio(
        self,
        name: str,
        bad: Mapping[str, LabelMatcher],
        total: Mapping[str, LabelMatcher],
        t: float,
        window: float,
    ) -> float | None:
        """``increase(bad) / increase(total)``, or None when there was no traffic."""
        denominator = self.increase(name, total, t, window)
        if denominator == 0:
            return None
        return self.increase(name, bad, t, window) / denominator

    def gauge_at(
        self, name: str, labels: Mapping[str, LabelMatcher] | None, t: float
    ) -> list[float]:
        """What the instant selector ``name{labels}`` returns at ``t``: one value per matching
        gauge, its latest sample at or before ``t`` if at most ``LOOKBACK`` seconds old."""
        i = self.index_at_or_before(t)
        if i < 0 or t - self.timestamps[i] > LOOKBACK:
            return []
        return [g.samples[i] for g in self.select_gauges(name, labels)]

    def gauge_samples(
        self, name: str, labels: Mapping[str, LabelMatcher] | None, t: float, window: float
    ) -> list[float]:
        """Every sample of every matching gauge taken at a timestamp in ``(t - window, t]``
        (what ``<fn>_over_time(name{labels}[window - 1ms])`` sees at a whole-minute ``t``)."""
        hi = self.index_at_or_before(t)
        lo = self.index_at_or_before(t - window)
        if hi < 0:
            return []
        return [v for g in self.select_gauges(name, labels) for v in g.samples[lo + 1 : hi + 1]]

    def last_batch_success(self, t: float) -> float | None:
        """Unix time of the nightly-export job's last success at or before ``t`` (from the
        schedule, not from the gauge), or None if there was none."""
        i = bisect.bisect_right(self.batch_successes, t)
        return self.batch_successes[i - 1] if i else None


# --------------------------------------------------------------------------- generation


def _stochastic_round(rng: random.Random, x: float) -> int:
    """Round ``x >= 0`` up with probability equal to its fractional part."""
    whole = math.floor(x)
    return whole + (1 if rng.random() < x - whole else 0)


def _diurnal(ts: int, low: float, high: float) -> float:
    mid = (low + high) / 2
    amplitude = (high - low) / 2
    return mid + amplitude * math.sin(2 * math.pi * (ts % DAY) / DAY)


def _incidents(now: int, end: int) -> dict[str, Incident]:
    return {
        "checkout_outage": Incident(now - 2 * DAY, now - 2 * DAY + 20 * MINUTE),
        "checkout_slow_burn": Incident(now - 30 * HOUR, now - 20 * HOUR),
        "search_incident": Incident(now - 25 * HOUR, now - 24 * HOUR),
        "checkout_latency": Incident(now - 6 * HOUR, now - 5 * HOUR),
        "quiet_silence": Incident(now - 12 * HOUR, end),
        "checkout_fast_burn": Incident(now - 45 * MINUTE, now),
        "search_dip": Incident(now - 10 * HOUR, now - 9 * HOUR),
        "batch_failure": Incident(now - 26 * HOUR, now - 23 * HOUR),
        "pay_incident": Incident(now - 30 * MINUTE, now),
    }


def _draw_checkout(
    rng: random.Random, ts: int, incidents: Mapping[str, Incident]
) -> dict[tuple[str, str], int]:
    """Requests per (code, instance) in one minute: ~120-280 req/min with a diurnal cycle."""
    if ts in incidents["checkout_outage"]:
        p5xx = 0.40
    elif ts in incidents["checkout_fast_burn"]:
        p5xx = 0.25
    elif ts in incidents["checkout_slow_burn"]:
        p5xx = 0.004
    else:
        p5xx = 0.0005
    total = max(0, round(_diurnal(ts, 120, 280) + rng.uniform(-15, 15)))
    share_a = math.floor(total * rng.uniform(0.45, 0.55))
    out: dict[tuple[str, str], int] = {}
    for inst, n_inst in (("a", share_a), ("b", total - share_a)):
        n5xx = min(n_inst, _stochastic_round(rng, n_inst * p5xx))
        n500 = min(n5xx, _stochastic_round(rng, n5xx * 0.6))
        n404 = min(n_inst - n5xx, _stochastic_round(rng, (n_inst - n5xx) * 0.01))
        out["500", inst] = n500
        out["503", inst] = n5xx - n500
        out["404", inst] = n404
        out["200", inst] = n_inst - n5xx - n404
    return out


def _draw_latency(rng: random.Random, total: int, degraded: bool) -> tuple[list[int], float]:
    """Cumulative bucket counts (one per LATENCY_BUCKETS, last == total) and the _sum."""
    cdf = _LATENCY_CDF_DEGRADED if degraded else _LATENCY_CDF_NORMAL
    cumulative: list[int] = []
    previous = 0
    duration = 0.0
    for k, fraction in enumerate(cdf):
        count = total if k == len(cdf) - 1 else _stochastic_round(rng, total * fraction)
        count = min(total, max(previous, count))
        cumulative.append(count)
        duration += (count - previous) * _LATENCY_MIDPOINTS[k]
        previous = count
    return cumulative, round(duration * rng.uniform(0.9, 1.1) * _SUM_QUANTUM) / _SUM_QUANTUM


def build_history(now: float, seed: int = SEED, span: int = HISTORY_SPAN) -> History:
    """Generate the history around ``now`` (seconds since the epoch); deterministic in all.

    ``span`` is ``end - start``: the tests use 8 days, the demo a month.
    """
    if span < HISTORY_SPAN:
        raise ValueError(f"span must be at least {HISTORY_SPAN} s to hold every incident")
    now_aligned = int(now // STEP) * STEP
    end = now_aligned + FUTURE
    start = end - span
    timestamps = range(start, end + 1, STEP)
    rng = random.Random(seed)
    incidents = _incidents(now_aligned, end)
    reset_at = now_aligned - 3 * DAY + 7 * MINUTE
    reset_index = (reset_at - start) // STEP

    def new(name: str, resets: tuple[int, ...] = (), **labels: str) -> Series:
        return Series(name, labels, [0] * len(timestamps), resets)

    checkout = {
        (code, inst): new(
            "http_requests_total",
            resets=(reset_index,) if inst == "b" else (),
            service="checkout",
            code=code,
            instance=inst,
        )
        for inst in CHECKOUT_INSTANCES
        for code in CHECKOUT_CODES
    }
    quiet_ok = new("http_requests_total", service="quiet", code="200")
    quiet_err = new("http_requests_total", service="quiet", code="500")
    buckets = [
        new("http_request_duration_seconds_bucket", service="checkout", le=le)
        for le in LATENCY_BUCKETS
    ]
    latency_count = new("http_request_duration_seconds_count", service="checkout")
    latency_sum = new("http_request_duration_seconds_sum", service="checkout")
    search_requests = new("search_requests_total", service="search")
    search_errors = new("search_errors_total", service="search")

    for i, ts in enumerate(timestamps):
        if i == 0:
            continue  # every series starts at 0
        # checkout requests, and their latency histogram.
        per_code = _draw_checkout(rng, ts, incidents)
        for key, count in per_code.items():
            checkout[key].increments[i] = count
        total = sum(per_code.values())
        cumulative, duration = _draw_latency(rng, total, ts in incidents["checkout_latency"])
        for bucket, count in zip(buckets, cumulative, strict=True):
            bucket.increments[i] = count
        latency_count.increments[i] = total
        latency_sum.increments[i] = duration

        # search: ~30-60 req/min, ~0.5 % errors.
        n_search = max(0, round(_diurnal(ts + 6 * HOUR, 30, 60) + rng.uniform(-5, 5)))
        if ts in incidents["search_dip"]:
            n_search //= 4  # no extra draw: the random stream stays as it was
        p_err = 0.10 if ts in incidents["search_incident"] else 0.005
        search_requests.increments[i] = n_search
        search_errors.increments[i] = min(n_search, _stochastic_round(rng, n_search * p_err))

        # quiet: a few requests per hour, then silence.
        ok = 1 if rng.random() < 4 / 60 else 0
        err = 1 if rng.random() < 0.5 / 60 else 0
        if ts not in incidents["quiet_silence"]:
            quiet_ok.increments[i] = ok
            quiet_err.increments[i] = err

    history = History(
        start=start,
        end=end,
        step=STEP,
        now=now_aligned,
        series=[
            *checkout.values(),
            quiet_ok,
            quiet_err,
            *buckets,
            latency_count,
            latency_sum,
            search_requests,
            search_errors,
        ],
        incidents=incidents,
        reset_at=reset_at,
    )
    _add_probe_and_batch(history, random.Random(f"{seed}-gauges"))
    _add_api_routes(history, random.Random(f"{seed}-routes"))
    _check_resets_detectable(history)
    return history


def _add_probe_and_batch(history: History, rng: random.Random) -> None:
    """The blackbox probe, the batch job's freshness gauge and its record counters.

    They draw from ``rng`` only, so the series generated before them stay as they were.
    """
    timestamps = history.timestamps
    incidents = history.incidents
    outage, failure = incidents["checkout_outage"], incidents["batch_failure"]

    blips: set[int] = set()
    for day_start in range(history.start, history.end, DAY):
        candidates = [
            ts
            for ts in range(day_start + STEP, min(day_start + DAY, history.end) + 1, STEP)
            if ts not in outage
        ]
        blips.update(rng.sample(candidates, PROBE_BLIPS_PER_DAY))
    probe = Gauge(
        "probe_success",
        {"job": "blackbox", "target": "checkout"},
        [0 if ts in outage or ts in blips else 1 for ts in timestamps],
    )

    first_run = (history.start - 2 * HOUR) // BATCH_INTERVAL * BATCH_INTERVAL + BATCH_OFFSET
    successes = tuple(
        run + rng.randrange(60)
        for run in range(first_run, history.end + 1, BATCH_INTERVAL)
        if run not in failure
    )
    freshness = Gauge("batch_last_success_timestamp_seconds", {"job": "nightly-export"}, [])
    k = 0
    for ts in timestamps:
        while k + 1 < len(successes) and successes[k + 1] <= ts:
            k += 1
        freshness.samples.append(successes[k])

    labels = {"job": "nightly-export"}
    expected = Series("batch_records_expected_total", dict(labels), [0] * len(timestamps))
    processed = Series("batch_records_processed_total", dict(labels), [0] * len(timestamps))
    for i, ts in enumerate(timestamps):
        if i == 0:
            continue
        n = rng.randint(80, 120)
        lost = 1 if rng.random() < 0.05 else 0
        done = _stochastic_round(rng, n * 0.55) if ts in failure else n - lost
        expected.increments[i] = n
        processed.increments[i] = min(n, done)

    history.series.extend([expected, processed])
    history.gauges.extend([probe, freshness])
    history.probe_blips = tuple(sorted(blips))
    history.batch_successes = successes


_ROUTE_TRAFFIC = {"/cart": 40, "/legacy": 10, "/new": 15, "/pay": 20, "/search": 30}
"""Mean requests per minute of each route while it has traffic."""
_ROUTE_ERRORS = {"/cart": 0.002, "/legacy": 0.02, "/new": 0.01, "/pay": 0.01, "/search": 0.001}


def _add_api_routes(history: History, rng: random.Random) -> None:
    """``api_requests_total{service="api",route,code}``: one label with several values."""
    timestamps = history.timestamps
    history.legacy_until = history.now - 7 * DAY - HOUR
    history.new_from = history.now - 2 * HOUR
    pay_incident = history.incidents["pay_incident"]
    for route in API_ROUTES:
        labels = {"service": "api", "route": route}
        ok = Series("api_requests_total", {**labels, "code": "200"}, [0] * len(timestamps))
        failed = Series("api_requests_total", {**labels, "code": "500"}, [0] * len(timestamps))
        for i, ts in enumerate(timestamps):
            n = max(0, round(_ROUTE_TRAFFIC[route] + rng.uniform(-5, 5)))
            p_err = 0.2 if route == "/pay" and ts in pay_incident else _ROUTE_ERRORS[route]
            errors = min(n, _stochastic_round(rng, n * p_err))
            silent = (route == "/legacy" and ts > history.legacy_until) or (
                route == "/new" and ts <= history.new_from
            )
            if i == 0 or silent:
                continue
            ok.increments[i] = n - errors
            failed.increments[i] = errors
        history.series.extend([ok, failed])


def _check_resets_detectable(history: History) -> None:
    """Prometheus only sees a reset when the value drops; make sure every reset does
    (or is a no-op because the counter was still 0), otherwise ground truth would differ."""
    for s in history.series:
        if not s.resets:
            continue
        values = s.values()
        for i in s.resets:
            before, after = values[i - 1], values[i]
            if before != 0 and after >= before:
                raise AssertionError(f"undetectable counter reset in {s.name}{s.labels} at {i}")


# --------------------------------------------------------------------------- OpenMetrics


def _format_value(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _format_labels(labels: Mapping[str, str]) -> str:
    inner = ",".join(
        '{}="{}"'.format(k, v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


def _write_series(out: TextIO, s: Series | Gauge, timestamps: Sequence[int]) -> None:
    head = s.name + _format_labels(s.labels) + " "
    out.writelines(
        f"{head}{_format_value(v)} {ts}\n" for v, ts in zip(s.values(), timestamps, strict=True)
    )


def write_openmetrics(history: History, path: str | Path) -> None:
    """Write ``history`` as OpenMetrics text that ``promtool tsdb create-blocks-from
    openmetrics`` (2.42) accepts.

    Layout: one contiguous block per metric family with its ``# TYPE`` line first; counter
    and gauge series one after another, each in timestamp order; the histogram as one
    MetricPoint (all ``_bucket`` lines, ``_count``, ``_sum``) per timestamp.  Timestamps are
    integer seconds.  The file ends with ``# EOF``.
    """
    timestamps = list(history.timestamps)
    by_family: dict[str, list[Series]] = {}
    for s in history.series:
        by_family.setdefault(_family(s.name), []).append(s)
    with open(path, "w", encoding="utf-8") as out:
        for family, members in by_family.items():
            if family == "http_request_duration_seconds":
                _write_histogram(out, family, members, timestamps)
            else:
                out.write(f"# TYPE {family} counter\n")
                for s in members:
                    _write_series(out, s, timestamps)
        gauge_families: dict[str, list[Gauge]] = {}
        for g in history.gauges:
            gauge_families.setdefault(g.name, []).append(g)
        for family, gauges in gauge_families.items():
            out.write(f"# TYPE {family} gauge\n")
            for g in gauges:
                _write_series(out, g, timestamps)
        out.write("# EOF\n")


def _family(name: str) -> str:
    if name.startswith("http_request_duration_seconds_"):
        return "http_request_duration_seconds"
    if name.endswith("_total"):
        return name.removesuffix("_total")
    raise ValueError(f"do not know the family of {name}")  # pragma: no cover


def _write_histogram(
    out: TextIO, family: str, members: list[Series], timestamps: Sequence[int]
) -> None:
    """One MetricPoint (every ``_bucket``, ``_count``, ``_sum`` line) per timestamp."""
    out.write(f"# TYPE {family} histogram\n")
    heads = [s.name + _format_labels(s.labels) + " " for s in members]
    columns = [s.values() for s in members]
    for i, ts in enumerate(timestamps):
        out.writelines(
            f"{head}{_format_value(col[i])} {ts}\n"
            for head, col in zip(heads, columns, strict=True)
        )


__all__ = [
    "API_ROUTES",
    "BATCH_INTERVAL",
    "BATCH_OFFSET",
    "CHECKOUT_CODES",
    "CHECKOUT_INSTANCES",
    "DAY",
    "HOUR",
    "LATENCY_BUCKETS",
    "LOOKBACK",
    "MINUTE",
    "STEP",
    "Gauge",
    "History",
    "Incident",
    "LabelMatcher",
    "Series",
    "build_history",
    "write_openmetrics",
]
