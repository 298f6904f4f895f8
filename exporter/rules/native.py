"""Native mode: recording rules over the raw counters, and alerts on what they record.

One group per SLO, named ``slo-native-<slo>`` and evaluated every
``alerting.native_interval`` (the step), holds, in this order:

1. ``slo:good_events:step_increase`` (or ``slo:bad_events:...`` for a
   ``bad:`` SLI) and ``slo:total_events:step_increase``: the events of the
   step that ended ``alerting.native_offset`` ago (see :mod:`exporter.rules.tiles`);
2. for every window W: ``slo:<kind>_events:increase{window}``, the sum of the
   last W / step step records;
3. for every window ``slo:burn_rate:ratio``; over the period ``slo:sli:ratio``
   and ``slo:error_budget_remaining:ratio``;
4. the alerts, with the exporter's thresholds.

A grouped SLO records one series per group (:mod:`exporter.rules.grouped_tiles`), and
everything after the step records keeps the group's labels.

The period's SLI is event-weighted (summed events divided once), never an
average of short-window ratios. Rules of one group run in order with one
evaluation time and each sees what the ones before it wrote, so a window's
sum includes the step recorded in the same evaluation: the sum's range is
W minus half a step, which holds exactly W / step records whether
Prometheus closes ranges on the left (2.x) or not (3.x). Ratios are left
out when a window has no traffic (a ``> 0`` filter, never a NaN), unless
the SLO's ``no_data`` policy gives silence a meaning.
"""

from __future__ import annotations

from exporter.domain.budgeting import NoData
from exporter.domain.model import SLO, BurnRateRule
from exporter.rules import text
from exporter.rules.grouped_tiles import grouped_step_queries
from exporter.rules.promql_text import duration, duration_ms, error_budget, number, selector
from exporter.rules.rule import (
    DATA_MISSING_ALERT,
    EXHAUSTED_ALERT,
    Group,
    Rule,
    alert,
    alert_labels,
    burn_alert_name,
    burn_annotations,
    burn_labels,
    by_severity,
    group,
    record,
    slo_labels,
)
from exporter.rules.tiles import StepQueries, step_queries
from exporter.settings import AlertingSettings

STEP_RECORD = "slo:{kind}_events:step_increase"
WINDOW_RECORD = "slo:{kind}_events:increase"
SLI_RECORD = "slo:sli:ratio"
BURN_RECORD = "slo:burn_rate:ratio"
REMAINING_RECORD = "slo:error_budget_remaining:ratio"


def group_name(slo: SLO) -> str:
    """The name of an SLO's native rule group."""
    return f"slo-native-{slo.name}"


class _Windows:
    """PromQL over one SLO's recorded window sums."""

    def __init__(self, slo: SLO, counts_bad: bool) -> None:
        self.slo = slo
        self.kind = "bad" if counts_bad else "good"

    def events(self, kind: str, window: int) -> str:
        name = WINDOW_RECORD.format(kind=kind)
        return selector(name, {"slo": self.slo.name, "window": duration(window)})

    def _ratio(self, window: int) -> str:
        """Recorded good (or bad) events over total, within [0, 1]; empty without traffic."""
        counted, total = self.events(self.kind, window), self.events("total", window)
        return f"clamp({counted} / ({total} > 0), 0, 1)"

    def _silent(self, window: int, value: float) -> str:
        """``value`` for a window without traffic, when the no-data policy gives it one."""
        if self.slo.no_data is NoData.SKIP:
            return ""
        return f" or {self.events('total', window)} * 0 + {number(value)}"

    def sli(self, window: int) -> str:
        ratio = self._ratio(window)
        sli = ratio if self.kind == "good" else f"1 - {ratio}"
        silent = 1.0 if self.slo.no_data is NoData.GOOD else 0.0
        return sli + self._silent(window, silent)

    def burn_rate(self, window: int) -> str:
        ratio = self._ratio(window)
        bad = ratio if self.kind == "bad" else f"(1 - {ratio})"
        silent = 0.0 if self.slo.no_data is NoData.GOOD else 1.0 / self.slo.error_budget
        return f"{bad} / {error_budget(self.slo.objective)}" + self._silent(window, silent)

    def remaining(self) -> str:
        # The period's window label goes: the remaining budget has no window.
        return f"1 - max without (window) ({self.burn_rate(self.slo.period)})"


def _step_queries(slo: SLO, step: int, delay: int) -> StepQueries:
    """The step records' queries: one series, or one per group of a grouped SLO."""
    if slo.grouping is not None:
        return grouped_step_queries(slo, step, delay)
    return step_queries(slo.sli, step, delay)


