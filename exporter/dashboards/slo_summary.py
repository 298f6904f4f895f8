"""The description of a dashboard made for one SLO: what it promises and what it is made of.

Its objective is stated as the config gives it: for progressive objectives every
phase with its end, since the objective in force changes over time (the panels
read it from ``slo_objective_ratio``); for a composite its components and how
they combine; for a grouped SLO the labels it is grouped by.
"""

from __future__ import annotations

from datetime import UTC, datetime

from exporter.domain.composite import CompositeMethod
from exporter.domain.model import SLO, CompositeSLI


def summary(slo: SLO) -> str:
    """One paragraph: name, service, objective(s), shape, and the SLO's own description."""
    parts = [f"{slo.name} ({slo.service}): {_objective(slo)}.", _shape(slo), slo.description]
    return " ".join(part for part in parts if part)


def _percent(objective: float) -> str:
    return f"{objective:g} %"


def _objective(slo: SLO) -> str:
    if not slo.phases:
        return f"objective {_percent(slo.objective)}"
    steps = [
        f"{_percent(phase.objective)} until {_timestamp(phase.until)}"
        + (f" ({phase.name})" if phase.name else "")
        for phase in slo.phases
    ]
    return (
        f"objective {', '.join(steps)}, then {_percent(slo.objective)}; the panels show "
        "the objective in force at each time"
    )


def _timestamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _shape(slo: SLO) -> str:
    if slo.grouping is not None:
        labels = ", ".join(slo.grouping.labels)
        noun = "variable" if len(slo.grouping.labels) == 1 else "variables"
        return f"One SLO per {labels} (group_by): pick groups with the {labels} {noun}."
    if isinstance(slo.sli, CompositeSLI):
        names = ", ".join(component.slo for component in slo.sli.components)
        if slo.sli.method is CompositeMethod.WEIGHTED:
            weights = ", ".join(f"{c.slo} × {c.weight:g}" for c in slo.sli.components)
            return (
                f"Composite of {weights}, their SLIs averaged by weight: its events are "
                "weights, not requests."
            )
        return f"Composite of {names}: their good and total events added."
    return ""
