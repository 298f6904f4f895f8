"""Alert policies and conditions to the SLO's native ``alerts`` (multiwindow burn-rate rules).

An ``AlertCondition`` ``{kind: burnrate, op: gt|gte, threshold: X,
lookbackWindow: L, alertAfter: S}`` with ``severity`` becomes
``{severity, long_window: L, short_window: S, burn_rate: X}``; without
``alertAfter`` the short window is L/12 rounded to whole minutes (at least
1m), the SRE workbook's ratio. ``gte`` is read as ``gt``: the two differ only
at the single value where the burn rate equals the threshold exactly.

An SLO with ``alertPolicies`` gets exactly the rules of their conditions;
without (or with an empty list) it keeps the configured defaults. Delivering
notifications (``notificationTargets``, ``AlertNotificationTarget``,
``alertWhenResolved``) is Alertmanager's job and is refused, not ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.openslo import shape
from exporter.openslo.catalog import Catalog
from exporter.openslo.entries import Entry, leaf, mark, nest
from exporter.openslo.located import Located, owner_label
from exporter.openslo.shorthand_durations import fixed_duration, native
from exporter.yaml_lines import quote

CONDITION_SPEC_FIELDS = ("description", "severity", "condition")
CONDITION_FIELDS = ("kind", "op", "threshold", "lookbackWindow", "alertAfter")
POLICY_FIELDS = (
    "description",
    "alertWhenNoData",
    "alertWhenResolved",
    "alertWhenBreaching",
    "conditions",
)
NOTIFICATIONS = (
    "notification targets are Alertmanager's job: alert on the exporter's "
    "slo_alert_condition series and route those alerts to receivers in Alertmanager"
)
_REFUSED = {"notificationTargets": NOTIFICATIONS + "; remove notificationTargets"}
MINUTE = 60


@dataclass(frozen=True)
class Rule:
    """One native alert rule, what it is called in messages, and its entries."""

    label: str
    key: tuple[str, int, int]
    value: dict[str, Any]
    entries: tuple[Entry, ...]


def short_window(long_window: int) -> int:
    """The workbook's short window: 1/12 of the long one, to whole minutes (half up), >= 1m."""
    minutes = (long_window * 2 + 12 * MINUTE) // (24 * MINUTE)
    return max(minutes, 1) * MINUTE


def _burn_rate(node: Located, problems: shape.Problems) -> float | None:
    value = shape.number(node, problems)
    if value is not None and value <= 0:
        problems.append(
            node.problem(f"threshold is a burn rate, a positive number such as 14.4; got {value:g}")
        )
        return None
    return value


def _op(node: Located, problems: shape.Problems) -> bool:
    op = shape.text(node, problems)
    if op is None:
        return False
    if op in ("gt", "gte"):
        return True
    if op in ("lt", "lte"):
        problems.append(
            node.problem(
                "a burn-rate condition fires above its threshold: op must be gt or gte; "
                f"got {quote(op)}"
            )
        )
    else:
        problems.append(node.problem(f"expected gt or gte; got {quote(op)}"))
    return False


def _windows(condition: Located, problems: shape.Problems) -> tuple[int, int, Located] | None:
    long_node, short_node = condition["lookbackWindow"], condition["alertAfter"]
    long_window = fixed_duration(long_node, problems)
    short = fixed_duration(short_node, problems, required=False)
    if long_window is None or (short is None and short_node.present):
        return None
    if short is not None:
        if short >= long_window:
            problems.append(
                short_node.problem(
                    "alertAfter is the short window and must be shorter than lookbackWindow "
                    "(the long window), e.g. 1h and 5m"
                )
            )
            return None
        return long_window, short, short_node
    derived = short_window(long_window)
    if derived >= long_window:
        problems.append(
            long_node.problem(
                "too short to derive the short window (1/12 of it, at least 1m) from; "
                "give alertAfter"
            )
        )
        return None
    return long_window, derived, long_node


