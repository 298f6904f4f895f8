"""The over-time panels of the detail dashboard: burn-down, burn rates, SLI, events,
the windows table, alert conditions and the status history, one function each."""

from __future__ import annotations

from grafana_foundation_sdk.builders import statetimeline, table, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ScaleDistributionConfig,
    TableSortByFieldState,
)
from grafana_foundation_sdk.models.common import (
    GraphThresholdsStyleMode,
    ScaleDistribution,
    TableColorTextCellOptions,
)
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    DynamicConfigValue,
)

from exporter.dashboards import panel_queries, panels, style
from exporter.dashboards.panel_queries import selector
from exporter.dashboards.shown import Shown
from exporter.domain.durations import format_duration
from exporter.domain.model import BurnRateRule, StatusPolicy


def burn_down(shown: Shown) -> timeseries.Panel:
    return (
        panels.timeseries(
            "Error budget burn-down",
            "Share of the budget left over the rolling period, over time. Coloured bands: "
            "red once spent, orange below 25 %, yellow below 50 %.",
            style.RATIO,
            [
                panels.series(
                    selector("slo_error_budget_remaining_ratio", shown.scope),
                    "remaining",
                    shown.legend("remaining"),
                )
            ],
            width=12,
        )
        .thresholds(style.budget_thresholds())
        .thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED_AND_AREA)
        )
    )


def burn_rates(policy: StatusPolicy, shown: Shown) -> timeseries.Panel:
    return (
        panels.timeseries(
            "Burn rate by window, against the alert thresholds",
            "(1 - SLI) / (1 - objective) over each window; 1 spends the budget exactly over "
            "the period. Dashed: the factor each alert condition's two windows must exceed. "
            "Bands: the status thresholds (attention, warning, critical).",
            style.BURN_RATE,
            [
                panels.series(
                    selector("slo_burn_rate", shown.scope), "burn", shown.legend("{{window}}")
                ),
                panels.series(
                    selector("slo_alert_burn_rate_threshold", shown.scope),
                    "threshold",
                    shown.legend("{{severity}} {{long_window}}+{{short_window}} threshold"),
                ),
            ],
            width=12,
        )
        .scale_distribution(
            ScaleDistributionConfig().type(ScaleDistribution.SYMLOG).log(10).linear_threshold(1)
        )
        .thresholds(style.burn_rate_thresholds(policy))
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.AREA))
        .override_by_query("threshold", style.dashed())
    )


def sli(shown: Shown) -> timeseries.Panel:
    return panels.timeseries(
        "SLI by window, against the objective",
        "Good / total events over each window; absent for a window without traffic.",
        style.RATIO,
        [
            panels.series(
                selector("slo_sli_ratio", shown.scope), "sli", shown.legend("{{window}}")
            ),
            panels.series(
                selector("slo_objective_ratio", shown.scope), "objective", shown.legend("objective")
            ),
        ],
        width=12,
    ).override_by_query("objective", style.dashed("red"))


def events(shown: Shown) -> timeseries.Panel:
    in_window = 'window="$window"'
    good = selector("slo_window_good_events", shown.scope, in_window)
    total = selector("slo_window_events", shown.scope, in_window)
    return panels.timeseries(
        "Events in the last $window",
        "Good, bad and all events counted in the window ending at each evaluation.",
        style.EVENTS,
        [
            panels.series(total, "total", shown.legend("total")),
            panels.series(good, "good", shown.legend("good")),
            panels.series(f"{total} - {good}", "bad", shown.legend("bad")),
        ],
        width=12,
    ).override_by_query("bad", style.fixed_colour("red"))


