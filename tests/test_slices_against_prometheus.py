"""Time slices, calendar periods, per-slice SLI kinds and no-data policies on a real Prometheus.

Each SLO below is built directly from the domain model, evaluated with the direct
pipeline (what ``eval`` runs) and the real ``PromQLClient`` at several explicit times,
and every number the exporter would expose (each window's events, SLI and burn rate; the
period's bounds and budget; the alert conditions) is compared with :mod:`slice_truth`,
which recomputes it from the generator's
own increments and gauge samples.  Counts must match exactly, ratios to 1e-6.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from history import DAY, HOUR, MINUTE, History, LabelMatcher
from pipelines import evaluate_direct
from prometheus_server import PrometheusServer
from slice_truth import (
    CounterSum,
    Counts,
    bool_gauge_events,
    bool_gauge_values,
    burn_rate,
    calendar_period,
    count_judged,
    counter_events,
    freshness_value,
    increase_ratio_value,
    instant_values,
    mean_parts,
    rate_value,
    ratio_values,
    sli,
    with_no_data,
)
from truth import not_5xx

from exporter.domain.budgeting import Budgeting, Method, NoData
from exporter.domain.calendar import CalendarPeriod, CalendarUnit
from exporter.domain.evaluate import SLOResult
from exporter.domain.model import (
    SLI,
    SLO,
    BoolGaugeSLI,
    BurnRateRule,
    FreshnessSLI,
    RatioSLI,
    RawSLI,
    StatusPolicy,
    ThresholdSLI,
    ThroughputSLI,
)
from exporter.pipeline.cycle import EvaluationRun
from exporter.promql.client import PromQLClient
from exporter.settings import BackendSettings

FIVE_MINUTES = 5 * MINUTE
WINDOWS = (FIVE_MINUTES, HOUR, 6 * HOUR, DAY)
PERIOD = 7 * DAY
ALERTS = (
    BurnRateRule("page", HOUR, FIVE_MINUTES, 14.4),
    BurnRateRule("ticket", DAY, 6 * HOUR, 3.0),
)
HOURLY_ALERTS = (BurnRateRule("ticket", DAY, 6 * HOUR, 3.0),)

CHECKOUT = 'http_requests_total{service="checkout"}'
CHECKOUT_GOOD = 'http_requests_total{service="checkout",code!~"5.."}'
CHECKOUT_BAD = 'http_requests_total{service="checkout",code=~"5.."}'
QUIET = 'http_requests_total{service="quiet"}'
QUIET_BAD = 'http_requests_total{service="quiet",code=~"5.."}'
PROBE = 'probe_success{job="blackbox",target="checkout"}'
BATCH_TIMESTAMP = 'batch_last_success_timestamp_seconds{job="nightly-export"}'
PROCESSED = 'batch_records_processed_total{job="nightly-export"}'
EXPECTED = 'batch_records_expected_total{job="nightly-export"}'
SEARCH = 'search_requests_total{service="search"}'
THROUGHPUT_FLOOR = "0.35"
"""Search requests per second: only the traffic dip goes below (diurnal 5-min low ~0.44)."""
FRESHNESS_MAX_AGE = 45 * MINUTE
CHECKOUT_THRESHOLD = "0.0101"
"""Highest 5-minute error ratio of a good checkout slice (threshold SLI)."""


def _is_5xx(code: str) -> bool:
    return code.startswith("5")


# --------------------------------------------------------------------------- evaluation times


def _floor(t: int, step: int) -> int:
    return t // step * step


def _quiet_lone_error(h: History) -> int:
    """The last minute before the quiet service falls silent at which an error among fewer
    than ten requests in the hour pushes both the 5m and the 1h burn rate past the page's
    14.4."""
    good, total = _quiet(h)
    silence = h.incidents["quiet_silence"].start
    for t in range(silence, h.now - 3 * DAY, -MINUTE):
        events = [counter_events(good, total, t, w) for w in (FIVE_MINUTES, HOUR)]
        burns = [burn_rate(sli(e, "skip"), "99") for e in events]
        if events[1].total < 10 and all(b is not None and b > Fraction("14.4") for b in burns):
            return t
    raise AssertionError("no lone quiet error in the history")


# Whole minutes all; the last ones sit against hour and slice boundaries on purpose.
TIMES: dict[str, Callable[[History], int]] = {
    "now": lambda h: h.now,  # the checkout fast burn; quiet silent for 12 h
    "now-1d": lambda h: h.now - DAY,  # two hours into the batch failure
    "outage": lambda h: h.now - 2 * DAY + 10 * MINUTE,  # ten minutes into the checkout outage
    # 47 min past an hour, 2 min past a slice end, early in the batch failure.
    "batch-failure": lambda h: _floor(h.now - 25 * HOUR, HOUR) + 47 * MINUTE,
    # a slice end 40 min past an hour, in or just after the search traffic dip.
    "search-dip": lambda h: _floor(h.now - 9 * HOUR, HOUR) + 40 * MINUTE,
    # 17 min past an hour (so a week starting on a half hour holds one more hourly slice
    # than whole hours fit in it), quiet silent.
    "silence": lambda h: _floor(h.now - 3 * HOUR, HOUR) + 17 * MINUTE,
    "quiet-error": _quiet_lone_error,
}

# --------------------------------------------------------------------------- the SLOs


@dataclass(frozen=True)
class Case:
    """An SLO and its ground truth: ``truth(history, t, window)`` gives the window's events
    before the no-data policy."""

    slo: SLO
    truth: Callable[[History, int, int], Counts]
    counts_are_sums: bool = False
    """The events are sums of slice SLIs (ratio_timeslices, raw): compared to 1e-6."""

    @property
    def objective(self) -> str:
        """The objective as the decimal it was written as ("99.9", read exactly)."""
        return repr(self.slo.objective)

    @property
    def policy(self) -> str:
        return self.slo.no_data.value

    @property
    def slice(self) -> int | None:
        """The slice length when events are slices (timeslices or a per-slice kind)."""
        return self.slo.budgeting.slice if self.slo.sliced else None


def make_slo(
    name: str,
    sli: SLI,
    objective: str,
    *,
    budgeting: Budgeting | None = None,
    calendar: tuple[str, str] | None = None,
    no_data: NoData = NoData.SKIP,
    min_events: float = 0.0,
    windows: tuple[int, ...] = WINDOWS,
    alerts: tuple[BurnRateRule, ...] = ALERTS,
) -> SLO:
    period = None
    if calendar is not None:
        unit, zone = calendar
        period = CalendarPeriod(CalendarUnit(unit), ZoneInfo(zone), zone)
    return SLO(
        name=name,
        service=name.split("-", maxsplit=1)[0],
        objective=float(objective),
        period=PERIOD if period is None else period.nominal_seconds,
        sli=sli,
        windows=windows if period is not None else (*windows, PERIOD),
        alerts=alerts,
        status=StatusPolicy(window=windows[1]),
        calendar=period,
        budgeting=budgeting or Budgeting(),
        no_data=no_data,
        min_events=min_events,
    )


def timeslices(target: float = 99.0, slice_seconds: int = FIVE_MINUTES) -> Budgeting:
    return Budgeting(Method.TIMESLICES, slice=slice_seconds, slice_target=target)


COUNTERS: dict[str, tuple[str, dict[str, LabelMatcher]]] = {
    "checkout": ("http_requests_total", {"service": "checkout"}),
    "checkout-good": ("http_requests_total", {"service": "checkout", "code": not_5xx}),
    "checkout-bad": ("http_requests_total", {"service": "checkout", "code": _is_5xx}),
    "quiet": ("http_requests_total", {"service": "quiet"}),
    "quiet-good": ("http_requests_total", {"service": "quiet", "code": not_5xx}),
    "quiet-bad": ("http_requests_total", {"service": "quiet", "code": _is_5xx}),
    "search": ("search_requests_total", {"service": "search"}),
    "processed": ("batch_records_processed_total", {"job": "nightly-export"}),
    "expected": ("batch_records_expected_total", {"job": "nightly-export"}),
}
_COUNTER_CACHE: dict[tuple[int, str], CounterSum] = {}


def counter(h: History, key: str) -> CounterSum:
    """The summed counters named ``key`` in COUNTERS, built once per history."""
    cached = _COUNTER_CACHE.get((id(h), key))
    if cached is None or cached.history is not h:
        cached = _COUNTER_CACHE[id(h), key] = CounterSum(h, *COUNTERS[key])
    return cached


def pair(good: str, total: str) -> Callable[[History], tuple[CounterSum, CounterSum]]:
    return lambda h: (counter(h, good), counter(h, total))


_checkout = pair("checkout-good", "checkout")
_quiet = pair("quiet-good", "quiet")


def occurrences(counters: Callable[[History], tuple[CounterSum, CounterSum]]):
    return lambda h, t, w: counter_events(*counters(h), t, w)


def judged_ratio_slices(
    counters: Callable[[History], tuple[CounterSum, CounterSum]], target: str, s: int
):
    return lambda h, t, w: count_judged(
        ratio_values(*counters(h), t, w, s), "gte", Fraction(target) / 100
    )


def mean_ratio_slices(counters: Callable[[History], tuple[CounterSum, CounterSum]], s: int):
    return lambda h, t, w: mean_parts(ratio_values(*counters(h), t, w, s))


def _error_ratio(service: str) -> Callable[[History], Callable[[int], Fraction | None]]:
    return lambda h: increase_ratio_value(
        counter(h, f"{service}-bad"), counter(h, service), FIVE_MINUTES
    )


_checkout_error_ratio = _error_ratio("checkout")
_quiet_error_ratio = _error_ratio("quiet")


def _failure_mean(values: list[tuple[int, Fraction | None]]) -> Counts:
    """Raw SLI given as the error ratio: the SLI is 1 - mean, so good = slices - sum."""
    parts = mean_parts(values)
    return Counts(parts.total - parts.good, parts.total)


CASES: dict[str, Case] = {
    c.slo.name: c
    for c in (
        # Timeslices on checkout availability: 5-min slices good at >= 99 %.
        Case(
            make_slo(
                "checkout-timeslices",
                RatioSLI(good=CHECKOUT_GOOD, total=CHECKOUT),
                "99",
                budgeting=timeslices(),
            ),
            judged_ratio_slices(_checkout, "99", 300),
        ),
        Case(
            make_slo(
                "checkout-timeslices-bad",
                RatioSLI(bad=CHECKOUT_BAD, total=CHECKOUT),
                "99",
                budgeting=timeslices(),
            ),
            judged_ratio_slices(_checkout, "99", 300),
        ),
        Case(
            make_slo(
                "checkout-ratio-timeslices",
                RatioSLI(good=CHECKOUT_GOOD, total=CHECKOUT),
                "99.5",
                budgeting=Budgeting(Method.RATIO_TIMESLICES, slice=FIVE_MINUTES),
            ),
            mean_ratio_slices(_checkout, 300),
            counts_are_sums=True,
        ),
        # Calendar periods, occurrences, in UTC and in Berlin.
        *(
            Case(
                make_slo(
                    f"checkout-{unit}-{zone.split('/')[-1].lower()}",
                    RatioSLI(good=CHECKOUT_GOOD, total=CHECKOUT),
                    "99.9",
                    calendar=(unit, zone),
                ),
                occurrences(_checkout),
            )
            for unit in ("week", "month")
            for zone in ("UTC", "Europe/Berlin")
        ),
        # Bool gauge: probe samples are the events.
        Case(
            make_slo("probe-occurrences", BoolGaugeSLI(PROBE), "99"),
            lambda h, t, w: bool_gauge_events(h, "probe_success", {}, t, w),
        ),
        Case(
            make_slo("probe-timeslices", BoolGaugeSLI(PROBE), "99", budgeting=timeslices()),
            lambda h, t, w: count_judged(
                bool_gauge_values(h, "probe_success", {}, t, w, 300), "gte", Fraction(99, 100)
            ),
        ),
        # Per-slice kinds.  The threshold is 1.01 %, not 1 %: a rate ratio is rounded more
        # than once, so a slice at exactly the bound could go either way, and no 5-minute
        # slice (under 10,000 requests) can be at exactly 101/10,000 (judge() checks).
        Case(
            make_slo(
                "checkout-threshold",
                ThresholdSLI(
                    f"sum(rate({CHECKOUT_BAD}[5m])) / sum(rate({CHECKOUT}[5m]))",
                    "lte",
                    float(CHECKOUT_THRESHOLD),
                ),
                "99",
            ),
            lambda h, t, w: count_judged(
                instant_values(t, w, 300, _checkout_error_ratio(h)),
                "lte",
                Fraction(CHECKOUT_THRESHOLD),
                exact_ties=False,
            ),
        ),
        Case(
            make_slo(
                "checkout-raw",
                RawSLI(f"sum(increase({CHECKOUT_GOOD}[5m])) / sum(increase({CHECKOUT}[5m]))"),
                "99",
            ),
            mean_ratio_slices(_checkout, 300),
            counts_are_sums=True,
        ),
        Case(
            make_slo(
                "checkout-raw-failure",
                RawSLI(
                    f"sum(increase({CHECKOUT_BAD}[5m])) / sum(increase({CHECKOUT}[5m]))",
                    failure=True,
                ),
                "99",
            ),
            lambda h, t, w: _failure_mean(instant_values(t, w, 300, _checkout_error_ratio(h))),
            counts_are_sums=True,
        ),
        Case(
            make_slo("search-throughput", ThroughputSLI(SEARCH, float(THROUGHPUT_FLOOR)), "99"),
            lambda h, t, w: count_judged(
                instant_values(t, w, 300, rate_value(counter(h, "search"), 300)),
                "gte",
                Fraction(THROUGHPUT_FLOOR),
            ),
        ),
        Case(
            make_slo("batch-freshness", FreshnessSLI(BATCH_TIMESTAMP, FRESHNESS_MAX_AGE), "99"),
            lambda h, t, w: count_judged(
                instant_values(
                    t, w, 300, freshness_value(h, "batch_last_success_timestamp_seconds", {})
                ),
                "lte",
                Fraction(FRESHNESS_MAX_AGE),
            ),
        ),
        Case(
            make_slo("batch-completeness", RatioSLI(good=PROCESSED, total=EXPECTED), "99"),
            occurrences(pair("processed", "expected")),
        ),
        # The quiet service: a few requests an hour, silent for the last 12 h.
        *(
            Case(
                make_slo(
                    f"quiet-no-data-{policy.value}",
                    RatioSLI(bad=QUIET_BAD, total=QUIET),
                    "99",
                    no_data=policy,
                ),
                occurrences(_quiet),
            )
            for policy in NoData
        ),
        *(
            Case(
                make_slo(
                    f"quiet-timeslices-{policy.value}",
                    RatioSLI(bad=QUIET_BAD, total=QUIET),
                    "99",
                    budgeting=timeslices(),
                    no_data=policy,
                ),
                judged_ratio_slices(_quiet, "99", 300),
            )
            for policy in (NoData.GOOD, NoData.BAD)
        ),
        Case(
            make_slo(
                "quiet-min-events",
                RatioSLI(bad=QUIET_BAD, total=QUIET),
                "99",
                min_events=10,
            ),
            occurrences(_quiet),
        ),
        # Per-slice kinds on the quiet service: a slice without traffic has no data (0/0).
        Case(
            make_slo(
                "quiet-threshold-bad",
                ThresholdSLI(
                    f"sum(increase({QUIET_BAD}[5m])) / sum(increase({QUIET}[5m]))", "lte", 0.01
                ),
                "99",
                no_data=NoData.BAD,
            ),
            lambda h, t, w: count_judged(
                instant_values(t, w, 300, _quiet_error_ratio(h)), "lte", Fraction("0.01")
            ),
        ),
        Case(
            make_slo(
                "quiet-raw",
                RawSLI(
                    f"sum(increase({QUIET_BAD}[5m])) / sum(increase({QUIET}[5m]))", failure=True
                ),
                "99",
            ),
            lambda h, t, w: _failure_mean(instant_values(t, w, 300, _quiet_error_ratio(h))),
            counts_are_sums=True,
        ),
        # Hourly slices over a calendar week in a zone half an hour off UTC: slices end on
        # the hour (UTC), the period starts on the half hour.
        Case(
            make_slo(
                "quiet-week-kolkata-hourly",
                RatioSLI(bad=QUIET_BAD, total=QUIET),
                "99",
                budgeting=timeslices(slice_seconds=HOUR),
                calendar=("week", "Asia/Kolkata"),
                no_data=NoData.BAD,
                windows=(HOUR, 6 * HOUR, DAY),
                alerts=HOURLY_ALERTS,
            ),
            judged_ratio_slices(_quiet, "99", HOUR),
        ),
    )
}


# --------------------------------------------------------------------------- fixtures


async def _evaluate(url: str, slos: list[SLO], times: dict[str, int]) -> dict[str, EvaluationRun]:
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, BackendSettings(url=url, timeout=60))
        return {
            label: await evaluate_direct(slos, client, at, concurrency=8)
            for label, at in times.items()
        }


@pytest.fixture(scope="module")
def times(prometheus: PrometheusServer) -> dict[str, int]:
    return {label: when(prometheus.history) for label, when in TIMES.items()}


@pytest.fixture(scope="module")
def runs(prometheus: PrometheusServer, times: dict[str, int]) -> dict[str, EvaluationRun]:
    """Every SLO evaluated once at every time, shared by the tests of this module."""
    slos = [c.slo for c in CASES.values()]
    return asyncio.run(_evaluate(prometheus.url, slos, times))


def result_of(runs: dict[str, EvaluationRun], when: str, name: str) -> SLOResult:
    run = runs[when]
    assert name not in run.failures, f"{name} at {when}: {run.failures[name]!r}"
    return run.results[name]


@dataclass(frozen=True)
class Expected:
    """A window's events after the no-data policy, with the SLI and burn rate they give."""

    counts: Counts
    sli: Fraction | None
    burn: Fraction | None


