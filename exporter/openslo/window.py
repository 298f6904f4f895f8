"""An SLO's ``timeWindow`` to a rolling ``period`` or a ``calendar`` period and ``timezone``.

- ``{duration: 28d, isRolling: true}`` -> ``period: 28d`` (fixed lengths only:
  m, h, d, w).
- ``{duration: 1w|1M|1Q, isRolling: false, calendar: {startTime, timeZone}}``
  -> ``calendar: week|month|quarter`` and ``timezone``. Calendar periods
  always start at their natural boundary (a week on Monday, a month on the
  1st, a quarter on 1 January, April, July or October, at local midnight),
  so ``startTime`` must be such a boundary; any other start is refused
  rather than silently moved.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from exporter.openslo import shape
from exporter.openslo.entries import Entry, leaf
from exporter.openslo.located import Located
from exporter.openslo.shorthand_durations import (
    CALENDAR_UNITS,
    fixed_seconds,
    native,
    parse_shorthand,
)
from exporter.yaml_lines import describe, quote

WINDOW_FIELDS = ("duration", "isRolling", "calendar")
CALENDAR_FIELDS = ("startTime", "timeZone")
_STARTS = {
    "week": "on a Monday",
    "month": "on the 1st",
    "quarter": "on 1 January, April, July or October",
}


def period_start(unit: str, moment: datetime) -> datetime:
    """The start of the week, month or quarter holding ``moment`` (local midnight)."""
    day = moment.date()
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    else:
        day = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return datetime(day.year, day.month, day.day)


def _local_time(node: Located, problems: shape.Problems) -> datetime | None:
    value = node.value
    if value is None:
        problems.append(shape.missing(node))
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            problems.append(
                node.problem(
                    "expected a local date and time such as 2024-01-01 00:00:00, "
                    f"got {quote(value)}"
                )
            )
            return None
    else:
        problems.append(
            node.problem(
                f"expected a date and time such as 2024-01-01 00:00:00, got {describe(value)}"
            )
        )
        return None
    if moment.tzinfo is not None:
        problems.append(
            node.problem("write a local time without an offset; calendar.timeZone gives the zone")
        )
        return None
    return moment


def _time_zone(node: Located, problems: shape.Problems) -> str | None:
    name = shape.text(node, problems)
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(
            node.problem(f"{quote(name)} is not an IANA time zone name, e.g. UTC or Europe/Berlin")
        )
        return None
    return name


def _calendar(window: Located, problems: shape.Problems) -> list[Entry] | None:
    duration, calendar = window["duration"], window["calendar"]
    if not calendar.present:
        problems.append(
            window.problem(
                "a calendar window (isRolling: false) needs calendar with startTime and timeZone"
            )
        )
        return None
    try:
        shorthand = parse_shorthand(duration.value)
    except ValueError as error:
        problems.append(duration.problem(str(error)))
        return None
    unit = CALENDAR_UNITS.get(str(shorthand))
    if unit is None:
        problems.append(
            duration.problem(
                f"calendar windows of 1w, 1M or 1Q are supported (a week, month or quarter); "
                f"got {shorthand}"
            )
        )
    if not shape.mapping(calendar, CALENDAR_FIELDS, problems, required=CALENDAR_FIELDS):
        return None
    start = _local_time(calendar["startTime"], problems)
    zone = _time_zone(calendar["timeZone"], problems)
    if unit is None or start is None or zone is None:
        return None
    boundary = period_start(unit, start)
    if start != boundary:
        problems.append(
            calendar["startTime"].problem(
                f"calendar {unit}s start at midnight {_STARTS[unit]} in timeZone, and every "
                f"{unit} is counted from that start; {start:%Y-%m-%d %H:%M:%S} is not one: "
                f"use e.g. {boundary:%Y-%m-%d %H:%M:%S}"
            )
        )
        return None
    return [
        leaf(("calendar",), unit, duration),
        leaf(("timezone",), zone, calendar["timeZone"]),
    ]


def _rolling(window: Located, problems: shape.Problems) -> list[Entry] | None:
    duration = window["duration"]
    if window["calendar"].present:
        problems.append(
            window["calendar"].problem(
                "a rolling window has no calendar: remove calendar, or set isRolling: false"
            )
        )
        return None
    try:
        shorthand = parse_shorthand(duration.value)
        seconds = fixed_seconds(shorthand)
    except ValueError as error:
        message = str(error)
        if "no fixed length" in message:
            message += ", or make it a calendar window (isRolling: false with calendar)"
        problems.append(duration.problem(message))
        return None
    return [leaf(("period",), native(seconds), duration)]


def time_window(spec: Located, problems: shape.Problems) -> list[Entry] | None:
    """The native ``period`` or ``calendar`` and ``timezone`` of an SLO's ``spec``."""
    windows = shape.sequence(spec["timeWindow"], problems)
    if not windows:
        if isinstance(spec["timeWindow"].value, list):
            problems.append(spec["timeWindow"].problem("give one time window"))
        return None
    if len(windows) > 1:
        problems.append(
            windows[1].problem("several time windows are not supported: write one SLO per window")
        )
        return None
    window = windows[0]
    if not shape.mapping(window, WINDOW_FIELDS, problems, required=("duration",)):
        return None
    if not window["duration"].present:
        return None  # reported as missing
    rolling = shape.boolean(window["isRolling"], problems)
    if rolling is None:
        if window["isRolling"].present:
            return None
        rolling = not window["calendar"].present
    return _rolling(window, problems) if rolling else _calendar(window, problems)