def windows(policy: StatusPolicy, identity: tuple[str, ...], shown: Shown) -> table.Panel:
    good = selector("slo_window_good_events", shown.scope)
    total = selector("slo_window_events", shown.scope)
    columns = {
        "good": ("Good", panel_queries.nameless(good)),
        "total": ("Total", panel_queries.nameless(total)),
        "bad": ("Bad", f"{total} - {good}"),
        "sli": ("SLI", panel_queries.nameless(selector("slo_sli_ratio", shown.scope))),
        "burn": ("Burn rate", panel_queries.nameless(selector("slo_burn_rate", shown.scope))),
    }
    renames = dict.fromkeys(shown.groups, "") | {"window": "Window"}
    renames |= {f"Value #{ref}": name for ref, (name, _) in columns.items()}
    hidden = ("Time", "job", "instance", *identity)
    return (
        panels.table(
            "Events by window",
            "Events, SLI and burn rate over every window the SLO is evaluated on, now.",
            [panels.rows(expr, ref) for ref, (_, expr) in columns.items()],
            width=12,
            height=8,
        )
        .with_transformation(DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": dict.fromkeys(hidden, True),
                    "indexByName": {name: index for index, name in enumerate(renames)},
                    "renameByName": {key: name for key, name in renames.items() if name},
                },
            )
        )
        .sort_by([TableSortByFieldState().display_name("Total").desc(True)])
        .override_by_name("SLI", [DynamicConfigValue(id_val="unit", value=style.RATIO)])
        .override_by_name(
            "Burn rate",
            [
                DynamicConfigValue(id_val="unit", value=style.BURN_RATE),
                DynamicConfigValue(id_val="decimals", value=2),
                DynamicConfigValue(
                    id_val="thresholds", value=style.burn_rate_thresholds(policy).build()
                ),
                DynamicConfigValue(id_val="custom.cellOptions", value=TableColorTextCellOptions()),
            ],
        )
    )


def conditions(shown: Shown) -> statetimeline.Panel:
    holding = f"max_over_time({selector('slo_alert_condition', shown.scope)}[$__interval])"
    return panels.state_timeline(
        "Alert conditions",
        "Each multiwindow burn-rate condition: firing while the burn rate over both its "
        "long and its short window exceeds its factor.",
        [
            panels.series(
                holding, "conditions", shown.legend("{{severity}} {{long_window}}+{{short_window}}")
            )
        ],
        width=12,
    ).mappings([style.CONDITION])


def status_history(shown: Shown) -> statetimeline.Panel:
    return panels.state_timeline(
        "Status over time",
        "The SLO's status at each evaluation.",
        [panels.series(panel_queries.status_code(shown.scope), "status", shown.value("status"))],
        width=12,
        height=5,
    ).mappings([style.status_mapping()])


def data_ok_history(shown: Shown) -> statetimeline.Panel:
    return panels.state_timeline(
        "Data current",
        "slo_data_ok: whether the exporter's last evaluation succeeded and the period had "
        "traffic. While it is 0 the last good numbers are still shown.",
        [panels.series(selector("slo_data_ok", shown.scope), "data_ok", shown.value("data"))],
        width=12,
        height=5,
    ).mappings([style.DATA_OK])


def rule(rule: BurnRateRule, policy: StatusPolicy, shown: Shown) -> timeseries.Panel:
    long, short = format_duration(rule.long_window), format_duration(rule.short_window)
    rule_labels = (
        f'severity="{rule.severity}"',
        f'long_window="{long}"',
        f'short_window="{short}"',
    )
    return (
        panels.timeseries(
            f"{rule.severity}: burn rate over {long} and {short} above {rule.factor:.3g}×",
            f"The condition holds while both windows' burn rates exceed {rule.factor:.3g}.",
            style.BURN_RATE,
            [
                panels.series(
                    selector("slo_burn_rate", shown.scope, f'window="{long}"'),
                    "long",
                    shown.legend(long),
                ),
                panels.series(
                    selector("slo_burn_rate", shown.scope, f'window="{short}"'),
                    "short",
                    shown.legend(short),
                ),
                panels.series(
                    selector("slo_alert_burn_rate_threshold", shown.scope, *rule_labels),
                    "threshold",
                    shown.legend("threshold"),
                ),
            ],
            width=12,
            height=7,
        )
        .thresholds(style.burn_rate_thresholds(policy))
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.AREA))
        .override_by_query("threshold", style.dashed("red"))
    )
