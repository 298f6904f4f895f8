"""The report's pure figures: incidents, daily burn-down, recommendations, review status,
and the period options, from hand-made per-step counts whose answers are worked out here."""

from __future__ import annotations

import argparse

import pytest
from truth import write_config

from exporter.cli import main
from exporter.domain.budget import WindowEvents
from exporter.domain.model import SLO, RatioSLI, StatusPolicy
from exporter.domain.report import StepSeries, daily, find_incidents, period_figures
from exporter.domain.review import ReviewStatus, SLOFigures, recommendations, review_status
from exporter.report import period

STEP = 300
START = 1_793_491_200  # 2026-11-01T00:00:00Z


def series(bad: list[float], total: float = 1000.0, start: int = START) -> StepSeries:
    """Steps of ``total`` events each with ``bad[i]`` bad ones."""
    ends = tuple(start + STEP * (i + 1) for i in range(len(bad)))
    return StepSeries.of(STEP, ends, [WindowEvents(total - b, total) for b in bad])


def slo(objective: float = 99.0, min_events: float = 0.0) -> SLO:
    return SLO(
        name="api",
        service="shop",
        objective=objective,
        period=30 * 86400,
        sli=RatioSLI(total="t"),
        windows=(STEP,),
        alerts=(),
        status=StatusPolicy(window=STEP),
        min_events=min_events,
    )


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        # 99 % objective, 1000 events a step: burn > 1 means more than 10 bad events.
        ([0, 0, 0], []),
        ([10, 10], []),  # burn exactly 1 is not an incident
        ([0, 50, 0], [(1, 1, 5.0, 50)]),
        ([0, 20, 40, 0, 0, 11], [(1, 2, 4.0, 60), (5, 5, 1.1, 11)]),  # a calm step splits
        ([100, 0, 30], [(0, 0, 10.0, 100), (2, 2, 3.0, 30)]),
    ],
)
def test_incidents_are_runs_of_burning_windows_biggest_first(bad, expected):
    """Incidents are maximal runs of windows burning faster than 1, sorted by bad events,
    each with its peak burn, bad events and share of the period's allowed bad events."""
    steps = series(bad)
    period_total = 1000.0 * len(bad)
    found = find_incidents(steps, 99.0, period_total, merge_gap=STEP)
    assert [
        (
            (i.start - START) // STEP,
            (i.end - START) // STEP - 1,
            round(i.peak_burn_rate, 6),
            i.bad_events,
        )
        for i in found
    ] == expected
    for incident in found:
        assert incident.budget_consumed_ratio == pytest.approx(
            incident.bad_events / (0.01 * period_total)
        )


def test_incident_gaps_shorter_than_the_window_are_merged():
    """With steps shorter than the merge window, a short calm gap joins two bursts."""
    steps = series([50, 0, 50])
    found = find_incidents(steps, 99.0, 3000.0, merge_gap=2 * STEP)
    assert [(i.start, i.end, i.bad_events) for i in found] == [(START, START + 3 * STEP, 100)]


def test_daily_burn_down_ends_at_the_period_remaining_budget():
    """Two days of steps: each day's SLI, and budget left after each day's bad events."""
    per_day = 86400 // STEP
    bad = [1.0] * per_day + [0.0] * per_day
    steps = series(bad)
    total = steps.total_events()
    days = daily(steps, 99.0, total.total)
    assert [d.date for d in days] == ["2026-11-01", "2026-11-02"]
    assert days[0].sli == pytest.approx(0.999)
    assert days[1].sli == 1.0
    allowed = 0.01 * total.total
    assert days[0].budget_remaining_ratio == pytest.approx(1 - per_day / allowed)
    figures = period_figures(slo(), total, 2 * 86400)
    assert days[-1].budget_remaining_ratio == pytest.approx(figures.remaining_ratio)
    assert figures.met is True


def test_a_period_without_traffic_has_no_figures():
    """No events: no SLI, no budget, neither met nor missed, no days with an SLI."""
    figures = period_figures(slo(), WindowEvents(0, 0), 86400)
    assert (figures.sli, figures.met, figures.remaining_ratio) == (None, None, None)
    assert all(d.sli is None for d in daily(series([0.0], total=0.0), 99.0, 0.0))


