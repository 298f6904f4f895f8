"""What a report says about an SLO's objective phase and its budget adjustments.

A phased SLO is reported with the objective in force at the period's end; the
figures leave out the events inside budget adjustments. The JSON, Markdown and
HTML outputs name both with the words below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exporter.domain.model import SLO
from exporter.report.build import ReportedAdjustment, rfc3339


def phase_json(slo: SLO) -> dict[str, Any] | None:
    """The phase the report's objective comes from (None: the SLO's own objective)."""
    phase = slo.phase
    if phase is None:
        return None
    return {"name": phase.name, "objective": phase.objective, "until": rfc3339(phase.until)}


def phase_text(slo: SLO) -> str:
    """``phase "baseline" until 2026-01-01T00:00:00Z``, or empty without a phase."""
    phase = slo.phase
    if phase is None:
        return ""
    name = f' "{phase.name}"' if phase.name else ""
    return f"phase{name} until {rfc3339(phase.until)}"


def adjustments_json(adjustments: Sequence[ReportedAdjustment]) -> list[dict[str, Any]]:
    """Each budget adjustment within the period: what, why, when, how long in all
    (the report's and the backtest's JSON)."""
    return [
        {
            "name": a.adjustment.name,
            "reason": a.adjustment.reason,
            "rrule": a.adjustment.recurrence or None,
            "spans": [{"start": rfc3339(s), "end": rfc3339(e)} for s, e in a.spans],
            "excluded_seconds": a.seconds,
        }
        for a in adjustments
    ]


def adjustment_text(a: ReportedAdjustment) -> str:
    """``db-migration (planned): 2026-11-20T10:00:00Z to 2026-11-20T12:00:00Z, 2 h left out``."""
    spans = a.spans
    when = f"{rfc3339(spans[0][0])} to {rfc3339(spans[0][1])}"
    if len(spans) > 1:
        when = f"{len(spans)} times ({a.adjustment.recurrence}), first {when}"
    return f"{a.adjustment.name} ({a.adjustment.reason}): {when}, {a.seconds / 3600:g} h left out"
