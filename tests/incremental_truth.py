"""The test config of ``truth.py`` plus a 0/1-gauge SLO and a calendar-month SLO, with truth.

Shared by the store-backed tests: everything the store can count (ratio,
latency, bool gauge, a calendar period) next to a query-template SLO that
keeps its direct window queries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from history import History
from truth import CONFIG, TRUTH

from exporter.domain.evaluate import SLOResult
from exporter.store.resolution import EDGE_BUCKETS

Events = Callable[[History, float, float], float]

EXTRA = """\
  - name: probe-availability
    service: checkout
    objective: 99
    period: 7d
    sli:
      bool_gauge:
        metric: probe_success{{job="blackbox",target="checkout"}}
  - name: checkout-monthly
    service: checkout
    objective: 99.9
    calendar: month
    sli:
      ratio:
        good: http_requests_total{{service="checkout",code!~"5.."}}
        total: http_requests_total{{service="checkout"}}
"""

PROBE = {"job": "blackbox", "target": "checkout"}


def _probe_good(h: History, t: float, w: float) -> float:
    return float(sum(h.gauge_samples("probe_success", PROBE, t, w)))


def _probe_total(h: History, t: float, w: float) -> float:
    return float(len(h.gauge_samples("probe_success", PROBE, t, w)))


EVENTS: dict[str, tuple[Events, Events]] = {
    **{name: (truth.good, truth.total) for name, truth in TRUTH.items()},
    "probe-availability": (_probe_good, _probe_total),
    "checkout-monthly": (TRUTH["checkout-availability"].good, TRUTH["checkout-availability"].total),
}
DIRECT = {"search-availability"}
"""SLOs the store cannot count (a query template): they keep direct window queries."""
SELECTORS = 11
"""Distinct streams of the store-backed SLOs: the two checkout ratios and the monthly one
share ``total`` (and the monthly one ``good`` too); the gauge has a sum and a count."""


def wide_edge(window: float, interval: int = 60) -> bool:
    """True when the store may read ``window``'s oldest edge from buckets wider than the
    evaluation interval: a window of more than 2000 intervals, as the README's math section
    says (at the tests' 60 s that allows 3d within 0.1 %, although no middle width fits
    there and 3d stays exact)."""
    return window > EDGE_BUCKETS * interval


def write_store_config(directory: Path, url: str, interval: str = "60s") -> Path:
    """Write the test config (with the extra SLOs) pointing at ``url``."""
    path = directory / "slos.yaml"
    text = CONFIG + EXTRA
    path.write_text(text.replace("interval: 60s", f"interval: {interval}").format(url=url))
    return path


def mismatches(
    history: History,
    results: Mapping[str, SLOResult],
    *,
    period_rel: float = 1e-3,
    interval: int = 60,
) -> list[str]:
    """Every window of every result that differs from the ground truth (evaluated at
    ``interval``).

    Windows the store keeps fine edges for must be exact; the period and the
    long windows (whose oldest edge may cut a coarse or a middle-tier bucket, at
    most 1/2000 of the window: :func:`wide_edge`) within ``period_rel``.
    """
    out: list[str] = []
    for name, (good_of, total_of) in EVENTS.items():
        result = results.get(name)
        if result is None:
            if name not in DIRECT:
                out.append(f"{name}: no result")
            continue
        at = result.evaluated_at
        period = result.slo.period_window(at)
        windows = {**result.windows, period: result.period}
        for window, got in windows.items():
            good, total = good_of(history, at, window), total_of(history, at, window)
            rel = period_rel if window == period or wide_edge(window, interval) else 1e-12
            for what, seen, true in (
                ("good", got.events.good, good),
                ("total", got.events.total, total),
            ):
                if abs(seen - true) > rel * max(abs(true), 1.0):
                    out.append(f"{name} {window}s {what}: {seen} != {true}")
    return out
