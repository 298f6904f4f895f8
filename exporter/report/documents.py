"""A :class:`~exporter.report.build.Report` as the JSON contract and as Markdown.

The JSON keys are a contract scripts rely on (README, "slo-exporter
report"): new keys may be added, none renamed or removed. Ratios are
floats, times RFC 3339 UTC, no NaN or infinity (a figure without data is null).
"""

from __future__ import annotations

import json
from typing import Any

from exporter.domain.decision import Decision
from exporter.domain.durations import format_duration
from exporter.domain.report import Incident, PeriodFigures
from exporter.report.build import Report, SLOReport, rfc3339
from exporter.report.notes import adjustment_text, adjustments_json, phase_json, phase_text

JSON = dict[str, Any]


def _incident(incident: Incident) -> JSON:
    return {
        "start": rfc3339(incident.start),
        "end": rfc3339(incident.end),
        "peak_burn_rate": incident.peak_burn_rate,
        "bad_events": incident.bad_events,
        "budget_consumed_ratio": incident.budget_consumed_ratio,
    }


def _budget(f: PeriodFigures) -> JSON:
    return {
        "consumed_ratio": f.consumed_ratio,
        "remaining_ratio": f.remaining_ratio,
        "remaining_events": f.remaining_events,
        "remaining_seconds": f.remaining_seconds,
    }


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _slo(r: SLOReport) -> JSON:
    slo = r.compiled.slo
    out: JSON = {
        "name": slo.name,
        "service": slo.service,
        "objective": slo.objective,
        "phase": phase_json(slo),
        "sli": r.current.sli,
        "met": r.current.met,
        "events": {"good": r.current.events.good, "total": r.current.events.total},
        "budget": _budget(r.current),
        "incidents": [_incident(i) for i in r.incidents],
        "daily": [
            {"date": d.date, "sli": d.sli, "budget_remaining_ratio": d.budget_remaining_ratio}
            for d in r.days
        ],
        "previous": {
            "sli": r.previous.sli,
            "met": r.previous.met,
            "events": {"good": r.previous.events.good, "total": r.previous.events.total},
            "budget": _budget(r.previous),
        },
        "change": {
            "sli": _change(r.current.sli, r.previous.sli),
            "consumed_ratio": _change(r.current.consumed_ratio, r.previous.consumed_ratio),
        },
        "recommendations": [{"rule": x.rule, "text": x.text} for x in r.recommendations],
        "alerting_window": format_duration(r.series.step),
        "source": r.series.source,
        "budget_adjustments": adjustments_json(r.adjustments),
    }
    if r.data_from is not None:
        out["data_from"] = rfc3339(r.data_from)
    return out


def to_document(report: Report) -> JSON:
    """The report as the JSON contract's dict."""
    return {
        "from": rfc3339(report.start),
        "to": rfc3339(report.end),
        "slos": [_slo(r) for r in report.slos],
        "services": [
            {
                "service": s.service,
                "status": s.status.value,
                "budget_remaining_ratio": s.budget_remaining_ratio,
                "key_issues": [
                    {"slo": name, **_incident(incident)} for name, incident in s.key_issues
                ],
                "decision": {
                    "risk": s.decision.risk.value,
                    "decision": s.decision.decision.value,
                    "slo": s.decision.driver.name if s.decision.driver else None,
                    "rationale": s.decision.rationale,
                },
            }
            for s in report.services
        ],
    }


def to_json(report: Report) -> str:
    """The JSON text (never NaN: ``allow_nan=False`` would raise first)."""
    return json.dumps(to_document(report), indent=2, allow_nan=False) + "\n"


def pct(ratio: float | None, digits: int = 2) -> str:
    """A ratio as a percentage, or an em dash without data."""
    return "—" if ratio is None else f"{ratio * 100:.{digits}f} %"


def _sli(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.4f} %"


