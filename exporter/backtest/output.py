"""A backtest as JSON or as a plain-text table: formatting only, no queries."""

from __future__ import annotations

import json
from typing import Any

from exporter.backtest.replay import Backtest, SLOBacktest
from exporter.domain.backtest import Alert, CheckedIncident
from exporter.domain.durations import format_duration
from exporter.report.build import rfc3339
from exporter.report.notes import adjustment_text, adjustments_json


def _time(t: int | None) -> str | None:
    return None if t is None else rfc3339(t)


def _rule(alert: Alert) -> dict[str, str]:
    return {
        "severity": alert.severity,
        "long_window": format_duration(alert.long_window),
        "short_window": format_duration(alert.short_window),
    }


def _alert(alert: Alert, spent: float | None) -> dict[str, Any]:
    return {
        **_rule(alert),
        "start": rfc3339(alert.start),
        "end": _time(alert.end),
        "budget_spent_ratio": spent,
    }


def _incident(checked: CheckedIncident) -> dict[str, Any]:
    caught = checked.caught_by
    return {
        "start": rfc3339(checked.incident.start),
        "end": rfc3339(checked.incident.end),
        "caught_by": None if caught is None else _rule(caught),
        "detection_seconds": checked.detection_seconds,
    }


def _slo(slo: SLOBacktest) -> dict[str, Any]:
    return {
        "name": slo.name,
        "alerts": [_alert(a, s) for a, s in zip(slo.alerts, slo.budget_spent, strict=True)],
        "incidents": [_incident(c) for c in slo.incidents],
        "min_incident_budget_ratio": slo.min_incident_budget,
        "smaller_incidents": slo.smaller_incidents,
        "precision": slo.precision,
        "recall": slo.recall,
        "budget_adjustments": adjustments_json(slo.adjustments),
    }


def to_dict(backtest: Backtest) -> dict[str, Any]:
    """The JSON document: the period, the step and per SLO its alerts and incidents."""
    return {
        "from": rfc3339(backtest.start),
        "to": rfc3339(backtest.end),
        "step": format_duration(backtest.step),
        "step_source": backtest.step_source,
        "slos": [_slo(s) for s in backtest.slos],
    }


def to_json(backtest: Backtest) -> str:
    """:func:`to_dict` as indented JSON (no NaN: every ratio is a number or null)."""
    return json.dumps(to_dict(backtest), indent=2, allow_nan=False) + "\n"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pair(alert: Alert) -> str:
    return f"{format_duration(alert.long_window)}/{format_duration(alert.short_window)}"


def _slo_lines(slo: SLOBacktest) -> list[str]:
    lines = [
        f"{slo.name}: {_count(len(slo.alerts), 'alert')}, "
        f"{_count(len(slo.incidents), 'incident')} spending "
        f">= {slo.min_incident_budget:.1%} of a period's budget ({slo.smaller_incidents} "
        f"smaller left out), precision {_ratio(slo.precision)}, recall {_ratio(slo.recall)}"
    ]
    for alert, spent in zip(slo.alerts, slo.budget_spent, strict=True):
        end = "still firing" if alert.end is None else rfc3339(alert.end)
        lines.append(
            f"  alert    {alert.severity:<8} {_pair(alert):<8} {rfc3339(alert.start)} -> {end}"
            f"  budget spent at start {_ratio(spent)}"
        )
    for checked in slo.incidents:
        incident, caught = checked.incident, checked.caught_by
        verdict = "missed"
        if caught is not None:
            after = checked.detection_seconds or 0
            delay = format_duration(after) if after else "0s"
            verdict = f"caught by {caught.severity} {_pair(caught)} after {delay}"
        lines.append(f"  incident {rfc3339(incident.start)} -> {rfc3339(incident.end)}  {verdict}")
    lines.extend(f"  adjusted {adjustment_text(a)}" for a in slo.adjustments)
    return lines


def to_table(backtest: Backtest) -> str:
    """One block per SLO: a summary line, its alerts, its incidents, the budget adjustments
    whose events it left out."""
    lines = [
        f"backtest {rfc3339(backtest.start)} -> {rfc3339(backtest.end)}, evaluated every "
        f"{format_duration(backtest.step)} ({backtest.step_source})"
    ]
    for slo in backtest.slos:
        lines.extend(_slo_lines(slo))
    return "\n".join(lines) + "\n"