_EXPECTED: dict[tuple[int, str, int, int], Expected] = {}


def expected(case: Case, history: History, at: int, window: int) -> Expected:
    """The truth for one window of one SLO (computed once per history)."""
    key = (id(history), case.slo.name, at, window)
    if key not in _EXPECTED:
        counts = with_no_data(case.truth(history, at, window), case.policy, at, window, case.slice)
        ratio = sli(counts, case.policy)
        _EXPECTED[key] = Expected(counts, ratio, burn_rate(ratio, case.objective))
    return _EXPECTED[key]


def period_bounds_truth(case: Case, at: int) -> tuple[float, float]:
    calendar = case.slo.calendar
    if calendar is None:
        return at - case.slo.period, at
    return calendar_period(calendar.unit.value, calendar.tz_name, at)


def assert_counts(got_good: float, got_total: float, want: Counts, sums: bool, what: str) -> None:
    assert got_total == pytest.approx(want.total, rel=1e-9, abs=1e-9), f"{what}: total"
    assert got_good == pytest.approx(float(want.good), rel=1e-6 if sums else 1e-9, abs=1e-9), (
        f"{what}: good"
    )


def assert_ratio(got: float | None, want: Fraction | None, what: str) -> None:
    if want is None:
        assert got is None, what
    else:
        assert got is not None, what
        assert got == pytest.approx(float(want), rel=1e-6, abs=1e-9), what


