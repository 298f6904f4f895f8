"""Alertmanager ``inhibit_rules``: one notification per incident, not one per burn tier.

While an SLO's more urgent burn alert fires, its less urgent alerts are
muted. A severity is more urgent than another when the fastest of its
conditions has the higher burn-rate factor: with the defaults ``page``
(14.4) mutes ``ticket`` (3). An SLO's pages are one alert whatever pair
of windows fires, so a faster page never notifies next to a slower one;
when an SLO gives fast and slow conditions different severities, the
faster one mutes the slower the same way.

Each rule reads: while the burn alert (``SLOErrorBudgetBurn``, or the SLO's
``alert_name``) with severity S fires for
an SLO, every alert of that SLO (same ``slo`` label, ``equal: [slo]``) with
severity T is inhibited. Alerts without an ``slo`` label (the exporter's
health) are never touched. When two SLOs rank the same severities the
other way round, each rule names its SLOs, so no SLO mutes its own pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from exporter.domain.model import SLO
from exporter.rules.rule import burn_alert_name
from exporter.settings import AlertingSettings


def urgency(slo: SLO, alerting: AlertingSettings) -> list[tuple[str, float]]:
    """The SLO's severity labels with their highest factor, most urgent first.

    The severities of the budget and data alerts that no burn alert has rank
    last (factor 0): any burn alert of the SLO mutes them.
    """
    highest: dict[str, float] = {}
    for rule in slo.alerts:
        label = alerting.severity(rule.severity)
        highest[label] = max(highest.get(label, 0.0), rule.factor)
    if highest:
        for name in (alerting.exhausted_severity, alerting.data_missing_severity):
            highest.setdefault(alerting.severity(name), 0.0)
    return sorted(highest.items(), key=lambda item: -item[1])


def _pairs(slo: SLO, alerting: AlertingSettings) -> list[tuple[str, str]]:
    ranked = urgency(slo, alerting)
    return [
        (source, target)
        for index, (source, factor) in enumerate(ranked)
        for target, lower in ranked[index + 1 :]
        if lower < factor
    ]


def _matcher(label: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{label}="{escaped}"'


def inhibit_rules(slos: Sequence[SLO], alerting: AlertingSettings) -> list[dict[str, Any]]:
    """The ``inhibit_rules`` entries for ``slos``, in a stable order."""
    users: dict[tuple[str, str, str], list[str]] = {}
    for slo in slos:
        for source, target in _pairs(slo, alerting):
            users.setdefault((burn_alert_name(slo), source, target), []).append(slo.name)
    ranked = {(source, target) for _, source, target in users}
    rules = []
    for (name, source, target), names in users.items():
        matchers = [_matcher("alertname", name), _matcher("severity", source)]
        if (target, source) in ranked:  # another SLO ranks them the other way round
            pattern = "|".join(re.escape(name) for name in names)
            escaped = pattern.replace("\\", "\\\\")
            matchers.append(f'slo=~"{escaped}"')
        rules.append(
            {
                "source_matchers": matchers,
                "target_matchers": [_matcher("severity", target)],
                "equal": ["slo"],
            }
        )
    return rules


def alertmanager_fragment(slos: Sequence[SLO], alerting: AlertingSettings) -> dict[str, Any]:
    """The part of an Alertmanager config to merge into its top level."""
    return {"inhibit_rules": inhibit_rules(slos, alerting)}
