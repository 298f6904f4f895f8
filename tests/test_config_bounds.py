"""Every number and duration of the config has bounds, and a value outside them is one line.

Without them ``interval: 1000000w`` evaluated once, at 1970; ``timeout: 99999999999d``
waited forever for a hanging backend; ``min_events: .inf`` meant no alert could fire.
"""

from __future__ import annotations

import pytest
from config_text import GOOD_SLOS, load_text

from exporter.errors import ConfigError

SOURCE = "c.yaml"

BACKEND = """\
backend:
  url: http://127.0.0.1:9090
"""
SCRAPE = """\
source:
  scrape:
    url: http://127.0.0.1:8080/metrics
"""
SLOS = GOOD_SLOS
SERVICE = """\
services:
  - name: jobs
    template: streaming
    lag: job_lag_seconds
"""


def slo_with(line: str) -> str:
    """A valid config whose one SLO also has ``line`` (indented as an SLO field)."""
    return BACKEND + SLOS + f"    {line}\n"


BOUNDS = [
    # (case id, config text, the field's line, what the message says)
    ("interval-huge", BACKEND + "evaluation: {interval: 1000000w}\n" + SLOS, 3, "at most 1h"),
    ("interval-2h", BACKEND + "evaluation: {interval: 2h}\n" + SLOS, 3, "at most 1h; got 2h"),
    ("delay-huge", BACKEND + "evaluation: {delay: 1000000w}\n" + SLOS, 3, "at most 1h"),
    ("concurrency", BACKEND + "evaluation: {concurrency: 1000001}\n" + SLOS, 3, "from 1 to 1000"),
    ("timeout-huge", BACKEND + "  timeout: 99999999999d\n" + SLOS, 3, "at most 5m"),
    ("timeout-10m", BACKEND + "  timeout: 10m\n" + SLOS, 3, "at most 5m; got 10m"),
    ("scrape-interval", SCRAPE + "    interval: 2h\n" + SLOS, 4, "at most 1h"),
    ("scrape-timeout", SCRAPE + "    interval: 1h\n    timeout: 10m\n" + SLOS, 5, "at most 5m"),
    ("min-events-inf", slo_with("min_events: .inf"), 11, "min_events must be a number"),
    ("min-events-1e400", slo_with("min_events: 1e400"), 11, "min_events must be a number"),
    (
        "defaults-min-events",
        BACKEND + "defaults: {min_events: .inf}\n" + SLOS,
        3,
        "min_events must be a number",
    ),
    ("window-3y", slo_with("windows: [5m, 3y]"), 11, "windows[1]: must be at most 2y; got 3y"),
    ("period-huge", slo_with("period: 1000000w"), 11, "period: must be at most 2y"),
    (
        "alert-window",
        slo_with("alerts: [{severity: p, long_window: 1000000w, short_window: 5m, burn_rate: 2}]"),
        11,
        "long_window: must be at most 2y",
    ),
    ("status-window", slo_with("status: {window: 1000000w}"), 11, "status.window: must be at"),
    (
        "slice-huge",
        slo_with("budgeting: {method: ratio_timeslices, slice: 1000000w}"),
        11,
        "budgeting.slice: must be at most 2y",
    ),
    ("alert-for", BACKEND + SLOS + "alerting: {exhausted_for: 1000000w}\n", 11, "at most 7d"),
    ("rule-interval", BACKEND + SLOS + "alerting: {native_interval: 2h}\n", 11, "at most 1h"),
    ("rule-offset", BACKEND + SLOS + "alerting: {native_offset: 2h}\n", 11, "at most 1h"),
    ("windows-33", slo_with(f"windows: [{', '.join(['5m'] * 33)}]"), 11, "at most 32 windows"),
    (
        "template-lag",
        BACKEND + SERVICE + "    max_lag: " + "9" * 400 + "h\n",
        4,
        "expected a duration",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [case[1:] for case in BOUNDS], ids=[case[0] for case in BOUNDS]
)
def test_values_out_of_bounds_are_one_line(text: str, line: int, fragment: str):
    """A duration, count or number beyond its field's bounds is refused at its line."""
    with pytest.raises(ConfigError) as caught:
        load_text(text, SOURCE)
    found = caught.value.problems
    assert any(p.startswith(f"{SOURCE}:{line}:") and fragment in p for p in found), found
    assert all("\n" not in p for p in found), found


WITHIN = [
    ("interval-1h", BACKEND + "evaluation: {interval: 1h, delay: 1h}\n" + SLOS),
    ("interval-1s", BACKEND + "evaluation: {interval: 1s, delay: 0s, concurrency: 1000}\n" + SLOS),
    ("timeout-5m", BACKEND + "  timeout: 5m\n" + SLOS),
    ("period-1y", slo_with("period: 1y")),
    ("windows-2y", slo_with("windows: [5m, 2y]")),
    ("min-events-0", slo_with("min_events: 0")),
    ("alert-for-7d", BACKEND + SLOS + "alerting: {exhausted_for: 7d, data_missing_for: 0s}\n"),
]


@pytest.mark.parametrize("text", [case[1] for case in WITHIN], ids=[case[0] for case in WITHIN])
def test_values_at_the_bounds_load(text: str):
    """The bounds themselves are allowed: 1s and 1h intervals, a 5m timeout, 2y windows."""
    assert load_text(text, SOURCE).slos
