"""The detail dashboard of one SLO: its budget, burn rates, SLI, events, alerts and health.

The generic version picks the SLO with the ``slo`` variable; a version made
for one SLO of a config (:func:`pinned_detail`) fixes it, takes its colours
from that SLO's status policy and adds one panel per alert condition showing
its long and short window against its factor.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, DashboardLink, Row
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
)

from exporter.dashboards import detail_panels, panel_queries, panels, style
from exporter.dashboards.frame import frame
from exporter.dashboards.names import DETAIL_UID, pinned_uid
from exporter.dashboards.shown import Shown, group_variables, grouped
from exporter.dashboards.slo_summary import summary
from exporter.dashboards.variables import (
    datasource_variable,
    pinned_slo_variable,
    service_variable,
    slo_variable,
    team_variable,
    window_variable,
)
from exporter.domain.durations import format_duration
from exporter.domain.model import SLO, StatusPolicy

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
    shown = Shown()
    return _exporter(_body(dashboard, policy, ("slo", "service", "team"), shown), shown)


def pinned_detail(slo: SLO) -> Dashboard:
    """The detail dashboard made for ``slo``: the SLO fixed, its colours, its description,
    a link to its runbook, one panel per alert condition and, for a grouped SLO, a
    variable per group label."""
    labels = slo.grouping.labels if slo.grouping is not None else ()
    shown = grouped(labels) if labels else Shown()
    dashboard = (
        frame(pinned_uid(slo.name), f"SLO: {slo.name}", summary(slo), since=_SINCE)
        .tags(["slo-exporter", slo.service])
        .with_variable(datasource_variable())
        .with_variable(pinned_slo_variable(slo.name))
    )
    for variable in group_variables(labels):
        dashboard = dashboard.with_variable(variable)
    dashboard = dashboard.with_variable(window_variable(format_duration(slo.status.window)))
    if slo.runbook_url:
        dashboard = dashboard.link(
            DashboardLink("Runbook")
            .type(DashboardLinkType.LINK)
            .url(slo.runbook_url)
            .icon("doc")
            .target_blank(True)
        )
    dashboard = _body(dashboard, slo.status, ("slo", "service", *slo.labels), shown)
    if slo.alerts:
        dashboard = dashboard.with_row(Row("Alert conditions, one by one"))
        for rule in slo.alerts:
            dashboard = dashboard.with_panel(detail_panels.rule(rule, slo.status, shown))
    return _exporter(dashboard, shown)


def _body(
    dashboard: Dashboard, policy: StatusPolicy, identity: tuple[str, ...], shown: Shown
) -> Dashboard:
    for panel in [*_now_sli(policy, shown), *_now_budget(policy, shown)]:
        dashboard = dashboard.with_panel(panel)
    return (
        dashboard.with_row(Row("Error budget and burn rate"))
        .with_panel(detail_panels.burn_down(shown))
        .with_panel(detail_panels.burn_rates(policy, shown))
        .with_row(Row("SLI and events"))
        .with_panel(detail_panels.sli(shown))
        .with_panel(detail_panels.events(shown))
        .with_panel(detail_panels.windows(policy, identity, shown))
        .with_panel(detail_panels.conditions(shown))
        .with_row(Row("Status and data over time"))
        .with_panel(detail_panels.status_history(shown))
        .with_panel(detail_panels.data_ok_history(shown))
    )


def _now_sli(policy: StatusPolicy, shown: Shown) -> list[stat.Panel]:
    """Status, objective and the period's SLI."""
    plain = BigValueColorMode.NONE
    return [
        panels.stat(
            "Status",
            f"exhausted: no budget left; critical / warning / attention: burn rate over "
            f"{format_duration(policy.window)} above {policy.critical:g} / {policy.warning:g} / "
            f"{policy.attention:g}; no_data: no traffic in the whole period; unknown: the "
            "last evaluation failed (the numbers shown are the last good ones).",
            "none",
            [panels.value(panel_queries.status_code(shown.scope), "status", shown.value())],
            width=4,
        ).mappings([style.status_mapping()]),
        panels.stat(
            "Objective",
            "Share of good events the SLO promises over its period: the objective in force "
            "now (a progressive objective's phase changes it).",
            style.RATIO,
            [shown.now("slo_objective_ratio", "objective")],
            width=3,
        )
        .decimals(3)
        .color_mode(plain),
        panels.stat(
            "SLI over the period",
            "Good / total events over the SLO's whole rolling period.",
            style.RATIO,
            [panels.value(panel_queries.sli_over_period(shown.scope), "sli", shown.value())],
            width=3,
        )
        .decimals(3)
        .color_mode(plain),
    ]