def condition_rule(condition: Located, problems: shape.Problems) -> Rule | None:
    """The native rule of an ``AlertCondition`` (a document or written inline)."""
    spec = condition["spec"]
    if not shape.mapping(spec, CONDITION_SPEC_FIELDS, problems, required=("severity", "condition")):
        return None
    shape.text(spec["description"], problems, required=False)
    severity = shape.text(spec["severity"], problems)
    body = spec["condition"]
    if not shape.mapping(
        body, CONDITION_FIELDS, problems, required=("kind", "op", "threshold", "lookbackWindow")
    ):
        return None
    kind = shape.text(body["kind"], problems)
    if kind is not None and kind.lower() != "burnrate":
        problems.append(
            body["kind"].problem(f"only burnrate conditions are supported; got {quote(kind)}")
        )
        kind = None
    op_ok = _op(body["op"], problems)
    factor = _burn_rate(body["threshold"], problems)
    windows = _windows(body, problems)
    if severity is None or kind is None or not op_ok or factor is None or windows is None:
        return None
    long_window, short, short_node = windows
    label = owner_label("AlertCondition", condition["metadata"]["name"].value)
    value = {
        "severity": severity,
        "long_window": native(long_window),
        "short_window": native(short),
        "burn_rate": factor,
    }
    entries = (
        mark((), condition),
        mark(("severity",), spec["severity"]),
        mark(("long_window",), body["lookbackWindow"]),
        mark(("short_window",), short_node),
        mark(("burn_rate",), body["threshold"]),
    )
    return Rule(label, (severity, long_window, short), value, entries)


def _policy_flags(spec: Located, problems: shape.Problems) -> None:
    if shape.boolean(spec["alertWhenNoData"], problems) is True:
        problems.append(
            spec["alertWhenNoData"].problem(
                "not supported: a window without traffic never fires; alert on slo_data_ok == 0 "
                "instead"
            )
        )
    if shape.boolean(spec["alertWhenResolved"], problems) is True:
        problems.append(
            spec["alertWhenResolved"].problem(
                "resolved notifications are Alertmanager's job (send_resolved in its receiver); "
                "remove this or set it to false"
            )
        )
    if shape.boolean(spec["alertWhenBreaching"], problems) is False:
        problems.append(
            spec["alertWhenBreaching"].problem(
                "false is not supported: an alert condition holds exactly while the budget "
                "burns too fast"
            )
        )


def policy_rules(policy: Located, catalog: Catalog, problems: shape.Problems) -> list[Rule] | None:
    """The rules of every condition of an ``AlertPolicy`` (a document or written inline)."""
    spec = policy["spec"]
    if not shape.mapping(spec, POLICY_FIELDS, problems, required=("conditions",), refused=_REFUSED):
        return None
    shape.text(spec["description"], problems, required=False)
    _policy_flags(spec, problems)
    items = shape.sequence(spec["conditions"], problems)
    if not items and isinstance(spec["conditions"].value, list):
        problems.append(spec["conditions"].problem("give at least one condition"))
    rules: list[Rule] = []
    ok = bool(items)
    for item in items:
        condition = catalog.inline_or_ref(item, "conditionRef", "AlertCondition", problems)
        rule = condition_rule(condition, problems) if condition is not None else None
        if rule is None:
            ok = False
        else:
            rules.append(rule)
    return rules if ok else None


def slo_alerts(spec: Located, catalog: Catalog, problems: shape.Problems) -> list[Entry] | None:
    """The native ``alerts`` of an SLO's ``spec`` (no entries: keep the defaults)."""
    policies = spec["alertPolicies"]
    items = shape.sequence(policies, problems, required=False)
    if not items:
        return None if policies.present and not isinstance(policies.value, list) else []
    rules: list[Rule] = []
    seen: dict[tuple[str, int, int], Rule] = {}
    ok = True
    for item in items:
        policy = catalog.inline_or_ref(item, "alertPolicyRef", "AlertPolicy", problems)
        found = policy_rules(policy, catalog, problems) if policy is not None else None
        if found is None:
            ok = False
            continue
        for rule in found:
            first = seen.setdefault(rule.key, rule)
            if first is not rule:
                by = (
                    f"{first.label} twice"
                    if first.label == rule.label
                    else (f"{first.label} and {rule.label}")
                )
                severity, long_window, short = rule.key
                problems.append(
                    item.problem(
                        f"the alert (severity {severity}, lookbackWindow {native(long_window)}, "
                        f"short window {native(short)}) is given by {by}; each must be "
                        "unique per SLO"
                    )
                )
                ok = False
            else:
                rules.append(rule)
    if not ok:
        return None
    entries = [leaf(("alerts",), [rule.value for rule in rules], policies)]
    for index, rule in enumerate(rules):
        entries.extend(nest(("alerts", index), rule.entries))
    return entries
