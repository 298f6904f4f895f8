"""The config ``discover`` writes: YAML text with a comment on where each number came from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exporter.discover.shapes import ServiceShape
from exporter.domain.suggest import LATENCY_OBJECTIVE, SPARE, Suggestion, remaining

RULE = f"""\
# Objectives: for each SLI, the strictest tier whose objective the span above would have
# met with at least {SPARE:.0%} of its error budget left (best_effort when none would);
# a latency threshold is the smallest bucket bound under which enough requests finished
# for the tiers' {LATENCY_OBJECTIVE:g} % latency objective to keep {SPARE:.0%} of its budget."""


@dataclass
class Planned:
    """One service as it will be written: its shape and the suggestions made for it."""

    shape: ServiceShape
    availability: Suggestion | None = None
    latency: Suggestion | None = None
    threshold: float | None = None
    notes: list[str] = field(default_factory=list)
    parts: dict[str, list[float | None]] = field(default_factory=dict)
    """SLIs of the span's consecutive parts, oldest first: ``main`` and ``latency``."""

    def entry(self, tier: str) -> dict[str, Any]:
        """The ``services:`` entry (without the native histogram, which no template takes)."""
        s = self.shape
        out: dict[str, Any] = {"name": s.name, "template": s.template, "tier": tier}
        if s.requests is not None:
            out["requests"] = s.requests
            out["errors"] = s.errors
        if s.duration is not None and s.histogram == "classic" and self.threshold is not None:
            out["duration"] = s.duration
            out["latency_threshold"] = self.threshold
        if s.records is not None:
            out["records"] = {"processed": s.records[0], "expected": s.records[1]}
        return out

    def native_slo(self, tier: str) -> dict[str, Any] | None:
        """The latency SLO of a native histogram, written out (no template input takes one)."""
        s = self.shape
        if s.duration is None or s.histogram != "native" or self.threshold is None:
            return None
        latency = {"histogram": s.duration, "threshold": self.threshold, "native": True}
        return {"name": f"{s.name}-latency", "service": s.name, "tier": tier,
                "sli": {"latency": latency}}  # fmt: skip


def _scalar(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _yaml(value: Any, indent: int) -> list[str]:
    """Block YAML of a mapping of scalars and mappings (strings JSON-quoted)."""
    pad = " " * indent
    lines: list[str] = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_yaml(item, indent + 2))
        else:
            lines.append(f"{pad}{key}: {_scalar(item)}")
    return lines


def _item(mapping: dict[str, Any]) -> list[str]:
    lines = _yaml(mapping, 4)
    return ["  - " + lines[0].lstrip(), *lines[1:]]


def _figures(label: str, suggestion: Suggestion | None, unit: str) -> str:
    if suggestion is None:
        return f"  # {label}: no {unit} in the span, nothing to suggest from"
    verdict = "would have left" if suggestion.fits else "(no tier keeps half) would have left"
    return (
        f"  # {label}: achieved {suggestion.sli:.4%}; tier {suggestion.tier} "
        f"({suggestion.objective:g} %) {verdict} {suggestion.remaining_ratio:.0%} of its budget"
    )


def _parts(slis: Sequence[float | None] | None, objective: float, tier: str) -> list[str]:
    if not slis:
        return []
    shown = ", ".join("no events" if x is None else f"{x:.4%}" for x in slis)
    left = ", ".join("-" if x is None else f"{remaining(x, objective):.0%}" for x in slis)
    return [
        f"  #   by {len(slis)} equal parts of the span, oldest first: {shown}",
        f"  #   leaving of {tier}'s {objective:g} % budget: {left}",
    ]


def render(header: Sequence[str], planned: Sequence[Planned], unknown: Sequence[str]) -> str:
    """The whole config: ``header`` comment lines and the backend, then each service with
    its comments, then the unknown shapes as comments."""
    lines = [*header, RULE]
    lines.append("services:")
    natives: list[dict[str, Any]] = []
    for plan in planned:
        lines.extend(f"  # {note}" for note in plan.notes)
        tier = (plan.availability or plan.latency or _fallback()).tier
        if plan.shape.requests is not None or plan.shape.records is not None:
            lines.append(_figures("availability" if plan.shape.requests else "completeness",
                                  plan.availability, "events"))  # fmt: skip
            if plan.availability is not None:
                objective = plan.availability.objective
                lines.extend(_parts(plan.parts.get("main"), objective, tier))
        if plan.latency is not None and plan.threshold is not None:
            lines.append(
                f"  # latency under {plan.threshold:g} s: achieved {plan.latency.sli:.4%}; the "
                f"tiers' {LATENCY_OBJECTIVE:g} % would have left "
                f"{plan.latency.remaining_ratio:.0%} of its budget"
            )
            lines.extend(_parts(plan.parts.get("latency"), LATENCY_OBJECTIVE, tier))
        lines.extend(_item(plan.entry(tier)))
        native = plan.native_slo(tier)
        if native is not None:
            natives.append(native)
    if natives:
        lines.append("slos:")
        for slo in natives:
            lines.extend(_item(slo))
    if unknown:
        lines.append("# Found but not used (no known shape, not guessed):")
        lines.extend(f"#   {line}" for line in unknown)
    return "\n".join(lines) + "\n"


def _fallback() -> Suggestion:
    return Suggestion("best_effort", 99.0, 0.0, 0.0, False)