def _now_budget(policy: StatusPolicy, shown: Shown) -> list[stat.Panel]:
    """What is left of the budget, in ratio, time and events, and when it runs out."""
    return [
        panels.stat(
            "Budget remaining",
            "Share of the period's error budget left; negative once overspent.",
            style.RATIO,
            [shown.now("slo_error_budget_remaining_ratio", "remaining")],
            width=4,
        )
        .decimals(1)
        .thresholds(style.budget_thresholds()),
        panels.stat(
            "Outage budget left",
            "The remaining budget as time of full outage.",
            style.SECONDS,
            [shown.now("slo_error_budget_remaining_seconds", "seconds")],
            width=3,
        ).thresholds(style.outage_thresholds()),
        panels.stat(
            "Bad events left",
            "Bad events still allowed in the period.",
            style.EVENTS,
            [shown.now("slo_error_budget_remaining_events", "events")],
            width=3,
        ).thresholds(style.outage_thresholds()),
        panels.stat(
            "Budget spent in",
            f"Time until the budget is spent at the burn rate over "
            f"{format_duration(policy.window)}; empty while nothing burns.",
            style.SECONDS,
            [shown.now("slo_error_budget_exhaustion_seconds", "exhaustion")],
            width=4,
        )
        .thresholds(style.exhaustion_thresholds())
        .no_value("not burning"),
    ]


def _exporter(dashboard: Dashboard, shown: Shown) -> Dashboard:
    """The health of the exporter that serves this SLO (matched on its job and instance)."""
    mine = panel_queries.serving(shown.scope)
    dashboard = dashboard.with_row(Row("slo-exporter"))
    for panel in [*_exporter_state(mine, shown), *_exporter_trends(mine)]:
        dashboard = dashboard.with_panel(panel)
    return dashboard


def _exporter_state(mine: str, shown: Shown) -> list[stat.Panel]:
    """Backend reached, config file valid, how old the numbers are."""
    return [
        panels.stat(
            "Backend",
            "Whether the exporter reached its PromQL backend in its last cycle.",
            "none",
            [panels.value(f"min(slo_exporter_backend_up {mine})", "backend")],
            width=6,
        ).mappings([style.BACKEND_UP]),
        panels.stat(
            "Config file",
            "0 while an invalid config file is ignored (the previous config keeps running).",
            "none",
            [panels.value(f"min(slo_exporter_config_last_reload_successful {mine})", "config")],
            width=6,
        ).mappings([style.RELOAD_OK]),
        panels.stat(
            "Numbers are from",
            "Age of the evaluation time these numbers describe (interval plus delay, "
            "plus more while evaluations fail).",
            style.SECONDS,
            [
                panels.value(
                    panel_queries.age("slo_evaluation_timestamp_seconds", shown.scope),
                    "age",
                    shown.value(),
                )
            ],
            width=6,
        ).color_mode(BigValueColorMode.NONE),
        panels.stat(
            "Last successful evaluation",
            "Time since this SLO was last evaluated without errors.",
            style.SECONDS,
            [
                panels.value(
                    panel_queries.age(
                        "slo_exporter_last_successful_evaluation_timestamp_seconds", shown.scope
                    ),
                    "success",
                    shown.value(),
                )
            ],
            width=6,
        ).color_mode(BigValueColorMode.NONE),
    ]


def _exporter_trends(mine: str) -> list[timeseries.Panel]:
    """Queries and failures, and the cycle's duration, over time."""
    return [
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
        ).override_by_query("errors", style.fixed_colour("red")),
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
        ),
    ]
