"""The error-budget math, checked against hand-computed tables."""

from __future__ import annotations

import math

import pytest

from exporter.domain import budget
from exporter.domain.alerts import scaled_factor, workbook_rules
from exporter.domain.budget import WindowEvents
from exporter.domain.durations import DurationError, format_duration, parse_duration

DAY = 86400


@pytest.mark.parametrize(
    ("good", "total", "objective", "sli", "burn"),
    [
        (999, 1000, 99.9, 0.999, 1.0),  # exactly on budget
        (1000, 1000, 99.9, 1.0, 0.0),  # perfect
        (0, 1000, 99.9, 0.0, 1000.0),  # total outage on a 0.1 % budget
        (990, 1000, 99.0, 0.99, 1.0),
        (980, 1000, 99.0, 0.98, 2.0),
        (8_560, 10_000, 99.0, 0.856, 14.4),  # the workbook's page threshold
        (999_999, 1_000_000, 99.9999, 0.999999, 1.0),  # a tiny budget
        (1, 2, 50.0, 0.5, 1.0),
    ],
)
def test_sli_and_burn_rate(good: float, total: float, objective: float, sli: float, burn: float):
    """SLI is good/total and burn rate is (1 - SLI) / (1 - objective)."""
    events = WindowEvents(good=good, total=total)
    assert budget.sli(events) == pytest.approx(sli, rel=1e-12)
    assert budget.burn_rate(budget.sli(events), objective) == pytest.approx(
        burn, rel=1e-9, abs=1e-12
    )


@pytest.mark.parametrize(("good", "total"), [(0, 0), (0.0, 0.0), (5, 0)])
def test_no_traffic_has_no_ratio(good: float, total: float):
    """Zero traffic gives no SLI and no burn rate, never NaN or a division error."""
    events = budget.bounded(WindowEvents(good=good, total=total))
    assert budget.sli(events) is None
    assert budget.burn_rate(budget.sli(events), 99.9) is None
    assert budget.remaining_ratio(budget.burn_rate(budget.sli(events), 99.9)) is None


@pytest.mark.parametrize(
    ("bad", "total", "objective", "consumed", "remaining", "remaining_events"),
    [
        (0, 1000, 99.0, 0.0, 1.0, 10.0),
        (5, 1000, 99.0, 0.5, 0.5, 5.0),
        (10, 1000, 99.0, 1.0, 0.0, 0.0),
        (25, 1000, 99.0, 2.5, -1.5, -15.0),  # overspent: negative, not clamped
        (1, 100_000, 99.9, 0.01, 0.99, 99.0),
    ],
)
def test_period_budget(
    bad: float,
    total: float,
    objective: float,
    consumed: float,
    remaining: float,
    remaining_events: float,
):
    """Consumed = (1 - SLI)/budget, remaining = 1 - consumed, events left = budget*total - bad."""
    events = budget.events_from_bad(bad, total)
    spent = budget.burn_rate(budget.sli(events), objective)
    assert spent == pytest.approx(consumed, abs=1e-9)
    assert budget.remaining_ratio(spent) == pytest.approx(remaining, abs=1e-9)
    assert budget.remaining_events(events, objective) == pytest.approx(remaining_events, abs=1e-9)


@pytest.mark.parametrize(
    ("remaining", "objective", "period", "seconds"),
    [
        (1.0, 99.9, 30 * DAY, 2592.0),  # 43.2 minutes: the classic 99.9 % month
        (0.5, 99.9, 30 * DAY, 1296.0),
        (1.0, 99.0, 7 * DAY, 6048.0),
        (-0.25, 99.0, 7 * DAY, -1512.0),
    ],
)
def test_remaining_seconds(remaining: float, objective: float, period: int, seconds: float):
    """The remaining budget in seconds of full outage is remaining x (1 - objective) x period."""
    assert budget.remaining_seconds(remaining, objective, period) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("remaining", "burn", "period", "expected"),
    [
        (1.0, 1.0, 30 * DAY, 30 * DAY),  # burning exactly on budget: lasts one period
        (0.5, 2.0, 30 * DAY, 7.5 * DAY),
        (1.0, 14.4, 30 * DAY, 30 * DAY / 14.4),
        (0.0, 5.0, 30 * DAY, 0.0),  # already exhausted
        (-0.3, 5.0, 30 * DAY, 0.0),
        (0.5, 0.0, 30 * DAY, math.inf),  # not burning
        (0.5, None, 30 * DAY, math.inf),  # no traffic in the window
    ],
)
def test_exhaustion(remaining: float, burn: float | None, period: int, expected: float):
    """Time to exhaustion is remaining x period / burn; 0 when spent, inf when not burning."""
    assert budget.exhaustion_seconds(remaining, burn, period) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("good", "total", "expected_good"),
    [(1001, 1000, 1000), (-3, 1000, 0), (500, 1000, 500)],
)
def test_good_is_bounded_by_total(good: float, total: float, expected_good: float):
    """Good events are kept within [0, total] so the SLI never leaves [0, 1]."""
    assert budget.bounded(WindowEvents(good, total)).good == expected_good


@pytest.mark.parametrize(
    ("share", "period", "long", "factor"),
    [
        (0.02, 30 * DAY, 3600, 14.4),
        (0.05, 30 * DAY, 6 * 3600, 6.0),
        (0.10, 30 * DAY, DAY, 3.0),
        (0.10, 30 * DAY, 3 * DAY, 1.0),
        (0.02, 7 * DAY, 3600, 3.36),
        (0.05, 7 * DAY, 6 * 3600, 1.4),
        (0.10, 7 * DAY, DAY, 0.7),
        (0.02, 28 * DAY, 3600, 13.44),
    ],
)
def test_factor_scaling(share: float, period: int, long: int, factor: float):
    """Burn-rate thresholds scale as budget share x period / long window."""
    assert scaled_factor(share, period, long) == pytest.approx(factor)


def test_workbook_rules_for_thirty_days():
    """The default rules for a 30-day period are the workbook's 14.4/6 page and 3/1 ticket."""
    rules = workbook_rules(30 * DAY)
    assert [(r.severity, r.long_window, r.short_window) for r in rules] == [
        ("page", 3600, 300),
        ("page", 21600, 1800),
        ("ticket", 86400, 7200),
        ("ticket", 259200, 21600),
    ]
    assert [r.factor for r in rules] == pytest.approx([14.4, 6.0, 3.0, 1.0])


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("30s", 30, "30s"),
        ("5m", 300, "5m"),
        ("90m", 5400, "1h30m"),
        ("1h30m", 5400, "1h30m"),
        ("1d", 86400, "1d"),
        ("1w", 604800, "7d"),
        ("30d", 2592000, "30d"),
        ("1500ms", None, None),
        ("2000ms", 2, "2s"),
    ],
)
def test_durations(text: str, seconds: int | None, canonical: str | None):
    """Durations parse to whole seconds and format back to the short PromQL form."""
    if seconds is None:
        with pytest.raises(DurationError):
            parse_duration(text)
        return
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == canonical


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "1m1h", "0s", "-5m", "5M", "1h1h"])
def test_bad_durations(text: str):
    """Text that is not a positive Prometheus duration is rejected with a message."""
    with pytest.raises(DurationError, match=r"duration|unit|zero"):
        parse_duration(text)