def recording_rules(slo: SLO, alerting: AlertingSettings) -> list[Rule]:
    """The step records, window sums, ratios and remaining budget of one SLO."""
    step = alerting.native_interval
    queries = _step_queries(slo, step, alerting.native_offset)
    windows = _Windows(slo, queries.counts_bad)
    labels = slo_labels(slo)
    rules = [
        record(STEP_RECORD.format(kind=windows.kind), queries.numerator, labels),
        record(STEP_RECORD.format(kind="total"), queries.total, labels),
    ]
    for window in slo.windows:
        span = duration_ms(window * 1000 - step * 500)
        for kind in (windows.kind, "total"):
            steps = selector(STEP_RECORD.format(kind=kind), {"slo": slo.name})
            rules.append(
                record(
                    WINDOW_RECORD.format(kind=kind),
                    f"sum_over_time({steps}[{span}])",
                    {**labels, "window": duration(window)},
                )
            )
    for window in slo.windows:
        windowed = {**labels, "window": duration(window)}
        rules.append(record(BURN_RECORD, windows.burn_rate(window), windowed))
    period = {**labels, "window": duration(slo.period)}
    rules.append(record(SLI_RECORD, windows.sli(slo.period), period))
    rules.append(record(REMAINING_RECORD, windows.remaining(), labels))
    return rules


def _holds(slo: SLO, window: int, factor: float) -> str:
    """Burn rate over ``window`` above ``factor``, on enough events (``min_events``)."""
    where = {"slo": slo.name, "window": duration(window)}
    burn = f"{selector(BURN_RECORD, where)} > {number(factor)}"
    if not slo.min_events:
        return burn
    total = selector(WINDOW_RECORD.format(kind="total"), where)
    enough = f"{total} >= {number(slo.min_events)}"
    if slo.no_data is not NoData.SKIP:  # silence with a meaning may fire too
        enough = f"({enough} or {total} == 0)"
    return f"({burn} and {enough})"


def _burn_expr(slo: SLO, rules: list[BurnRateRule]) -> str:
    """The long-window burn rate of the first rule whose two windows both exceed its factor."""
    branches = [
        f"    {_holds(slo, r.long_window, r.factor)}\n  and ignoring (window)\n"
        f"    {_holds(slo, r.short_window, r.factor)}"
        for r in rules
    ]
    return "max without (window) (\n" + "\n  or ignoring (window)\n".join(branches) + "\n)"


def _data_missing_expr(slo: SLO, presence: str | None) -> str | None:
    """No series for the total events, or (without a no-data policy) no traffic in the period."""
    parts = []
    if presence is not None:
        parts.append(f"max(absent({presence}))")
    if slo.no_data is NoData.SKIP and slo.grouping is None:  # a group leaves with its traffic
        total = selector(
            WINDOW_RECORD.format(kind="total"), {"slo": slo.name, "window": duration(slo.period)}
        )
        parts.append(f"max({total} == 0)")
    return "\n or\n".join(parts) or None


def alerting_rules(slo: SLO, alerting: AlertingSettings) -> list[Rule]:
    """The alerts of one SLO over its recorded burn rates and budget."""
    links = text.links(slo)
    rules = []
    for severity, burn_rules in by_severity(slo.alerts):
        label = alerting.severity(severity)
        rules.append(
            alert(
                burn_alert_name(slo),
                _burn_expr(slo, burn_rules),
                0,
                burn_labels(slo, label, burn_rules),
                burn_annotations(burn_rules, {**text.burn(slo, label, burn_rules), **links}),
            )
        )
    if slo.alerts:
        rules.append(
            alert(
                EXHAUSTED_ALERT,
                f"{selector(REMAINING_RECORD, {'slo': slo.name})} <= 0",
                alerting.exhausted_for,
                alert_labels(slo, alerting.severity(alerting.exhausted_severity)),
                {**text.exhausted(slo), **links},
            )
        )
    presence = _step_queries(slo, alerting.native_interval, alerting.native_offset).presence
    missing = _data_missing_expr(slo, presence)
    if missing is not None:
        rules.append(
            alert(
                DATA_MISSING_ALERT,
                missing,
                alerting.data_missing_for,
                alert_labels(slo, alerting.severity(alerting.data_missing_severity)),
                {**text.data_missing_native(slo, alerting.data_missing_for), **links},
            )
        )
    return rules


def native_group(slo: SLO, alerting: AlertingSettings) -> Group:
    """One SLO's native rule group (check :func:`exporter.rules.tiles.unsupported` first)."""
    rules = recording_rules(slo, alerting) + alerting_rules(slo, alerting)
    return group(group_name(slo), rules, alerting.native_interval)


def native_groups(slos: tuple[SLO, ...] | list[SLO], alerting: AlertingSettings) -> list[Group]:
    """The native rule groups of ``slos``, in their order."""
    return [native_group(slo, alerting) for slo in slos]