def _met(met: bool | None) -> str:
    return "no data" if met is None else ("met" if met else "missed")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _slo_markdown(r: SLOReport) -> list[str]:
    slo, cur, prev = r.compiled.slo, r.current, r.previous
    seconds = cur.remaining_seconds
    lines = [
        f"## {_cell(slo.name)} ({_cell(slo.service)})",
        "",
        "| | this period | previous period |",
        "|---|---|---|",
        f"| objective | {slo.objective:g} % {phase_text(slo)} | {slo.objective:g} % |",
        f"| SLI | {_sli(cur.sli)} | {_sli(prev.sli)} |",
        f"| result | {_met(cur.met)} | {_met(prev.met)} |",
        f"| budget consumed | {pct(cur.consumed_ratio)} | {pct(prev.consumed_ratio)} |",
        f"| budget remaining | {pct(cur.remaining_ratio)} | {pct(prev.remaining_ratio)} |",
        f"| events (good / total) | {cur.events.good:.0f} / {cur.events.total:.0f} "
        f"| {prev.events.good:.0f} / {prev.events.total:.0f} |",
        "",
    ]
    if seconds is not None and cur.remaining_events is not None:
        lines += [
            f"Remaining budget: {cur.remaining_events:.0f} events, {seconds:.0f} s of full outage.",
            "",
        ]
    if r.data_from is not None:
        lines += [f"Data from {rfc3339(r.data_from)} only (added during the period).", ""]
    if r.adjustments:
        lines += ["**Budget adjustments** (their events are left out):", ""]
        lines += [f"- {_cell(adjustment_text(a))}" for a in r.adjustments]
        lines.append("")
    lines += _incidents_markdown(r) + _daily_markdown(r)
    if r.recommendations:
        lines += ["**Recommendations**", ""]
        lines += [f"- `{x.rule}`: {_cell(x.text)}" for x in r.recommendations]
        lines.append("")
    return lines


def _incidents_markdown(r: SLOReport) -> list[str]:
    window = format_duration(r.series.step)
    if not r.incidents:
        return [f"No incidents (burn rate over {window} above 1).", ""]
    lines = [
        f"**Incidents** (burn rate over {window} above 1), by budget consumed:",
        "",
        "| start | end | peak burn | bad events | budget consumed |",
        "|---|---|---|---|---|",
    ]
    for i in r.incidents:
        lines.append(
            f"| {rfc3339(i.start)} | {rfc3339(i.end)} | {i.peak_burn_rate:.1f} "
            f"| {i.bad_events:.0f} | {pct(i.budget_consumed_ratio)} |"
        )
    return [*lines, ""]


def _daily_markdown(r: SLOReport) -> list[str]:
    lines = ["| day | SLI | budget remaining |", "|---|---|---|"]
    lines += [f"| {d.date} | {_sli(d.sli)} | {pct(d.budget_remaining_ratio)} |" for d in r.days]
    return [*lines, ""]


def _decision(decision: Decision) -> str:
    """``block medium-risk releases: <rationale>``."""
    return f"{decision.decision.value} {decision.risk.value}-risk releases: {decision.rationale}"


def to_markdown(report: Report) -> str:
    """The same content with tables: the services' review blocks, then each SLO."""
    lines = [
        f"# SLO report {rfc3339(report.start)} to {rfc3339(report.end)}",
        "",
        "## Weekly review",
        "",
    ]
    for s in report.services:
        lines += [
            f"### Service: {_cell(s.service)}",
            f"- **SLO Status**: {s.status.value.capitalize()}",
            f"- **Error Budget**: {pct(s.budget_remaining_ratio, 1)} remaining (lowest SLO)",
        ]
        issues = [
            f"{_cell(name)} {rfc3339(i.start)}–{rfc3339(i.end)} ({pct(i.budget_consumed_ratio, 1)})"
            for name, i in s.key_issues
        ]
        lines += [
            f"- **Key Issues**: {'; '.join(issues) if issues else 'none'}",
            f"- **Decisions**: {_decision(s.decision)}",
            "",
        ]
    for r in report.slos:
        lines += _slo_markdown(r)
    return "\n".join(lines)
