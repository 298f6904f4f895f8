"""Pyrra's burn-rate alerts as native ``alerts``, windows scaled to the SLO's window.

Pyrra writes four multiwindow alerts, defined for a 28-day window and scaled
to the SLO's (each window divided by 28 days, times the SLO's, rounded to
the minute as Pyrra rounds: halves away from zero):

========  ===================  ===================  ======
severity  long (for 28 days)   short (for 28 days)  factor
========  ===================  ===================  ======
critical  1h                   5m                   14
critical  6h                   30m                  7
warning   1d                   2h                   2
warning   4d                   6h                   1
========  ===================  ===================  ======

They become native ``alerts`` with ``burn_rate`` set to the factor. A short
window under a minute is made one minute (Pyrra would query an empty range).
Pyrra also holds each alert for half its short window (``for:``); the
exporter's burn alerts fire at once, as the SRE workbook does.
"""

from __future__ import annotations

from typing import Any

from exporter.domain.durations import format_duration, parse_duration

MINUTE = 60
BASE = 28 * 86400
WINDOWS = (
    ("critical", 3600, 300, 14),
    ("critical", 6 * 3600, 1800, 7),
    ("warning", 86400, 2 * 3600, 2),
    ("warning", 4 * 86400, 6 * 3600, 1),
)


def _scaled(seconds: int, window: int) -> int:
    """``seconds`` (for 28 days) scaled to ``window``, to whole minutes, halves up, >= 1m."""
    minutes = (2 * seconds * window + BASE * MINUTE) // (2 * BASE * MINUTE)
    return max(int(minutes), 1) * MINUTE


def burn_alerts(window: str) -> list[dict[str, Any]] | None:
    """The native alerts for an SLO over ``window`` (None when it is no duration)."""
    try:
        seconds = parse_duration(window.strip())
    except ValueError:
        return None  # the native schema reports the period
    alerts = []
    for severity, long, short, factor in WINDOWS:
        long_window, short_window = _scaled(long, seconds), _scaled(short, seconds)
        if short_window >= long_window:
            continue  # a window too short for this pair
        alerts.append(
            {
                "severity": severity,
                "long_window": format_duration(long_window),
                "short_window": format_duration(short_window),
                "burn_rate": factor,
            }
        )
    return alerts
