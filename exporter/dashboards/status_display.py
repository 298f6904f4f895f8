"""How an SLO's status looks on a dashboard: a number, a word and a colour.

``slo_status`` is one-hot over the status label; dashboards turn it into one
number per SLO (:func:`exporter.dashboards.panel_queries.status_code`) so a table
cell, a stat or a state timeline can show it, and value mappings turn the
number back into the status word with its colour.
"""

from __future__ import annotations

from exporter.domain.model import Status

COLOURS: dict[Status, str] = {
    Status.HEALTHY: "green",
    Status.ATTENTION: "yellow",
    Status.WARNING: "orange",
    Status.CRITICAL: "red",
    Status.EXHAUSTED: "dark-red",
    Status.NO_DATA: "#8e8e8e",
    Status.UNKNOWN: "purple",
}
"""Grafana colour of each status: red for spent or fast-burning budgets, grey without
traffic, purple while the evaluation fails."""

CODES: dict[Status, int] = {status: index for index, status in enumerate(Status)}
"""Number of each status on dashboards: its position in :class:`Status`, healthy = 0."""

WORST_FIRST: tuple[Status, ...] = (
    Status.EXHAUSTED,
    Status.CRITICAL,
    Status.WARNING,
    Status.ATTENTION,
    Status.HEALTHY,
    Status.NO_DATA,
    Status.UNKNOWN,
)
"""Display order of per-status counts."""