def _figures(name: str, bad: float, previous_bad: float, incidents: list[float], total=1e6):
    current = period_figures(slo(), WindowEvents(total - bad, total), 86400)
    # each incident one burning step, calm steps between them
    steps = series([x for b in incidents for x in (b * 0.01 * total, 0.0)])
    found = find_incidents(steps, 99.0, total, merge_gap=STEP) if incidents else []
    return SLOFigures(
        name=name,
        current=current,
        previous=period_figures(slo(), WindowEvents(total - previous_bad, total), 86400),
        incidents=found,
        window=STEP,
        steps=288,
        min_events=0.0,
    )


@pytest.mark.parametrize(
    ("bad", "previous_bad", "incident_shares", "total", "rules"),
    [
        (20_000, 5_000, [], 1e6, ["budget-exhausted"]),  # 200 % consumed
        (1_000, 1_000, [], 1e6, ["could-tighten"]),  # 10 % twice
        (1_000, 5_000, [], 1e6, []),  # 10 % now, 50 % before: was at risk
        (5_000, 5_000, [0.002, 0.002, 0.002], 1e6, ["noisy-alerts"]),
        (5_000, 5_000, [0.002, 0.002], 1e6, []),  # two cheap incidents: not yet noisy
        (10, 10, [], 10_000, ["could-tighten", "min-events"]),  # 34.7 events per window
    ],
)
def test_recommendation_rules(bad, previous_bad, incident_shares, total, rules):
    """Each documented rule fires on its figures and names them in its text."""
    figures = _figures("api", bad, previous_bad, incident_shares, total)
    found = recommendations([figures])["api"]
    assert [r.rule for r in found] == rules
    assert all(any(ch.isdigit() for ch in r.text) for r in found)


@pytest.mark.parametrize(
    ("remaining", "status"),
    [
        ([0.9, 0.6], ReviewStatus.GREEN),
        ([0.9, 0.4], ReviewStatus.YELLOW),
        ([0.9, 0.0], ReviewStatus.RED),
        ([-0.5, None], ReviewStatus.RED),
        ([None], ReviewStatus.GREEN),
    ],
)
def test_review_status_follows_the_lowest_budget(remaining, status):
    """Red once a budget is exhausted, yellow under half left, green otherwise."""
    assert review_status(remaining) is status


@pytest.mark.parametrize(
    ("now", "options", "expected"),
    [
        (START + 5 * 86400, {}, (1_790_812_800, START)),  # default: October 2026
        (1_798_761_600 + 10, {}, (1_796_083_200, 1_798_761_600)),  # Jan 2027 -> Dec 2026
        (START, {"period": period.month("2026-11")}, (START, 1_796_083_200)),
        (START + 5400, {"last": 3600}, (START, START + 3600)),  # ends on the hour
        (START, {"start": 100.0, "end": 200.0}, (100, 200)),
    ],
)
def test_period_options_choose_the_period(now, options, expected):
    """Each way of naming the period gives its [start, end) in UTC."""
    args = {"period": None, "last": None, "start": None, "end": None, **options}
    assert period.choose(now, **args) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"period": (0, 1), "last": 60}, "--period and --last both choose the period"),
        ({"start": 5.0}, "--from and --to go together"),
        ({"start": 5.0, "end": 5.0}, "--to must be after --from"),
    ],
)
def test_conflicting_period_options_are_refused(options, message):
    """Options that contradict each other are one clear message."""
    args = {"period": None, "last": None, "start": None, "end": None, **options}
    with pytest.raises(ValueError, match=message):
        period.choose(START, **args)


@pytest.mark.parametrize("text", ["2026-13", "26-11", "November"])
def test_bad_month_is_refused(text):
    """``--period`` takes YYYY-MM only."""
    with pytest.raises(argparse.ArgumentTypeError, match="not a month"):
        period.month(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slo", "nope"], "report: --slo nope: no such SLO in"),
        (["--service", "nope"], "report: --service nope: no SLO of"),
        (["--service", "search", "--slo", "checkout-latency"], "together select no SLO"),
        (["--last", "7d", "--period", "2026-11"], "report: --period and --last both choose"),
        (["--from", "2026-11-01T00:00:00Z"], "report: --from and --to go together"),
    ],
)
def test_report_usage_errors_are_one_line(tmp_path, capsys, args, message):
    """Usage mistakes exit 2 with one line on stderr, before any query is sent."""
    config = write_config(tmp_path, "http://127.0.0.1:9")
    assert main(["report", "-c", str(config), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err