# --------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("when", TIMES)
@pytest.mark.parametrize("name", CASES)
def test_every_window_matches_ground_truth(prometheus, runs, times, name, when):
    """Each window's good/total events (slices for sliced SLOs), SLI and burn rate are the
    ones recomputed from the generated data; the period's window is among them."""
    case, at = CASES[name], times[when]
    result = result_of(runs, when, name)
    windows = dict(result.windows)
    period_window = case.slo.period_window(at)
    windows[period_window] = result.period
    assert set(windows) == set(case.slo.windows) | {period_window}
    for window, got in windows.items():
        want = expected(case, prometheus.history, at, window)
        what = f"{name} @ {when} over {window}s"
        assert_counts(got.events.good, got.events.total, want.counts, case.counts_are_sums, what)
        assert_ratio(got.sli, want.sli, f"{what}: SLI")
        assert_ratio(got.burn_rate, want.burn, f"{what}: burn rate")


@pytest.mark.parametrize("when", TIMES)
@pytest.mark.parametrize("name", CASES)
def test_period_budget_matches_ground_truth(prometheus, runs, times, name, when):
    """The period (rolling, or the calendar week/month in its zone) starts and ends where
    local calendar arithmetic says; its remaining budget, remaining events and seconds and
    the elapsed share follow from the true period events."""
    case, at = CASES[name], times[when]
    result = result_of(runs, when, name)
    start, end = period_bounds_truth(case, at)
    assert (result.bounds.start, result.bounds.end) == (start, end)
    assert case.slo.period_window(at) == at - start
    assert result.elapsed_ratio == pytest.approx((at - start) / (end - start), rel=1e-12)
    want = expected(case, prometheus.history, at, int(at - start))
    if want.burn is None:
        assert result.remaining_ratio is None
        assert result.status.value == "no_data"
        return
    budget = 1 - Fraction(case.objective) / 100
    remaining = 1 - want.burn
    assert result.consumed_ratio == pytest.approx(float(want.burn), rel=1e-6, abs=1e-9)
    assert result.remaining_ratio == pytest.approx(float(remaining), rel=1e-6, abs=1e-9)
    allowed_bad = budget * want.counts.total - (want.counts.total - want.counts.good)
    assert result.remaining_events == pytest.approx(float(allowed_bad), rel=1e-6, abs=1e-6)
    assert result.remaining_seconds == pytest.approx(
        float(remaining * budget * Fraction(end - start)), rel=1e-6, abs=1e-6
    )


