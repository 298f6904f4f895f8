"""What ``slo-exporter eval`` prints: JSON for scripts, an aligned table for people."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from exporter.domain.durations import format_duration
from exporter.domain.evaluate import SLOResult
from exporter.domain.model import SLO, Status
from exporter.domain.phases import Phase
from exporter.domain.status import reported_status
from exporter.pipeline.cycle import EvaluationRun, listed


def rfc3339(ts: float) -> str:
    """Unix seconds as an RFC 3339 UTC timestamp (``2026-11-27T13:00:00Z``)."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def phase_json(phase: Phase) -> dict[str, Any]:
    """A phase of a progressive objective: its name, objective and end."""
    return {"name": phase.name, "objective": phase.objective, "until": rfc3339(phase.until)}


def _identity(slo: SLO, at: float) -> dict[str, Any]:
    """Name, service, labels (a group's too), the objective in force at ``at`` and its
    phase (for a phased SLO) and the period."""
    phased = bool(slo.phases)
    slo = slo.in_force(at)
    entry: dict[str, Any] = {
        "name": slo.name,
        "service": slo.service,
        "labels": dict(slo.labels),
        **({"group_of": slo.group_of, "group": dict(slo.group)} if slo.group_of else {}),
        "objective": slo.objective,
        "period": format_duration(slo.period) if slo.calendar is None else slo.calendar.unit.value,
    }
    if phased:
        entry["phase"] = None if slo.phase is None else phase_json(slo.phase)
    return entry


def slo_json(slo: SLO, run: EvaluationRun) -> dict[str, Any]:
    """One SLO's entry; ratios are null where there was no traffic. An SLO whose
    evaluation failed has status ``unknown`` and its ``error``. A group of a grouped SLO
    names that SLO (``group_of``) and its label values (``group``). The objective is the
    one in force at T; a phased SLO also gives the phase (null after the last)."""
    entry = _identity(slo, run.at)
    slo = slo.in_force(run.at)
    result = run.results.get(slo.name)
    if result is None:
        error = run.failures.get(slo.name)
        entry.update(
            sli=None,
            error_budget_remaining_ratio=None,
            error_budget_consumed_ratio=None,
            burn_rates={},
            status=reported_status(None).value,
            alerts=[],
            data_ok=False,
            error=str(error) if error else "not evaluated",
        )
        return entry
    entry.update(
        sli=result.period.sli,
        error_budget_remaining_ratio=result.remaining_ratio,
        error_budget_consumed_ratio=result.consumed_ratio,
        error_budget_remaining_events=result.remaining_events,
        error_budget_remaining_seconds=result.remaining_seconds,
        error_budget_exhaustion_seconds=_finite(result.exhaustion_seconds),
        burn_rates={label: r.burn_rate for label, r in result.labelled_windows()},
        events={
            label: {"good": r.events.good, "total": r.events.total}
            for label, r in result.labelled_windows()
        },
        period_start=rfc3339(result.bounds.start),
        period_elapsed_ratio=result.elapsed_ratio,
        status=result.status.value,
        alerts=[
            {
                "severity": a.rule.severity,
                "long_window": format_duration(a.rule.long_window),
                "short_window": format_duration(a.rule.short_window),
                "burn_rate_threshold": a.rule.factor,
                "firing": a.firing,
            }
            for a in result.alerts
        ],
        data_ok=result.data_ok,
    )
    if slo.adjustments:
        entry["budget_adjustments"] = adjustments_json(result)
    return entry


def adjustments_json(result: SLOResult) -> dict[str, Any]:
    """The budget adjustments in force at T and the seconds of the period they take out."""
    return {
        "active": list(result.adjustments.active),
        "excluded_seconds": result.adjustments.excluded_seconds,
    }


def to_json(slos: tuple[SLO, ...], run: EvaluationRun) -> str:
    """The documented JSON document for one evaluation (a grouped SLO as its groups)."""
    document = {
        "evaluated_at": rfc3339(run.at),
        "slos": [slo_json(slo, run) for slo in listed(slos, run)],
    }
    return json.dumps(document, indent=2, allow_nan=False)


_COLOURS = {
    Status.HEALTHY: "32",
    Status.ATTENTION: "36",
    Status.WARNING: "33",
    Status.CRITICAL: "31",
    Status.EXHAUSTED: "1;31",
    Status.NO_DATA: "90",
    Status.UNKNOWN: "35",
}


def _percent(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _burn(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def to_table(slos: tuple[SLO, ...], run: EvaluationRun, colour: bool = False) -> str:
    """An aligned table: one row per SLO (per group of a grouped one), burn rates for the
    common windows."""
    slos = listed(slos, run)
    windows = sorted(
        {w for slo in slos for w in slo.windows if slo.calendar is not None or w < slo.period}
    )
    header = ["SLO", "SERVICE", "OBJECTIVE", "PERIOD", "SLI", "BUDGET LEFT"]
    header += [f"BURN {format_duration(w)}" for w in windows] + ["ALERTS", "STATUS"]
    rows: list[list[str]] = []
    statuses: list[Status] = []
    for slo in slos:
        result = run.results.get(slo.name)
        period = format_duration(slo.period) if slo.calendar is None else slo.calendar.unit.value
        objective = slo.in_force(run.at).objective
        row = [slo.name, slo.service, f"{objective:g}%", period]
        if result is None:
            status = reported_status(None)
            row += ["-", "-"] + ["-" for _ in windows] + ["query failed", status.value]
            statuses.append(status)
        else:
            row += [_percent(result.period.sli), _percent(result.remaining_ratio, 1)]
            row += [
                _burn(result.windows[w].burn_rate) if w in result.windows else "" for w in windows
            ]
            firing = sorted({a.rule.severity for a in result.alerts if a.firing})
            row += [",".join(firing) or "-", result.status.value]
            statuses.append(result.status)
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header)]
    for row, status in zip(rows, statuses, strict=True):
        text = line(row)
        if colour:
            text = text[: -len(status.value)] + f"\033[{_COLOURS[status]}m{status.value}\033[0m"
        out.append(text)
    out.append(f"evaluated at {rfc3339(run.at)}")
    return "\n".join(out)
