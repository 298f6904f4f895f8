"""Sloth's ``alerting`` to the native ``alerts`` and ``alert_name``.

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
``alerting.name`` becomes the SLO's ``alert_name``; ``alerting.labels`` and
``annotations``, with each alert's own on top, become every native alert's
``labels`` and ``annotations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exporter.openslo import shape
from exporter.openslo.entries import Entry, leaf, mark, nest
from exporter.openslo.located import Located
from exporter.yaml_lines import describe

FIELDS = ("name", "labels", "annotations", "page_alert", "ticket_alert")
ALERT_FIELDS = ("disable", "labels", "annotations")
CAMEL = {"page_alert": "pageAlert", "ticket_alert": "ticketAlert"}
TIERS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "page_alert": (("1h", "5m", 2), ("6h", "30m", 5)),
    "ticket_alert": (("1d", "2h", 10), ("3d", "6h", 10)),
}
SEVERITIES = {"page_alert": "page", "ticket_alert": "ticket"}
Texts = dict[str, tuple[str, Located]]
"""Labels or annotations: each name's value and where it was written."""
Common = tuple[Texts, Texts]
"""The labels and annotations ``alerting`` gives both severities."""


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


def texts(node: Located, problems: shape.Problems) -> Texts:
    """A mapping of text values (labels, annotations); problems for anything else."""
    if not node.present:
        return {}
    if not isinstance(node.value, dict):
        problems.append(node.problem(f"expected a mapping, got {describe(node.value)}"))
        return {}
    found: Texts = {}
    for key, value in node.value.items():
        if isinstance(key, str) and isinstance(value, str):
            found[key] = (value, node[key])
        else:
            hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
            problems.append(node[key].problem(f"expected text, got {describe(value)}{hint}"))
    return found


def _extra(rule: dict[str, Any], key: str, found: Texts) -> list[Entry]:
    """``found`` as ``rule[key]`` (a copy each: YAML output without anchors), with origins."""
    if not found:
        return []
    rule[key] = {name: value for name, (value, _) in found.items()}
    return [mark((key, name), at) for name, (_, at) in found.items()]


def _tier(
    alert: Located, key: str, common: Common, problems: shape.Problems
) -> list[tuple[dict[str, Any], list[Entry]]]:
    """The native rules of one Sloth alert, each with the origins of its labels."""
    if alert.present and not shape.mapping(alert, ALERT_FIELDS, problems):
        return []
    if shape.boolean(alert["disable"], problems):
        return []
    labels = {**common[0], **texts(alert["labels"], problems)}
    annotations = {**common[1], **texts(alert["annotations"], problems)}
    severity = labels.pop("severity", (SEVERITIES[key], alert))[0]
    rules: list[tuple[dict[str, Any], list[Entry]]] = []
    for long, short, pct in TIERS[key]:
        rule: dict[str, Any] = {"severity": severity, "long_window": long, "short_window": short}
        rule["budget_percent"] = pct
        marks = _extra(rule, "labels", labels) + _extra(rule, "annotations", annotations)
        rules.append((rule, marks))
    return rules


def alerting(node: Located, manifest: bool, problems: shape.Problems) -> list[Entry] | None:
    """The native ``alert_name`` and ``alerts`` of one Sloth SLO; None on a problem."""
    before = len(problems)
    entries: list[Entry] = []
    common: Common = ({}, {})
    if node.present and shape.mapping(node, fields(FIELDS, manifest), problems):
        name = shape.text(node["name"], problems, required=False)
        if name is not None:
            entries.append(leaf(("alert_name",), name.strip(), node["name"]))
        common = (texts(node["labels"], problems), texts(node["annotations"], problems))
    rules: list[tuple[dict[str, Any], list[Entry]]] = []
    for key in ("page_alert", "ticket_alert"):
        rules.extend(_tier(field(node, key, manifest), key, common, problems))
    if len(problems) > before:
        return None
    entries.append(leaf(("alerts",), [rule for rule, _ in rules], node))
    for index, (_, marks) in enumerate(rules):
        entries.extend(nest(("alerts", index), marks))
    return entries