def exceeds(burn: Fraction | None, factor: float) -> bool:
    """burn > factor; refuses a tie that float rounding could decide either way."""
    if burn is None:
        return False
    assert abs(burn - Fraction(factor)) > Fraction(factor) / 10**9, f"burn {burn} ties {factor}"
    return burn > factor


def alert_eligible(case: Case, counts: Counts) -> bool:
    """min_events: a window needs that many events (slices) to fire, unless it is silent and
    the no-data policy gave silence a meaning."""
    return counts.total >= case.slo.min_events or (counts.total == 0 and case.policy != "skip")


@pytest.mark.parametrize("when", TIMES)
@pytest.mark.parametrize("name", CASES)
def test_alerts_follow_ground_truth(prometheus, runs, times, name, when):
    """Each burn-rate condition fires exactly when both of its windows truly burn faster
    than its factor and both have at least min_events events."""
    case, at = CASES[name], times[when]
    result = result_of(runs, when, name)
    for condition in result.alerts:
        rule = condition.rule
        fires = True
        for window in (rule.long_window, rule.short_window):
            want = expected(case, prometheus.history, at, window)
            fires &= exceeds(want.burn, rule.factor) and alert_eligible(case, want.counts)
        assert condition.firing is fires, f"{rule} @ {when}"


