"""Prometheus-style durations (``30s``, ``5m``, ``1h30m``, ``30d``) as whole seconds.

Windows and periods are whole seconds: a PromQL range needs no finer grain
for SLOs, and integers make window labels and dictionary keys exact.
"""

from __future__ import annotations

import functools
import re

_UNITS: dict[str, int] = {
    "y": 365 * 86400,
    "w": 7 * 86400,
    "d": 86400,
    "h": 3600,
    "m": 60,
    "s": 1,
}
_PART = re.compile(r"(\d+)(y|w|d|h|ms|m|s)")
_WHOLE = re.compile(r"(?:\d+(?:y|w|d|h|ms|m|s))+")
# Units used when formatting, largest first. Weeks and years are left out on
# purpose: "7d" and "30d" read better on a dashboard than "1w" and "4w2d".
_FORMAT_UNITS: tuple[tuple[str, int], ...] = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class DurationError(ValueError):
    """A string is not a duration we accept."""


def parse_duration(text: str) -> int:
    """Parse ``1h30m``-style text into whole seconds (> 0).

    Units are y, w, d, h, m, s and ms; milliseconds must add up to whole
    seconds. Each unit may appear once, largest first, as in PromQL.
    """
    value = text.strip()
    if not _WHOLE.fullmatch(value):
        raise DurationError(
            f"{text!r} is not a duration: use a number and a unit, e.g. 30s, 5m, 1h30m, 30d"
        )
    order = ["y", "w", "d", "h", "m", "s", "ms"]
    last = -1
    millis = 0
    for number, unit in _PART.findall(value):
        rank = order.index(unit)
        if rank <= last:
            raise DurationError(f"{text!r}: units must be given once each, largest first")
        last = rank
        millis += int(number) * (1 if unit == "ms" else _UNITS[unit] * 1000)
    if millis == 0:
        raise DurationError(f"{text!r}: a duration must be longer than zero")
    if millis % 1000:
        raise DurationError(f"{text!r}: durations must be whole seconds")
    return millis // 1000


@functools.lru_cache(maxsize=1024)
def format_duration(seconds: int) -> str:
    """Format whole seconds the short way PromQL accepts: 300 -> ``5m``, 5400 -> ``1h30m``.

    Remembered for the last 1,024 lengths (a calendar period's window is new every
    cycle, so an unbounded memo would grow for as long as the process runs).
    """
    if seconds <= 0:
        raise DurationError(f"cannot format a non-positive duration ({seconds}s)")
    parts: list[str] = []
    rest = seconds
    for unit, size in _FORMAT_UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
