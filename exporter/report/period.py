"""Which period a report covers: ``--period 2026-11``, ``--last 30d``, ``--from/--to``
or, by default, the last completed calendar month in UTC."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from exporter.domain.durations import parse_duration

HOUR = 3600


def month(text: str) -> tuple[int, int]:
    """``--period``: ``YYYY-MM`` as (start, end) unix seconds of that UTC month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-11")
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=UTC)
    after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(after.timestamp())


def duration(text: str) -> int:
    """``--last``: a duration like ``30d`` (at least one hour)."""
    try:
        seconds = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30d or 12h") from None
    if seconds < HOUR:
        raise argparse.ArgumentTypeError(f"--last {text}: a report covers at least 1h")
    return seconds


def last_month(now: float) -> tuple[int, int]:
    """The last calendar month in UTC that ended before ``now``."""
    today = datetime.fromtimestamp(now, UTC)
    end = datetime(today.year, today.month, 1, tzinfo=UTC)
    before = datetime(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1, tzinfo=UTC)
    return int(before.timestamp()), int(end.timestamp())


def choose(
    now: float,
    period: tuple[int, int] | None,
    last: int | None,
    start: float | None,
    end: float | None,
) -> tuple[int, int]:
    """The ``[start, end)`` the options ask for (raises ValueError naming the conflict)."""
    given = [name for name, v in (("--period", period), ("--last", last)) if v is not None]
    if start is not None or end is not None:
        given.append("--from/--to")
    if len(given) > 1:
        raise ValueError(f"{' and '.join(given)} both choose the period: give one")
    if period is not None:
        return period
    if last is not None:
        to = int(now) // HOUR * HOUR
        return to - last, to
    if start is None or end is None:
        if start is not None or end is not None:
            raise ValueError("--from and --to go together")
        return last_month(now)
    if end <= start:
        raise ValueError("--to must be after --from")
    return int(start), int(end)


def add_options(parser: argparse.ArgumentParser, parse_time: Callable[[str], float]) -> None:
    """The options that choose the period: ``--period``, ``--last``, ``--from``/``--to``."""
    parser.add_argument("--period", type=month, help="a UTC month, e.g. 2026-11")
    parser.add_argument("--last", type=duration, help="the last DURATION, e.g. 30d")
    parser.add_argument("--from", dest="start", type=parse_time, help="start (RFC 3339/unix)")
    parser.add_argument("--to", dest="end", type=parse_time, help="end (RFC 3339/unix)")


def from_options(args: argparse.Namespace) -> tuple[int, int]:
    """The ``[start, end)`` the :func:`add_options` options ask for, now (ValueError as
    :func:`choose`)."""
    return choose(time.time(), args.period, args.last, args.start, args.end)