# --------------------------------------------------------------------------- behaviour


def test_fast_burn_and_outage_make_bad_slices(runs, times):
    """The 45-minute fast burn spoils the last nine 5-minute slices of the hour (burn rate
    75 at a 99 % objective) and pages; ten minutes into the outage the last slice is bad;
    on a calm hour every slice is good."""
    for name in ("checkout-timeslices", "checkout-timeslices-bad"):
        now = result_of(runs, "now", name)
        assert (now.windows[HOUR].events.good, now.windows[HOUR].events.total) == (3, 12)
        assert now.windows[HOUR].burn_rate == pytest.approx(75)
        assert any(a.firing and a.rule.severity == "page" for a in now.alerts)
        outage = result_of(runs, "outage", name)
        assert outage.windows[FIVE_MINUTES].sli == 0
        calm = result_of(runs, "silence", name)
        assert calm.windows[HOUR].events.good == calm.windows[HOUR].events.total == 12


def test_freshness_goes_stale_while_the_batch_fails(runs):
    """Two hours into the batch failure every slice of the last hour is stale; now, with
    a success every 30 minutes, every slice is fresh."""
    failing = result_of(runs, "now-1d", "batch-freshness").windows[HOUR]
    assert (failing.events.good, failing.events.total, failing.sli) == (0, 12, 0)
    healthy = result_of(runs, "now", "batch-freshness").windows[6 * HOUR]
    assert (healthy.events.good, healthy.events.total) == (72, 72)
    completeness = result_of(runs, "now-1d", "batch-completeness").windows[HOUR]
    assert 0.5 < completeness.sli < 0.6


