"""Rule and group dicts in the shape Prometheus' rule files (and PrometheusRule) expect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from exporter.domain.model import SLO, BurnRateRule
from exporter.rules.promql_text import duration
from exporter.rules.text import escape

Rule = dict[str, Any]
Group = dict[str, Any]

BURN_ALERT = "SLOErrorBudgetBurn"
EXHAUSTED_ALERT = "SLOErrorBudgetExhausted"
DATA_MISSING_ALERT = "SLODataMissing"
EVALUATION_FAILING_ALERT = "SLOEvaluationFailing"
STALE_ALERT = "SLOEvaluationStale"
EXPORTER_DOWN_ALERT = "SLOExporterDown"


def record(name: str, expr: str, labels: Mapping[str, str]) -> Rule:
    """A recording rule."""
    return {"record": name, "expr": expr, "labels": dict(labels)}


def alert(
    name: str, expr: str, wait: int, labels: Mapping[str, str], annotations: Mapping[str, str]
) -> Rule:
    """An alerting rule; ``wait`` seconds become ``for:`` (none when 0).

    Label values are templates too in Prometheus, so they are escaped.
    """
    rule: Rule = {"alert": name, "expr": expr}
    if wait:
        rule["for"] = duration(wait)
    rule["labels"] = {key: escape(value) for key, value in labels.items()}
    rule["annotations"] = dict(annotations)
    return rule


def group(name: str, rules: Sequence[Rule], interval: int | None = None) -> Group:
    """A rule group; without ``interval`` it runs at Prometheus' evaluation_interval."""
    out: Group = {"name": name}
    if interval is not None:
        out["interval"] = duration(interval)
    out["rules"] = list(rules)
    return out


def slo_labels(slo: SLO) -> dict[str, str]:
    """``slo``, ``service`` and the SLO's own labels: what identifies its series."""
    return {"slo": slo.name, "service": slo.service, **slo.labels}


def alert_labels(slo: SLO, severity: str) -> dict[str, str]:
    """An SLO alert's labels: ``slo``, ``service``, ``severity``, then the SLO's labels."""
    return {"slo": slo.name, "service": slo.service, "severity": severity, **slo.labels}


def burn_alert_name(slo: SLO) -> str:
    """The name of the SLO's burn alerts: its ``alert_name``, else ``SLOErrorBudgetBurn``."""
    return slo.alert_name or BURN_ALERT


def burn_labels(slo: SLO, severity: str, rules: Sequence[BurnRateRule]) -> dict[str, str]:
    """A burn alert's labels: :func:`alert_labels`, then (winning over the SLO's own labels;
    ``slo``, ``service`` and ``severity`` are reserved) the extra labels of its rules."""
    extra = {name: value for rule in rules for name, value in rule.labels}
    return {**alert_labels(slo, severity), **extra}


def burn_annotations(rules: Sequence[BurnRateRule], written: Mapping[str, str]) -> dict[str, str]:
    """The annotations slo-exporter writes, then (winning) those the rules give."""
    return {**written, **{name: value for rule in rules for name, value in rule.annotations}}


def by_severity(rules: Sequence[BurnRateRule]) -> list[tuple[str, list[BurnRateRule]]]:
    """The rules grouped by severity, severities in order of first appearance."""
    grouped: dict[str, list[BurnRateRule]] = {}
    for rule in rules:
        grouped.setdefault(rule.severity, []).append(rule)
    return list(grouped.items())
