"""The release gate's answer: JSON for scripts (``decide``, the daemon's API), text for people.

The same JSON comes from ``slo-exporter decide --format json`` and from
``GET /api/v1/decision``; the README's Commands section documents it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from exporter.domain.decision import UNKNOWN, Decision, Standing, Verdict
from exporter.domain.durations import format_duration
from exporter.domain.evaluate import SLOResult
from exporter.domain.model import SLO
from exporter.domain.recovery import Recovery, format_wait
from exporter.eval_output import rfc3339

EXIT_CODES = {Verdict.APPROVE: 0, Verdict.REVIEW: 10, Verdict.DEFER: 11, Verdict.BLOCK: 12}
"""``decide``'s exit code per verdict, for CI pipelines."""


def standing(slo: SLO, result: SLOResult | None, failure: str = "") -> Standing:
    """How the gate sees one SLO: its last result, or unknown with ``failure`` saying why."""
    window = format_duration(slo.status.window)
    if result is None or failure:
        return Standing(slo.name, UNKNOWN, burn_window=window, failure=failure or "not evaluated")
    burn = result.windows.get(slo.status.window)
    return Standing(
        slo.name,
        result.status.value,
        remaining_ratio=_finite(result.remaining_ratio),
        burn_rate=None if burn is None else _finite(burn.burn_rate),
        burn_window=window,
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def with_recovery(decision: Decision, recovery: Recovery | None) -> tuple[str, ...]:
    """The decision's alternatives, the wait for the budget to recover first when known."""
    if recovery is None or decision.driver is None:
        return decision.alternatives
    if recovery.seconds is None:
        wait = (
            f"{decision.driver.name}'s budget does not recover within its period "
            f"({recovery.assumption}): fix the burn first"
        )
    else:
        wait = (
            f"wait {format_wait(recovery.seconds)} until {decision.driver.name}'s budget "
            f"recovers ({recovery.assumption})"
        )
    return (wait, *decision.alternatives)


def _slo_entry(item: Standing, decision: Decision) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "slo": item.name,
        "status": item.status,
        "decision": decision.verdicts[item.name].value,
        "budget_remaining_ratio": item.remaining_ratio,
        "burn_rate": item.burn_rate,
        "burn_window": item.burn_window,
    }
    if item.failure:
        entry["error"] = item.failure
    return entry


def decision_json(
    service: str,
    at: float,
    decision: Decision,
    standings: Sequence[Standing],
    recovery: Recovery | None = None,
) -> dict[str, Any]:
    """The JSON document of one decision."""
    driver = decision.driver
    return {
        "service": service,
        "risk": decision.risk.value,
        "evaluated_at": rfc3339(at),
        "decision": decision.decision.value,
        "exit_code": EXIT_CODES[decision.decision],
        "driver": None if driver is None else _slo_entry(driver, decision),
        "rationale": decision.rationale,
        "rule": decision.rule,
        "conditions": list(decision.conditions),
        "alternatives": list(with_recovery(decision, recovery)),
        "recovery": None
        if recovery is None
        else {
            "wait_seconds": recovery.seconds,
            "resolution_seconds": recovery.resolution,
            "assumption": recovery.assumption,
        },
        "slos": [_slo_entry(item, decision) for item in standings],
    }


def decision_text(document: dict[str, Any]) -> str:
    """The JSON document as a few lines for people."""
    lines = [
        f"{document['decision'].upper()}: {document['risk']}-risk release of "
        f"{document['service']} at {document['evaluated_at']}",
        f"  {document['rationale']}",
    ]
    for title in ("conditions", "alternatives"):
        if document[title]:
            lines.append(f"  {title}:")
            lines.extend(f"    - {text}" for text in document[title])
    lines.append("  SLOs:")
    for entry in document["slos"]:
        left = entry["budget_remaining_ratio"]
        shown = "-" if left is None else f"{left * 100:.1f} % left"
        lines.append(f"    {entry['slo']}: {entry['status']}, {shown} -> {entry['decision']}")
    return "\n".join(lines)