def test_throughput_falls_below_the_floor_only_in_the_dip(runs):
    """Search traffic's 5-minute rate stays above 0.35/s except in the one-hour dip: the day
    holding it has 11 to 13 bad slices (the ones the dip covers, depending on how it falls
    on slice boundaries), the day before has none."""
    day = result_of(runs, "now", "search-throughput").windows[DAY]
    assert 11 <= day.events.total - day.events.good <= 13
    assert day.events.total == DAY // FIVE_MINUTES
    assert result_of(runs, "now", "search-throughput").windows[6 * HOUR].sli == 1
    assert result_of(runs, "now-1d", "search-throughput").windows[DAY].sli == 1
    assert result_of(runs, "search-dip", "search-throughput").windows[HOUR].sli < 1


@pytest.mark.parametrize(
    ("name", "sli", "burn"),
    [
        ("quiet-no-data-skip", None, None),
        ("quiet-no-data-good", 1.0, 0.0),
        ("quiet-no-data-bad", 0.0, 100.0),
        ("quiet-timeslices-good", 1.0, 0.0),
        ("quiet-timeslices-bad", 0.0, 100.0),
        ("quiet-threshold-bad", 0.0, 100.0),
        ("quiet-raw", None, None),
    ],
)
def test_silence_follows_the_no_data_policy(runs, name, sli, burn):
    """Twelve hours into the quiet service's silence its short windows have no SLI (skip),
    a perfect one (good) or a failed one (bad); sliced SLOs count every slice that way,
    and a per-slice expression's 0/0 is no data rather than a failure or a bad slice."""
    result = result_of(runs, "now", name)
    for window in (FIVE_MINUTES, HOUR, 6 * HOUR):
        got = result.windows[window]
        assert got.sli == sli, window
        assert got.burn_rate == (None if burn is None else pytest.approx(burn)), window
        if result.slo.sliced and sli is not None:
            assert got.events.total == window // FIVE_MINUTES


def test_min_events_keeps_a_lone_error_from_paging(runs):
    """An error among fewer than ten quiet requests burns past the page threshold in both
    windows; min_events 10 keeps it from paging, without min_events it pages."""
    loud = result_of(runs, "quiet-error", "quiet-no-data-skip")
    quiet = result_of(runs, "quiet-error", "quiet-min-events")
    assert loud.windows[HOUR].burn_rate == quiet.windows[HOUR].burn_rate > 14.4
    assert quiet.windows[HOUR].events.total < 10
    assert [a.firing for a in loud.alerts if a.rule.severity == "page"] == [True]
    assert [a.firing for a in quiet.alerts if a.rule.severity == "page"] == [False]


def test_week_starting_on_a_half_hour_holds_every_hourly_slice(runs, times):
    """A Kolkata week starts at 18:30 UTC while hourly slices end on the hour: 17 minutes
    past an hour the period holds one slice more than whole hours fit in it, and with
    no_data bad every one of them is counted."""
    at = times["silence"]
    result = result_of(runs, "silence", "quiet-week-kolkata-hourly")
    assert result.bounds.start % HOUR == 30 * MINUTE
    assert result.period.events.total == (at - result.bounds.start) // HOUR + 1
