"""The detail dashboard of one SLO: its budget, burn rates, SLI, events, alerts and health.

The generic version picks the SLO with the ``slo`` variable; a version made
for one SLO of a config (:func:`pinned_detail`) fixes it, takes its colours
from that SLO's status policy and adds one panel per alert condition showing
its long and short window against its factor.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ScaleDistributionConfig,
    TableSortByFieldState,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard, DashboardLink, Row
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    GraphThresholdsStyleMode,
    ScaleDistribution,
    TableColorTextCellOptions,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataTransformerConfig,
    DynamicConfigValue,
)

from exporter.dashboards import panels, queries, style
from exporter.dashboards.frame import frame
from exporter.dashboards.names import DETAIL_UID, pinned_uid
from exporter.dashboards.queries import DETAIL_SCOPE as SCOPE
from exporter.dashboards.queries import selector
from exporter.dashboards.variables import (
    datasource_variable,
    pinned_slo_variable,
    service_variable,
    slo_variable,
    team_variable,
    window_variable,
)
from exporter.domain.durations import format_duration
from exporter.domain.model import SLO, BurnRateRule, StatusPolicy

_SINCE = "7d"


def detail(policy: StatusPolicy) -> Dashboard:
    """The generic detail dashboard; ``policy`` colours burn rates and picks the events window."""
    dashboard = (
        frame(
            DETAIL_UID,
            "SLO detail",
            "One SLO from slo-exporter: error budget, burn rates against the alert "
            "thresholds, SLI, events, alert conditions, status and the exporter's health.",
            since=_SINCE,
        )
        .with_variable(datasource_variable())
        .with_variable(service_variable())
        .with_variable(team_variable())
        .with_variable(slo_variable())
        .with_variable(window_variable(format_duration(policy.window)))
    )
    return _exporter(_body(dashboard, policy, ("slo", "service", "team")))


def pinned_detail(slo: SLO) -> Dashboard:
    """The detail dashboard made for ``slo``: the SLO fixed, its colours, its description,
    a link to its runbook, and one panel per alert condition."""
    summary = f"{slo.name} ({slo.service}): objective {slo.objective:g} %."
    dashboard = (
        frame(
            pinned_uid(slo.name),
            f"SLO: {slo.name}",
            " ".join(part for part in (summary, slo.description) if part),
            since=_SINCE,
        )
        .tags(["slo-exporter", slo.service])
        .with_variable(datasource_variable())
        .with_variable(pinned_slo_variable(slo.name))
        .with_variable(window_variable(format_duration(slo.status.window)))
    )
    if slo.runbook_url:
        dashboard = dashboard.link(
            DashboardLink("Runbook")
            .type(DashboardLinkType.LINK)
            .url(slo.runbook_url)
            .icon("doc")
            .target_blank(True)
        )
    dashboard = _body(dashboard, slo.status, ("slo", "service", *slo.labels))
    if slo.alerts:
        dashboard = dashboard.with_row(Row("Alert conditions, one by one"))
        for rule in slo.alerts:
            dashboard = dashboard.with_panel(_rule(rule, slo.status))
    return _exporter(dashboard)


def _body(dashboard: Dashboard, policy: StatusPolicy, identity: tuple[str, ...]) -> Dashboard:
    for panel in _now(policy):
        dashboard = dashboard.with_panel(panel)
    return (
        dashboard.with_row(Row("Error budget and burn rate"))
        .with_panel(_burn_down())
        .with_panel(_burn_rates(policy))
        .with_row(Row("SLI and events"))
        .with_panel(_sli())
        .with_panel(_events())
        .with_panel(_windows(policy, identity))
        .with_panel(_conditions())
        .with_row(Row("Status and data over time"))
        .with_panel(_status_history())
        .with_panel(_data_ok_history())
    )


def _now(policy: StatusPolicy) -> list[stat.Panel]:
    plain = BigValueColorMode.NONE
    return [
        panels.stat(
            "Status",
            f"exhausted: no budget left; critical / warning / attention: burn rate over "
            f"{format_duration(policy.window)} above {policy.critical:g} / {policy.warning:g} / "
            f"{policy.attention:g}; no_data: no traffic in the whole period.",
            "none",
            [panels.value(queries.status_code(SCOPE), "status")],
            width=4,
        ).mappings([style.status_mapping()]),
        panels.stat(
            "Objective",
            "Share of good events the SLO promises over its period.",
            style.RATIO,
            [panels.value(selector("slo_objective_ratio", SCOPE), "objective")],
            width=3,
        )
        .decimals(3)
        .color_mode(plain),
        panels.stat(
            "SLI over the period",
            "Good / total events over the SLO's whole rolling period.",
            style.RATIO,
            [panels.value(queries.sli_over_period(SCOPE), "sli")],
            width=3,
        )
        .decimals(3)
        .color_mode(plain),
        panels.stat(
            "Budget remaining",
            "Share of the period's error budget left; negative once overspent.",
            style.RATIO,
            [panels.value(selector("slo_error_budget_remaining_ratio", SCOPE), "remaining")],
            width=4,
        )
        .decimals(1)
        .thresholds(style.budget_thresholds()),
        panels.stat(
            "Outage budget left",
            "The remaining budget as time of full outage.",
            style.SECONDS,
            [panels.value(selector("slo_error_budget_remaining_seconds", SCOPE), "seconds")],
            width=3,
        ).thresholds(style.outage_thresholds()),
        panels.stat(
            "Bad events left",
            "Bad events still allowed in the period.",
            style.EVENTS,
            [panels.value(selector("slo_error_budget_remaining_events", SCOPE), "events")],
            width=3,
        ).thresholds(style.outage_thresholds()),
        panels.stat(
            "Budget spent in",
            f"Time until the budget is spent at the burn rate over "
            f"{format_duration(policy.window)}; empty while nothing burns.",
            style.SECONDS,
            [panels.value(selector("slo_error_budget_exhaustion_seconds", SCOPE), "exhaustion")],
            width=4,
        )
        .thresholds(style.exhaustion_thresholds())
        .no_value("not burning"),
    ]


def _burn_down() -> timeseries.Panel:
    return (
        panels.timeseries(
            "Error budget burn-down",
            "Share of the budget left over the rolling period, over time. Coloured bands: "
            "red once spent, orange below 25 %, yellow below 50 %.",
            style.RATIO,
            [
                panels.series(
                    selector("slo_error_budget_remaining_ratio", SCOPE), "remaining", "remaining"
                )
            ],
            width=12,
        )
        .thresholds(style.budget_thresholds())
        .thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED_AND_AREA)
        )
    )


def _burn_rates(policy: StatusPolicy) -> timeseries.Panel:
    return (
        panels.timeseries(
            "Burn rate by window, against the alert thresholds",
            "(1 - SLI) / (1 - objective) over each window; 1 spends the budget exactly over "
            "the period. Dashed: the factor each alert condition's two windows must exceed. "
            "Bands: the status thresholds (attention, warning, critical).",
            style.BURN_RATE,
            [
                panels.series(selector("slo_burn_rate", SCOPE), "burn", "{{window}}"),
                panels.series(
                    selector("slo_alert_burn_rate_threshold", SCOPE),
                    "threshold",
                    "{{severity}} {{long_window}}+{{short_window}} threshold",
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


def _sli() -> timeseries.Panel:
    return panels.timeseries(
        "SLI by window, against the objective",
        "Good / total events over each window; absent for a window without traffic.",
        style.RATIO,
        [
            panels.series(selector("slo_sli_ratio", SCOPE), "sli", "{{window}}"),
            panels.series(selector("slo_objective_ratio", SCOPE), "objective", "objective"),
        ],
        width=12,
    ).override_by_query("objective", style.dashed("red"))


def _events() -> timeseries.Panel:
    in_window = 'window="$window"'
    good = selector("slo_events_good", SCOPE, in_window)
    total = selector("slo_events_total", SCOPE, in_window)
    return panels.timeseries(
        "Events in the last $window",
        "Good, bad and all events counted in the window ending at each evaluation.",
        style.EVENTS,
        [
            panels.series(total, "total", "total"),
            panels.series(good, "good", "good"),
            panels.series(f"{total} - {good}", "bad", "bad"),
        ],
        width=12,
    ).override_by_query("bad", style.fixed_colour("red"))


def _windows(policy: StatusPolicy, identity: tuple[str, ...]) -> table.Panel:
    good = selector("slo_events_good", SCOPE)
    total = selector("slo_events_total", SCOPE)
    columns = {
        "good": ("Good", queries.nameless(good)),
        "total": ("Total", queries.nameless(total)),
        "bad": ("Bad", f"{total} - {good}"),
        "sli": ("SLI", queries.nameless(selector("slo_sli_ratio", SCOPE))),
        "burn": ("Burn rate", queries.nameless(selector("slo_burn_rate", SCOPE))),
    }
    renames = {"window": "Window"} | {f"Value #{ref}": name for ref, (name, _) in columns.items()}
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
                    "renameByName": renames,
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


def _conditions() -> statetimeline.Panel:
    holding = f"max_over_time({selector('slo_alert_condition', SCOPE)}[$__interval])"
    return panels.state_timeline(
        "Alert conditions",
        "Each multiwindow burn-rate condition: firing while the burn rate over both its "
        "long and its short window exceeds its factor.",
        [panels.series(holding, "conditions", "{{severity}} {{long_window}}+{{short_window}}")],
        width=12,
    ).mappings([style.CONDITION])


def _status_history() -> statetimeline.Panel:
    return panels.state_timeline(
        "Status over time",
        "The SLO's status at each evaluation.",
        [panels.series(queries.status_code(SCOPE), "status", "status")],
        width=12,
        height=5,
    ).mappings([style.status_mapping()])


def _data_ok_history() -> statetimeline.Panel:
    return panels.state_timeline(
        "Data current",
        "slo_data_ok: whether the exporter's last evaluation succeeded and the period had "
        "traffic. While it is 0 the last good numbers are still shown.",
        [panels.series(selector("slo_data_ok", SCOPE), "data_ok", "data")],
        width=12,
        height=5,
    ).mappings([style.DATA_OK])


def _rule(rule: BurnRateRule, policy: StatusPolicy) -> timeseries.Panel:
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
                panels.series(selector("slo_burn_rate", SCOPE, f'window="{long}"'), "long", long),
                panels.series(
                    selector("slo_burn_rate", SCOPE, f'window="{short}"'), "short", short
                ),
                panels.series(
                    selector("slo_alert_burn_rate_threshold", SCOPE, *rule_labels),
                    "threshold",
                    "threshold",
                ),
            ],
            width=12,
            height=7,
        )
        .thresholds(style.burn_rate_thresholds(policy))
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.AREA))
        .override_by_query("threshold", style.dashed("red"))
    )


def _exporter(dashboard: Dashboard) -> Dashboard:
    """The health of the exporter that serves this SLO (matched on its job and instance)."""
    mine = queries.serving(SCOPE)
    return (
        dashboard.with_row(Row("slo-exporter"))
        .with_panel(
            panels.stat(
                "Backend",
                "Whether the exporter reached its PromQL backend in its last cycle.",
                "none",
                [panels.value(f"min(slo_exporter_backend_up {mine})", "backend")],
                width=6,
            ).mappings([style.BACKEND_UP])
        )
        .with_panel(
            panels.stat(
                "Config file",
                "0 while an invalid config file is ignored (the previous config keeps running).",
                "none",
                [panels.value(f"min(slo_exporter_config_last_reload_successful {mine})", "config")],
                width=6,
            ).mappings([style.RELOAD_OK])
        )
        .with_panel(
            panels.stat(
                "Numbers are from",
                "Age of the evaluation time these numbers describe (interval plus delay, "
                "plus more while evaluations fail).",
                style.SECONDS,
                [panels.value(queries.age("slo_evaluation_timestamp_seconds", SCOPE), "age")],
                width=6,
            ).color_mode(BigValueColorMode.NONE)
        )
        .with_panel(
            panels.stat(
                "Last successful evaluation",
                "Time since this SLO was last evaluated without errors.",
                style.SECONDS,
                [
                    panels.value(
                        queries.age(
                            "slo_exporter_last_successful_evaluation_timestamp_seconds", SCOPE
                        ),
                        "success",
                    )
                ],
                width=6,
            ).color_mode(BigValueColorMode.NONE)
        )
        .with_panel(
            panels.timeseries(
                "Queries",
                "PromQL queries the exporter sends, and failed ones by reason.",
                "reqps",
                [
                    panels.series(
                        f"sum(rate(slo_exporter_queries_total[$__rate_interval]) {mine})",
                        "queries",
                        "queries",
                    ),
                    panels.series(
                        "sum by (reason) (rate(slo_exporter_query_errors_total"
                        f"[$__rate_interval]) {mine})",
                        "errors",
                        "{{reason}} errors",
                    ),
                ],
                width=12,
                height=7,
            ).override_by_query("errors", style.fixed_colour("red"))
        )
        .with_panel(
            panels.timeseries(
                "Evaluation cycle duration",
                "90th percentile of the time one evaluation cycle over every SLO takes.",
                style.SECONDS,
                [
                    panels.series(
                        "histogram_quantile(0.9, sum by (le) (rate(slo_exporter_evaluation_"
                        f"duration_seconds_bucket[$__rate_interval]) {mine}))",
                        "duration",
                        "p90",
                    )
                ],
                width=12,
                height=7,
            )
        )
    )
