"""Calendar period bounds, timeslice counting and no-data policies (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from exporter.domain.alerts import workbook_rules
from exporter.domain.budget import WindowEvents
from exporter.domain.budgeting import Budgeting, Method, NoData
from exporter.domain.calendar import CalendarPeriod, CalendarUnit, period_bounds
from exporter.domain.evaluate import evaluate_slo, window_result
from exporter.domain.model import SLO, RatioSLI, Status, StatusPolicy


def ts(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(
    ("unit", "zone", "at", "start", "end"),
    [
        ("week", "UTC", "2026-11-27 13:00", "2026-11-23 00:00", "2026-11-30 00:00"),
        ("week", "UTC", "2026-11-23 00:00", "2026-11-23 00:00", "2026-11-30 00:00"),
        ("week", "UTC", "2026-11-22 23:59", "2026-11-16 00:00", "2026-11-23 00:00"),
        ("month", "UTC", "2026-11-27 13:00", "2026-11-01 00:00", "2026-12-01 00:00"),
        ("month", "UTC", "2026-12-31 23:00", "2026-12-01 00:00", "2027-01-01 00:00"),
        ("month", "UTC", "2028-02-15 00:00", "2028-02-01 00:00", "2028-03-01 00:00"),
        ("quarter", "UTC", "2026-11-27 13:00", "2026-10-01 00:00", "2027-01-01 00:00"),
        ("quarter", "UTC", "2026-01-01 00:00", "2026-01-01 00:00", "2026-04-01 00:00"),
        ("month", "Europe/Berlin", "2026-03-15 12:00", "2026-03-01 00:00", "2026-04-01 00:00"),
        ("week", "America/New_York", "2026-11-02 12:00", "2026-11-02 00:00", "2026-11-09 00:00"),
        ("month", "Asia/Tokyo", "2026-11-30 20:00", "2026-11-01 00:00", "2026-12-01 00:00"),
    ],
)
def test_period_bounds(unit: str, zone: str, at: str, start: str, end: str):
    """A calendar period starts at local midnight on its first day, in its own time zone."""
    period = CalendarPeriod(CalendarUnit(unit), ZoneInfo(zone), zone)
    bounds = period_bounds(period, ts(at, zone))
    assert bounds.start == ts(start, zone)
    assert bounds.end == ts(end, zone)


def test_daylight_saving_month_is_an_hour_short():
    """March in Berlin loses an hour to daylight saving time."""
    period = CalendarPeriod(CalendarUnit.MONTH, ZoneInfo("Europe/Berlin"), "Europe/Berlin")
    bounds = period_bounds(period, ts("2026-03-15 12:00", "Europe/Berlin"))
    assert bounds.length == 31 * 86400 - 3600


def calendar_slo(**overrides) -> SLO:
    fields = {
        "name": "monthly",
        "service": "svc",
        "objective": 99.0,
        "period": 30 * 86400,
        "sli": RatioSLI(total="t", good="g"),
        "windows": (3600,),
        "alerts": (),
        "status": StatusPolicy(window=3600),
        "calendar": CalendarPeriod(CalendarUnit.MONTH, UTC, "UTC"),
    }
    return SLO(**{**fields, **overrides})


def test_calendar_budget_counts_from_period_start():
    """Ten days into November the period window is ten days and the ideal budget left is 2/3."""
    slo = calendar_slo()
    at = datetime(2026, 11, 11, tzinfo=UTC).timestamp()
    period = 10 * 86400
    assert slo.period_window(at) == period
    assert slo.windows_at(at) == (3600, period)
    events = {3600: WindowEvents(100, 100), period: WindowEvents(99_750, 100_000)}
    result = evaluate_slo(slo, events, at)
    assert result.remaining_ratio == pytest.approx(0.75)
    assert result.elapsed_ratio == pytest.approx(1 / 3)
    assert result.remaining_seconds == pytest.approx(0.75 * 0.01 * 30 * 86400)
    assert result.labelled_windows()[-1][0] == "month"


def test_calendar_period_just_started_has_no_data():
    """Exactly at the start of a period nothing has been counted: no budget, status no_data."""
    slo = calendar_slo()
    at = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    assert slo.windows_at(at) == (3600,)
    result = evaluate_slo(slo, {3600: WindowEvents(5, 5)}, at)
    assert result.status is Status.NO_DATA
    assert result.remaining_ratio is None


@pytest.mark.parametrize(
    ("policy", "sli", "burn"),
    [(NoData.SKIP, None, None), (NoData.GOOD, 1.0, 0.0), (NoData.BAD, 0.0, 100.0)],
)
def test_no_data_policy_for_events(policy: NoData, sli, burn):
    """A window with no traffic: skip leaves it out, good counts it perfect, bad as all failed."""
    result = window_result(300, WindowEvents(0, 0), 99.0, policy)
    assert result.sli == sli
    assert result.burn_rate == (None if burn is None else pytest.approx(burn))


@pytest.mark.parametrize(
    ("policy", "good", "total"),
    [(NoData.SKIP, 8, 10), (NoData.GOOD, 10, 12), (NoData.BAD, 8, 12)],
)
def test_no_data_policy_for_slices(policy: NoData, good: float, total: float):
    """Timeslices: slices without data are left out, or counted good or bad, by policy."""
    budgeting = Budgeting(Method.TIMESLICES, slice=300, slice_target=99)
    result = window_result(3600, WindowEvents(8, 10), 99.0, policy, budgeting)
    assert (result.events.good, result.events.total) == (good, total)


def test_min_events_keeps_quiet_windows_from_paging():
    """One failure in three requests is a 33 % error rate; below min_events it never pages."""
    base = calendar_slo(
        calendar=None,
        period=30 * 86400,
        windows=(300, 1800, 3600, 7200, 21600, 86400, 259200, 2592000),
        alerts=workbook_rules(30 * 86400),
    )
    events = {w: WindowEvents(2, 3) for w in base.windows}
    events[2592000] = WindowEvents(999_998, 1_000_000)
    loud = evaluate_slo(base, events, 0)
    assert any(a.firing for a in loud.alerts)
    quiet = evaluate_slo(SLO(**{**base.__dict__, "min_events": 10}), events, 0)
    assert not any(a.firing for a in quiet.alerts)
