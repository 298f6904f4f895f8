"""One SLO's result from window events: status rule, alert conditions, no-data handling."""

from __future__ import annotations

import math

import pytest

from exporter.domain.alerts import workbook_rules
from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import MissingWindowError, evaluate_slo
from exporter.domain.model import SLO, RatioSLI, Status, StatusPolicy

DAY = 86400
WINDOWS = (300, 1800, 3600, 7200, 21600, DAY, 3 * DAY, 30 * DAY)


def make_slo(objective: float = 99.0, period: int = 30 * DAY) -> SLO:
    windows = tuple(sorted({*WINDOWS, period}))
    return SLO(
        name="checkout",
        service="checkout",
        objective=objective,
        period=period,
        sli=RatioSLI(total="t", good="g"),
        windows=windows,
        alerts=workbook_rules(period),
        status=StatusPolicy(window=3600),
    )


def events_with_burn(slo: SLO, burns: dict[int, float], default: float = 0.0):
    """Events of 1,000,000 per window with the bad share that gives each burn rate."""
    total = 1_000_000.0
    out = {}
    for w in slo.windows:
        burn = burns.get(w, default)
        bad = burn * slo.error_budget * total
        out[w] = WindowEvents(good=total - bad, total=total)
    return out


@pytest.mark.parametrize(
    ("burns", "status"),
    [
        ({}, Status.HEALTHY),
        ({3600: 0.99}, Status.HEALTHY),
        ({3600: 1.01}, Status.ATTENTION),
        ({3600: 1.6}, Status.WARNING),
        ({3600: 2.5}, Status.CRITICAL),
        ({30 * DAY: 1.0, 3600: 0.0}, Status.EXHAUSTED),  # remaining exactly 0
        ({30 * DAY: 1.7, 3600: 0.0}, Status.EXHAUSTED),
        ({30 * DAY: 0.5, 300: 50.0}, Status.HEALTHY),  # status window is 1h, not 5m
    ],
)
def test_status_rule(burns: dict[int, float], status: Status):
    """Status: exhausted first, then critical/warning/attention by the 1h burn rate."""
    slo = make_slo()
    result = evaluate_slo(slo, events_with_burn(slo, burns), evaluated_at=0)
    assert result.status is status


@pytest.mark.parametrize(
    ("burns", "firing"),
    [
        ({}, set()),
        ({3600: 15, 300: 15}, {("page", 3600, 300)}),
        ({3600: 15, 300: 14}, set()),  # short window has recovered: no page
        ({3600: 14.4, 300: 20}, set()),  # strictly greater than the factor
        ({21600: 7, 1800: 7}, {("page", 21600, 1800)}),
        ({DAY: 3.5, 7200: 3.5}, {("ticket", DAY, 7200)}),
        ({3 * DAY: 1.2, 21600: 1.2}, {("ticket", 3 * DAY, 21600)}),
        (
            {3600: 20, 300: 20, 21600: 20, 1800: 20, DAY: 20, 7200: 20, 3 * DAY: 20},
            {
                ("page", 3600, 300),
                ("page", 21600, 1800),
                ("ticket", DAY, 7200),
                ("ticket", 3 * DAY, 21600),
            },
        ),
    ],
)
def test_alert_conditions(burns: dict[int, float], firing: set[tuple[str, int, int]]):
    """A condition fires only when both its long and short window burn above the factor."""
    slo = make_slo()
    result = evaluate_slo(slo, events_with_burn(slo, burns), evaluated_at=0)
    got = {
        (a.rule.severity, a.rule.long_window, a.rule.short_window)
        for a in result.alerts
        if a.firing
    }
    assert got == firing
    assert len(result.alerts) == 4


def test_seven_day_period_scales_thresholds():
    """With a 7-day period a 1h+5m burn of 4 pages (threshold 3.36), as the workbook scales it."""
    slo = make_slo(period=7 * DAY)
    result = evaluate_slo(slo, events_with_burn(slo, {3600: 4, 300: 4}), evaluated_at=0)
    assert [a.firing for a in result.alerts] == [True, False, False, False]


def test_no_traffic_anywhere_is_no_data():
    """An SLO with zero traffic has no ratios, no budget, status no_data and no alerts."""
    slo = make_slo()
    result = evaluate_slo(slo, {w: WindowEvents(0, 0) for w in slo.windows}, evaluated_at=0)
    assert not result.data_ok
    assert result.status is Status.NO_DATA
    assert all(r.sli is None and r.burn_rate is None for r in result.windows.values())
    assert result.remaining_ratio is None
    assert result.exhaustion_seconds is None
    assert not any(a.firing for a in result.alerts)


def test_quiet_short_windows_keep_the_budget():
    """Traffic in the period but none in short windows: budget known, short ratios absent."""
    slo = make_slo()
    events = {w: WindowEvents(995, 1000) for w in slo.windows}
    for w in (300, 1800, 3600):
        events[w] = WindowEvents(0, 0)
    result = evaluate_slo(slo, events, evaluated_at=0)
    assert result.data_ok
    assert result.remaining_ratio == pytest.approx(0.5)
    assert result.windows[300].sli is None
    assert result.windows[300].burn_rate is None
    assert result.windows[7200].sli == pytest.approx(0.995)
    assert result.status is Status.HEALTHY  # no traffic in the status window is not burning
    assert result.exhaustion_seconds == math.inf


def test_budget_numbers_for_a_known_period():
    """Budget fields for 99 % with 0.5 % bad over 30 days: half the budget left."""
    slo = make_slo()
    events = {w: WindowEvents(1000, 1000) for w in slo.windows}
    events[30 * DAY] = WindowEvents(99_500, 100_000)
    events[3600] = WindowEvents(982, 1000)  # burning at 1.8x right now
    result = evaluate_slo(slo, events, evaluated_at=1234.5)
    assert result.evaluated_at == 1234.5
    assert result.consumed_ratio == pytest.approx(0.5)
    assert result.remaining_ratio == pytest.approx(0.5)
    assert result.remaining_events == pytest.approx(500)
    assert result.remaining_seconds == pytest.approx(0.5 * 0.01 * 30 * DAY)
    assert result.exhaustion_seconds == pytest.approx(0.5 * 30 * DAY / 1.8)
    assert result.status is Status.WARNING


def test_missing_window_is_a_programming_error():
    """Evaluating without events for a needed window raises instead of guessing."""
    slo = make_slo()
    with pytest.raises(MissingWindowError):
        evaluate_slo(slo, {300: WindowEvents(1, 1)}, evaluated_at=0)
