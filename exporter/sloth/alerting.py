"""Sloth's ``alerting`` to the native ``alerts`` and ``runbook_url``.

Sloth gives every SLO the SRE workbook's multiwindow, multi-burn-rate
alerts for a 30-day period, in two severities:

=========  ===========  ============  =========================
alert      long window  short window  share of the budget spent
=========  ===========  ============  =========================
page       1h           5m            2 % (burn rate 14.4)
page       6h           30m           5 % (burn rate 6)
ticket     1d           2h            10 % (burn rate 3)
ticket     3d           6h            10 % (burn rate 1)
=========  ===========  ============  =========================

These become native ``alerts`` with the same windows and budget shares.
``page_alert``/``ticket_alert`` ``disable: true`` leaves that severity out;
a ``severity`` label names the severity (``page``/``ticket`` otherwise).
The ``runbook``/``runbook_url`` annotation becomes the SLO's ``runbook_url``.
slo-exporter names its burn alert itself and labels it with ``slo``,
``service``, ``severity`` and the SLO's labels, so Sloth's alert ``name``,
other alert labels and annotations are refused, each with one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exporter.openslo import shape
from exporter.openslo.entries import Entry, leaf
from exporter.openslo.located import Located

FIELDS = ("name", "labels", "annotations", "page_alert", "ticket_alert")
ALERT_FIELDS = ("disable", "labels", "annotations")
CAMEL = {"page_alert": "pageAlert", "ticket_alert": "ticketAlert"}
RUNBOOK_KEYS = ("runbook", "runbook_url")
TIERS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "page_alert": (("1h", "5m", 2), ("6h", "30m", 5)),
    "ticket_alert": (("1d", "2h", 10), ("3d", "6h", 10)),
}
SEVERITIES = {"page_alert": "page", "ticket_alert": "ticket"}
_NAME = (
    "alert names are not configurable: slo-exporter's rules name the burn alert "
    "SLOErrorBudgetBurn and label it slo, service and severity; remove alerting.name and "
    "route on those labels"
)
_LABEL = (
    "alert labels other than severity are not supported yet: slo-exporter's alerts carry slo, "
    "service, severity and the SLO's labels; move the label to the SLO's labels or route on "
    "slo in Alertmanager"
)
_ANNOTATION = (
    "alert annotations are not supported yet: slo-exporter writes its own summary and "
    "description; only runbook or runbook_url is read (as the SLO's runbook_url)"
)


def field(node: Located, key: str, manifest: bool) -> Located:
    """``node[key]``, or its camelCase spelling when a manifest wrote that one."""
    camel = CAMEL.get(key)
    if manifest and camel is not None and node[camel].present:
        return node[camel]
    return node[key]


def fields(names: Sequence[str], manifest: bool) -> tuple[str, ...]:
    """The keys understood: with a manifest, the camelCase spellings too."""
    extra = [CAMEL[name] for name in names if manifest and name in CAMEL]
    return (*names, *extra)


def _runbook(annotations: Located, problems: shape.Problems) -> list[Entry]:
    entries: list[Entry] = []
    if not isinstance(annotations.value, dict):
        if annotations.present:
            problems.append(annotations.problem("expected a mapping of annotations"))
        return entries
    for key in annotations.value:
        child = annotations[key]
        if key in RUNBOOK_KEYS and not entries:
            url = shape.text(child, problems)
            if url is not None:
                entries.append(leaf(("runbook_url",), url.strip(), child))
        elif key in RUNBOOK_KEYS:
            problems.append(child.problem("give runbook or runbook_url, not both"))
        else:
            problems.append(annotations.problem(_ANNOTATION, line_of=child))
    return entries


def _severity(alert: Located, default: str, problems: shape.Problems) -> str | None:
    labels = alert["labels"]
    if not labels.present:
        return default
    if not isinstance(labels.value, dict):
        problems.append(labels.problem("expected a mapping of labels"))
        return None
    severity = default
    for key in labels.value:
        if key == "severity":
            severity = shape.text(labels[key], problems) or default
        else:
            problems.append(labels.problem(_LABEL, line_of=labels[key]))
    return severity


def _tier(alert: Located, key: str, problems: shape.Problems) -> list[dict[str, Any]]:
    if alert.present and not shape.mapping(alert, ALERT_FIELDS, problems):
        return []
    if shape.boolean(alert["disable"], problems):
        return []
    severity = _severity(alert, SEVERITIES[key], problems)
    if alert["annotations"].present and alert["annotations"].value:
        problems.append(alert["annotations"].problem(_ANNOTATION))
    if severity is None:
        return []
    return [
        {"severity": severity, "long_window": long, "short_window": short, "budget_percent": pct}
        for long, short, pct in TIERS[key]
    ]


def alerting(node: Located, manifest: bool, problems: shape.Problems) -> list[Entry] | None:
    """The native ``alerts`` (and ``runbook_url``) of one Sloth SLO; None on a problem."""
    before = len(problems)
    entries: list[Entry] = []
    rules: list[dict[str, Any]] = []
    if node.present and shape.mapping(node, fields(FIELDS, manifest), problems):
        if node["name"].present:
            problems.append(node["name"].problem(_NAME))
        if isinstance(node["labels"].value, dict) and node["labels"].value:
            problems.append(node["labels"].problem(_LABEL))
        entries.extend(_runbook(node["annotations"], problems))
    for key in ("page_alert", "ticket_alert"):
        rules.extend(_tier(field(node, key, manifest), key, problems))
    if len(problems) > before:
        return None
    return [*entries, leaf(("alerts",), rules, node)]
