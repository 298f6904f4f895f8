"""What a report says about an SLO's objective phase (progressive objectives).

A phased SLO is reported with the objective in force at the period's end;
the JSON, Markdown and HTML outputs name that phase with the words below.
"""

from __future__ import annotations

from typing import Any

from exporter.domain.model import SLO
from exporter.report.build import rfc3339


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
