"""A backtest's findings from replayed alert conditions: pure functions of numbers.

``backtest`` evaluates an SLO's multiwindow burn-rate conditions at every
evaluation time of a past period with :func:`exporter.domain.evaluate.alert_conditions`
(the alerts part of ``eval``). From those verdicts come the alerts that would
have fired, and from the report's incidents (:func:`exporter.domain.report.find_incidents`)
which alert caught each incident, how long after it began, and the precision
and recall of the SLO's alerting.

The objective is the one in force at each time (a phased SLO's, :meth:`SLO.in_force`):
``alert_conditions`` gets the evaluation time, and the incidents' steps are judged by
:func:`objectives_at` their ends. The events are those outside the SLO's budget
adjustments (:mod:`exporter.domain.adjusted_windows` for the windows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import alert_conditions
from exporter.domain.model import SLO
from exporter.domain.report import Incident


@dataclass(frozen=True)
class WindowSeries:
    """Events of one window at every evaluation time: ``good[i]`` and ``total[i]`` counted
    in ``(times[i] - window, times[i]]``."""

    window: int
    good: Sequence[float]
    total: Sequence[float]


@dataclass(frozen=True)
class Alert:
    """One burn-rate condition holding from ``start`` until ``end``.

    ``start`` is the first evaluation time at which it held; ``end`` the first
    evaluation time at which it no longer did (when the alert resolves), None
    when it still held at the last evaluation of the period.
    """

    severity: str
    long_window: int
    short_window: int
    start: int
    end: int | None


def fired_alerts(
    slo: SLO, times: Sequence[int], windows: Mapping[int, WindowSeries]
) -> list[Alert]:
    """Every alert ``slo``'s conditions raise over ``times`` (oldest first).

    ``windows`` holds each alerting window's events at every time of ``times``.
    """
    opened: dict[int, int] = {}
    found: list[tuple[int, int, int | None]] = []
    for i, at in enumerate(times):
        events = {w: WindowEvents(s.good[i], s.total[i]) for w, s in windows.items()}
        for k, condition in enumerate(alert_conditions(slo, events, at)):
            if condition.firing and k not in opened:
                opened[k] = at
            elif not condition.firing and k in opened:
                found.append((opened.pop(k), k, at))
    found.extend((start, k, None) for k, start in opened.items())
    out = []
    for start, k, end in sorted(found, key=lambda f: (f[0], f[1])):
        rule = slo.alerts[k]
        out.append(Alert(rule.severity, rule.long_window, rule.short_window, start, end))
    return out


def objectives_at(slo: SLO, times: Sequence[int]) -> list[float]:
    """The objective in force at each of ``times`` (the SLO's own without phases)."""
    if not slo.phases:
        return [slo.objective] * len(times)
    return [slo.in_force(t).objective for t in times]


def catches(alert: Alert, incident: Incident) -> bool:
    """The alert fires about the incident: it is firing at some time from the incident's
    start until its last bad events leave the alert's short window (``end + short``)."""
    resolved_before = alert.end is not None and alert.end <= incident.start
    return not resolved_before and alert.start <= incident.end + alert.short_window


@dataclass(frozen=True)
class CheckedIncident:
    """An incident and the first alert that caught it (None: none did)."""

    incident: Incident
    caught_by: Alert | None

    @property
    def detection_seconds(self) -> int | None:
        """Seconds from the incident's start to the catching alert's start (0 when that
        alert was firing already)."""
        if self.caught_by is None:
            return None
        return max(0, self.caught_by.start - self.incident.start)


def check_incidents(
    incidents: Sequence[Incident], alerts: Sequence[Alert]
) -> list[CheckedIncident]:
    """Each incident (oldest first) with the earliest-starting alert that caught it."""
    out = []
    for incident in sorted(incidents, key=lambda i: i.start):
        catching = [a for a in alerts if catches(a, incident)]
        first = min(catching, key=lambda a: a.start) if catching else None
        out.append(CheckedIncident(incident, first))
    return out


def precision(alerts: Sequence[Alert], incidents: Sequence[Incident]) -> float | None:
    """Share of the alerts that caught an incident (None without alerts)."""
    if not alerts:
        return None
    return sum(any(catches(a, i) for i in incidents) for a in alerts) / len(alerts)


def recall(checked: Sequence[CheckedIncident]) -> float | None:
    """Share of the incidents some alert caught (None without incidents)."""
    if not checked:
        return None
    return sum(c.caught_by is not None for c in checked) / len(checked)


def smallest_alert_share(slo: SLO) -> float:
    """The least share of the period's budget any of ``slo``'s conditions is tuned to
    notice: factor x long window / period (2 % for the workbook's fast page)."""
    shares = [rule.factor * rule.long_window / slo.period for rule in slo.alerts]
    return min(shares) if shares else 0.0


def significant(
    incidents: Sequence[Incident], min_share: float, observed: int, period: int
) -> list[Incident]:
    """The incidents that spent at least ``min_share`` of an SLO period's budget.

    An incident's ``budget_consumed_ratio`` is a share of the budget of the
    ``observed`` seconds replayed; times ``observed / period`` it is a share of
    a whole period's budget at the same traffic.
    """
    return [
        i
        for i in incidents
        if i.budget_consumed_ratio is not None
        and i.budget_consumed_ratio * observed / period >= min_share
    ]
