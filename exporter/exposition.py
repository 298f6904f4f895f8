"""The ``slo_*`` series: one SLO result (or its absence) as Prometheus samples.

Rendered once per evaluation cycle and served from memory, so a scrape does
no computation. Ratios of windows without traffic are left out rather than
exposed as NaN; ``slo_data_ok`` says whether the SLO's numbers are current.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from exporter.domain.durations import format_duration
from exporter.domain.evaluate import SLOResult
from exporter.domain.model import SLO, BurnRateRule, Status

_FAMILIES: dict[str, str] = {
    "slo_objective_ratio": "Objective of the SLO as a ratio of good events (0.999 for 99.9 %).",
    "slo_period_seconds": "Length of the SLO's period (the current one for a calendar period).",
    "slo_period_start_timestamp_seconds": "Start of the period the budget counts over.",
    "slo_period_elapsed_ratio": "Share of the calendar period gone by (calendar periods only).",
    "slo_error_budget_ideal_remaining_ratio": (
        "Budget that would remain now on an even burn: 1 - elapsed (calendar periods only)."
    ),
    "slo_sli_ratio": "Good / total events over the window; absent without traffic.",
    "slo_events_good": "Good events counted in the window ending at the evaluation time.",
    "slo_events_total": "All events counted in the window ending at the evaluation time.",
    "slo_burn_rate": "(1 - SLI) / (1 - objective) over the window; absent without traffic.",
    "slo_error_budget_consumed_ratio": "Share of the period's error budget spent.",
    "slo_error_budget_remaining_ratio": "1 - consumed; negative once the budget is overspent.",
    "slo_error_budget_remaining_events": "Bad events still allowed in the period.",
    "slo_error_budget_remaining_seconds": "Remaining budget as seconds of full outage.",
    "slo_error_budget_exhaustion_seconds": (
        "Time until the budget is spent at the status window's burn rate; absent when not burning."
    ),
    "slo_status": "1 for the SLO's current status, 0 for the others.",
    "slo_alert_condition": "1 while the multiwindow burn-rate condition holds.",
    "slo_alert_burn_rate_threshold": "Burn rate both windows must exceed for the condition.",
    "slo_data_ok": "1 when the last evaluation succeeded and the period had traffic.",
    "slo_evaluation_timestamp_seconds": "Evaluation time T the SLO's numbers describe.",
}


@dataclass(frozen=True)
class Served:
    """What to expose for one SLO: its latest result, and whether that result is current.

    ``result`` is None until the SLO has been evaluated successfully once;
    ``fresh`` is False when the latest attempt failed and ``result`` is older.
    """

    slo: SLO
    result: SLOResult | None
    fresh: bool


def _base_labels(slo: SLO) -> dict[str, str]:
    return {**slo.labels, "slo": slo.name, "service": slo.service}


def _rule_labels(base: dict[str, str], rule: BurnRateRule) -> dict[str, str]:
    return {
        **base,
        "severity": rule.severity,
        "long_window": format_duration(rule.long_window),
        "short_window": format_duration(rule.short_window),
    }


def _samples(entry: Served) -> Iterator[tuple[str, dict[str, str], float]]:
    slo, result = entry.slo, entry.result
    base = _base_labels(slo)
    yield "slo_objective_ratio", base, slo.objective / 100.0
    if slo.calendar is None:
        yield "slo_period_seconds", base, float(slo.period)
    elif result is not None:
        yield "slo_period_seconds", base, result.bounds.length
    for rule in slo.alerts:
        yield "slo_alert_burn_rate_threshold", _rule_labels(base, rule), rule.factor
    data_ok = entry.fresh and result is not None and result.data_ok
    yield "slo_data_ok", base, 1.0 if data_ok else 0.0
    if result is None:
        return
    yield "slo_evaluation_timestamp_seconds", base, result.evaluated_at
    yield "slo_period_start_timestamp_seconds", base, result.bounds.start
    if slo.calendar is not None:
        yield "slo_period_elapsed_ratio", base, result.elapsed_ratio
        yield "slo_error_budget_ideal_remaining_ratio", base, 1.0 - result.elapsed_ratio
    for label, wr in result.labelled_windows():
        labels = {**base, "window": label}
        yield "slo_events_good", labels, wr.events.good
        yield "slo_events_total", labels, wr.events.total
        if wr.sli is not None:
            yield "slo_sli_ratio", labels, wr.sli
        if wr.burn_rate is not None:
            yield "slo_burn_rate", labels, wr.burn_rate
    budget_fields = (
        ("slo_error_budget_consumed_ratio", result.consumed_ratio),
        ("slo_error_budget_remaining_ratio", result.remaining_ratio),
        ("slo_error_budget_remaining_events", result.remaining_events),
        ("slo_error_budget_remaining_seconds", result.remaining_seconds),
        ("slo_error_budget_exhaustion_seconds", result.exhaustion_seconds),
    )
    for name, value in budget_fields:
        if value is not None and math.isfinite(value):
            yield name, base, value
    for status in Status:
        yield "slo_status", {**base, "status": status.value}, float(status is result.status)
    for condition in result.alerts:
        labels = _rule_labels(base, condition.rule)
        yield "slo_alert_condition", labels, float(condition.firing)


class _SnapshotCollector(Collector):
    def __init__(self, entries: Iterable[Served]) -> None:
        self._entries = list(entries)

    def collect(self) -> Iterator[Metric]:
        families = {name: Metric(name, doc, "gauge") for name, doc in _FAMILIES.items()}
        for entry in self._entries:
            for name, labels, value in _samples(entry):
                if math.isfinite(value):  # belt and braces: NaN/Inf never leave the process
                    families[name].add_sample(name, labels, value)
        yield from families.values()


def render(entries: Iterable[Served]) -> bytes:
    """The text exposition (format 0.0.4) of every SLO's series."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(entries))
    return generate_latest(registry)


def family_names() -> Mapping[str, str]:
    """Every ``slo_*`` family with its help text (for docs and tests)."""
    return dict(_FAMILIES)
