"""Calendar-aligned periods: the current week, month or quarter in a time zone.

A calendar period's budget counts from the start of the current period, so
the period window at T is ``T - start``. Weeks start on Monday (ISO 8601);
months on the 1st; quarters on 1 January, April, July and October; all at
local midnight, so a period in a zone with daylight saving time can be an
hour longer or shorter than its nominal length.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo


class CalendarUnit(enum.StrEnum):
    """The calendar periods an SLO can use."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


# Nominal lengths, used where one fixed number is needed (alert factor scaling).
NOMINAL_SECONDS: dict[CalendarUnit, int] = {
    CalendarUnit.WEEK: 7 * 86400,
    CalendarUnit.MONTH: 30 * 86400,
    CalendarUnit.QUARTER: 91 * 86400,
}


@dataclass(frozen=True)
class CalendarPeriod:
    """A calendar period in a zone (``tz`` is a ``zoneinfo.ZoneInfo`` or any tzinfo)."""

    unit: CalendarUnit
    tz: tzinfo
    tz_name: str = "UTC"

    @property
    def nominal_seconds(self) -> int:
        """7, 30 or 91 days."""
        return NOMINAL_SECONDS[self.unit]


@dataclass(frozen=True)
class PeriodBounds:
    """The calendar period containing T: [start, end) in unix seconds."""

    start: float
    end: float

    @property
    def length(self) -> float:
        """Seconds from start to end (DST changes included)."""
        return self.end - self.start

    def elapsed_ratio(self, at: float) -> float:
        """Share of the period gone by at ``at`` (0 at the start, towards 1 at the end)."""
        return (at - self.start) / self.length


def _month_start(year: int, month: int, tz: tzinfo) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=tz)


def period_bounds(period: CalendarPeriod, at: float) -> PeriodBounds:
    """The period that contains ``at``; ``at`` exactly on a boundary starts a new period."""
    local = datetime.fromtimestamp(at, tz=period.tz)
    if period.unit is CalendarUnit.WEEK:
        day = datetime(local.year, local.month, local.day, tzinfo=period.tz)
        start = day - timedelta(days=local.weekday())
        # Re-create from the calendar date so the local midnight is right across DST.
        start = datetime(start.year, start.month, start.day, tzinfo=period.tz)
        after = start + timedelta(days=7)
        end = datetime(after.year, after.month, after.day, tzinfo=period.tz)
    elif period.unit is CalendarUnit.MONTH:
        start = _month_start(local.year, local.month, period.tz)
        end = _month_start(local.year, local.month + 1, period.tz)
    else:
        first = (local.month - 1) // 3 * 3 + 1
        start = _month_start(local.year, first, period.tz)
        end = _month_start(local.year, first + 3, period.tz)
    return PeriodBounds(start=start.timestamp(), end=end.timestamp())
