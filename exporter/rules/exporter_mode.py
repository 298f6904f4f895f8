"""Exporter mode: alerting rules over the gauges slo-exporter serves.

The exporter computes burn rates and the multiwindow conditions itself
(``slo_alert_condition``); these rules only turn them into alerts, so an
alert fires exactly when the exporter says a condition of its severity
holds. Every expression aggregates ``by (slo)``: alerts carry no ``job`` or
``instance``, so two exporter replicas give one alert, not two. A grouped SLO's
expressions aggregate by its group labels too (``by (slo, route)``), so each group
alerts on its own, with its labels.

Groups, in this order: ``slo-exporter-alerts`` (per SLO, in config order:
one burn alert per severity, exhausted budget, missing data, failing
evaluation, stale evaluation) and ``slo-exporter-health`` (the exporter's
scrape target).

``slo_data_ok`` is 0 both for a period without traffic and for an evaluation
that failed; ``slo_status`` tells them apart (``no_data`` or ``unknown``), so
a quiet service and a failing backend raise different alerts. Either fires
only when no replica serving the SLO has current numbers.
"""

from __future__ import annotations

from exporter.domain.model import SLO, BurnRateRule
from exporter.rules import text
from exporter.rules.promql_text import duration, selector
from exporter.rules.rule import (
    DATA_MISSING_ALERT,
    EVALUATION_FAILING_ALERT,
    EXHAUSTED_ALERT,
    EXPORTER_DOWN_ALERT,
    STALE_ALERT,
    Group,
    Rule,
    alert,
    alert_labels,
    burn_alert_name,
    burn_annotations,
    burn_labels,
    by_severity,
    group,
)
from exporter.settings import AlertingSettings, Settings

ALERTS_GROUP = "slo-exporter-alerts"
HEALTH_GROUP = "slo-exporter-health"


def _keys(slo: SLO) -> str:
    """The labels an SLO's alert expressions keep: ``slo`` and any group labels."""
    return ", ".join(("slo", *(slo.grouping.labels if slo.grouping is not None else ())))


def _gauge(name: str, slo: SLO, job: str, **labels: str) -> str:
    return f"max by ({_keys(slo)}) ({selector(name, {'job': job, 'slo': slo.name, **labels})})"


def _burn_expr(slo: SLO, rules: list[BurnRateRule], job: str) -> str:
    """The long-window burn rate of the first rule whose exporter condition is 1."""
    branches = []
    for rule in rules:
        long_window = duration(rule.long_window)
        burn = _gauge("slo_burn_rate", slo, job, window=long_window)
        holds = _gauge(
            "slo_alert_condition",
            slo,
            job,
            severity=rule.severity,
            long_window=long_window,
            short_window=duration(rule.short_window),
        )
        branches.append(f"{burn}\n  and on ({_keys(slo)})\n{holds} == 1")
    return f"\n or on ({_keys(slo)})\n".join(branches)


def slo_rules(slo: SLO, alerting: AlertingSettings) -> list[Rule]:
    """Every alert of one SLO; with ``alerts: []`` only the data alerts."""
    job = alerting.exporter_job
    links = text.links(slo)
    rules = []
    for severity, burn_rules in by_severity(slo.alerts):
        label = alerting.severity(severity)
        rules.append(
            alert(
                burn_alert_name(slo),
                _burn_expr(slo, burn_rules, job),
                0,
                burn_labels(slo, label, burn_rules),
                burn_annotations(burn_rules, {**text.burn(slo, label, burn_rules), **links}),
            )
        )
    if slo.alerts:
        rules.append(
            alert(
                EXHAUSTED_ALERT,
                f"{_gauge('slo_error_budget_remaining_ratio', slo, job)} <= 0",
                alerting.exhausted_for,
                alert_labels(slo, alerting.severity(alerting.exhausted_severity)),
                {**text.exhausted(slo), **links},
            )
        )
    rules += _data_rules(slo, alerting)
    last = _gauge("slo_exporter_last_successful_evaluation_timestamp_seconds", slo, job)
    rules.append(
        alert(
            STALE_ALERT,
            f"time() - {last} > {alerting.stale_after}",
            0,
            alert_labels(slo, alerting.severity(alerting.exporter_severity)),
            {**text.stale(slo, alerting.stale_after), **links},
        )
    )
    return rules


def _data_rules(slo: SLO, alerting: AlertingSettings) -> list[Rule]:
    """No current numbers on any replica: the period had no traffic (or the SLO is not
    served at all), or every replica's latest evaluation failed."""
    job, wait, links = alerting.exporter_job, alerting.data_missing_for, text.links(slo)
    labels = alert_labels(slo, alerting.severity(alerting.data_missing_severity))
    data_ok = selector("slo_data_ok", {"job": job, "slo": slo.name})
    keys = _keys(slo)
    no_traffic = (
        f"{_gauge('slo_status', slo, job, status='no_data')} == 1\n unless on ({keys})\n"
        f"{_gauge('slo_data_ok', slo, job)} == 1\n or on ({keys})\n"
        f"max by ({keys}) (absent({data_ok}))"
    )
    unknown = selector("slo_status", {"job": job, "slo": slo.name, "status": "unknown"})
    failing = f"min by ({keys}) ({unknown}) == 1"
    return [
        alert(DATA_MISSING_ALERT, no_traffic, wait, labels,
              {**text.data_missing_exporter(slo, wait), **links}),
        alert(EVALUATION_FAILING_ALERT, failing, wait, labels,
              {**text.evaluation_failing(slo, wait), **links}),
    ]  # fmt: skip


def health_rules(alerting: AlertingSettings) -> list[Rule]:
    """The exporter's own scrape target: down, or gone from Prometheus altogether."""
    up = selector("up", {"job": alerting.exporter_job})
    return [
        alert(
            EXPORTER_DOWN_ALERT,
            f"{up} == 0 or absent({up})",
            alerting.exporter_down_for,
            {"severity": alerting.severity(alerting.exporter_severity)},
            text.exporter_down(alerting.exporter_job, alerting.exporter_down_for),
        )
    ]


def exporter_groups(settings: Settings) -> list[Group]:
    """The rule groups of exporter mode, in a fixed order."""
    rules = [rule for slo in settings.slos for rule in slo_rules(slo, settings.alerting)]
    return [group(ALERTS_GROUP, rules), group(HEALTH_GROUP, health_rules(settings.alerting))]
