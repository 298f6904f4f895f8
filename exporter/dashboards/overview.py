"""The overview dashboard: every SLO of the selected services and teams at a glance.

Counts by status and alert conditions on top; then one table row per SLO
(objective, SLI over the period, budget remaining, status, burn rate per
window), worst budget first, each SLO linking to its detail dashboard; then
budgets and statuses over time.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig, TableSortByFieldState
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.models.common import (
    BigValueTextMode,
    GraphThresholdsStyleMode,
    TableCellBackgroundDisplayMode,
    TableColoredBackgroundCellOptions,
    TableColorTextCellOptions,
)
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, DynamicConfigValue

from exporter.dashboards import panel_queries, panels, style
from exporter.dashboards.frame import frame
from exporter.dashboards.names import DETAIL_UID, OVERVIEW_UID
from exporter.dashboards.panel_queries import OVERVIEW_SCOPE as SCOPE
from exporter.dashboards.panel_queries import selector
from exporter.dashboards.status_display import COLOURS, WORST_FIRST
from exporter.dashboards.variables import datasource_variable, service_variable, team_variable
from exporter.domain.model import Status, StatusPolicy

BUDGET_COLUMN = "Budget remaining"
DETAIL_LINK = (
    f"/d/{DETAIL_UID}?${{datasource:queryparam}}&var-slo=${{__value.raw}}&${{__url_time_range}}"
)
_SCRAPE_LABELS = ("Time", "job", "instance")


def overview(windows: Sequence[str], policy: StatusPolicy, groups: Sequence[str] = ()) -> Dashboard:
    """The overview, with a burn-rate column for each of ``windows`` (``5m``, ``1h``, …).

    ``policy`` colours the burn rates (attention, warning, critical). ``groups`` are the
    labels grouped SLOs are grouped by: a column each, next to the SLO, and in legends.
    """
    dashboard = (
        frame(
            OVERVIEW_UID,
            "SLO overview",
            "Every SLO of the selected services and teams: budgets, statuses and burn rates "
            "from slo-exporter.",
            since="24h",
        )
        .with_variable(datasource_variable())
        .with_variable(service_variable())
        .with_variable(team_variable())
    )
    for panel in _counts():
        dashboard = dashboard.with_panel(panel)
    return (
        dashboard.with_panel(_table(windows, policy, groups))
        .with_row(Row("History"))
        .with_panel(_budgets(_legend(groups)))
        .with_panel(_statuses(_legend(groups)))
    )


def _counts() -> list[stat.Panel]:
    by_status = panels.stat(
        "SLOs by status",
        "How many of the selected SLOs are in each status now.",
        "none",
        [
            panels.value(f"sum({_in_status(status)})", status.value, status.value)
            for status in WORST_FIRST
        ],
        width=10,
        height=5,
    ).text_mode(BigValueTextMode.VALUE_AND_NAME)
    for status in WORST_FIRST:
        by_status = by_status.override_by_query(
            status.value,
            [
                DynamicConfigValue(
                    id_val="thresholds", value=style.count_thresholds(COLOURS[status]).build()
                )
            ],
        )
    conditions = selector("slo_alert_condition", SCOPE)
    return [
        by_status,
        panels.stat(
            "Alert conditions holding",
            "Burn-rate alert conditions that hold now (long and short window over the factor).",
            "none",
            [panels.value(f"sum({conditions})", "firing")],
            width=4,
            height=5,
        ).thresholds(style.count_thresholds(COLOURS[Status.CRITICAL])),
        panels.stat(
            "Conditions held in range",
            "Alert conditions that held at some point of the dashboard's time range.",
            "none",
            [panels.value(f"sum(max_over_time({conditions}[$__range]))", "fired")],
            width=4,
            height=5,
        ).thresholds(style.count_thresholds(COLOURS[Status.WARNING])),
        panels.stat(
            "Not current",
            "SLOs whose numbers are stale (the last evaluation failed) or that had no "
            "traffic in their whole period (slo_data_ok = 0).",
            "none",
            [panels.value(f"sum(1 - {selector('slo_data_ok', SCOPE)})", "stale")],
            width=3,
            height=5,
        ).thresholds(style.count_thresholds(COLOURS[Status.WARNING])),
        panels.stat(
            "Backend",
            "Whether slo-exporter reached its PromQL backend in its last cycle.",
            "none",
            [panels.value("min(slo_exporter_backend_up)", "backend")],
            width=3,
            height=5,
        ).mappings([style.BACKEND_UP]),
    ]


def _in_status(status: Status) -> str:
    return selector("slo_status", SCOPE, f'status="{status.value}"')


def _legend(groups: Sequence[str]) -> str:
    """``{{slo}}``, followed by a group's labels (``{{slo}} {{route}}``)."""
    return " ".join(["{{slo}}", *(f"{{{{{label}}}}}" for label in groups)])


def _table(windows: Sequence[str], policy: StatusPolicy, groups: Sequence[str]) -> table.Panel:
    columns = _columns(windows)
    renames = {"slo": "SLO", **{label: label for label in groups}}
    renames.update({"service": "Service", "team": "Team"})
    renames.update({f"Value #{ref}": title for ref, (title, _) in columns.items()})
    panel = (
        panels.table(
            "SLOs, least budget first",
            "One row per SLO, and per group of a grouped SLO. The SLI and budget are over "
            "the SLO's period; burn rates over each window (1 spends exactly the budget over "
            "the period). Click an SLO for its details.",
            [panels.rows(expr, ref) for ref, (_, expr) in columns.items()],
            width=24,
            height=11,
        )
        .with_transformation(DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": dict.fromkeys(_SCRAPE_LABELS, True),
                    "indexByName": {name: index for index, name in enumerate(renames)},
                    "renameByName": renames,
                },
            )
        )
        .sort_by([TableSortByFieldState().display_name(BUDGET_COLUMN).desc(False)])
    )
    return _column_styles(panel, policy)


def _columns(windows: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each column's query, by reference: objective, SLI, budget, status, burn rates."""
    columns = {
        "objective": ("Objective", panel_queries.nameless(selector("slo_objective_ratio", SCOPE))),
        "sli": ("SLI (period)", panel_queries.sli_over_period(SCOPE)),
        "remaining": (
            BUDGET_COLUMN,
            panel_queries.nameless(selector("slo_error_budget_remaining_ratio", SCOPE)),
        ),
        "status": ("Status", panel_queries.status_code(SCOPE)),
    }
    for window in windows:
        columns[f"burn_{window}"] = (f"Burn {window}", panel_queries.burn_rate_in(SCOPE, window))
    return columns


def _column_styles(panel: table.Panel, policy: StatusPolicy) -> table.Panel:
    """Links, units, decimals, thresholds and coloured cells per column."""
    return (
        panel.override_by_name(
            "SLO",
            [
                DynamicConfigValue(
                    id_val="links", value=[{"title": "SLO details", "url": DETAIL_LINK}]
                )
            ],
        )
        .override_by_name("Objective", _ratio(2))
        .override_by_name("SLI (period)", _ratio(3))
        .override_by_name(
            BUDGET_COLUMN,
            [
                *_ratio(1),
                DynamicConfigValue(id_val="thresholds", value=style.budget_thresholds().build()),
                _cells(
                    TableColoredBackgroundCellOptions(mode=TableCellBackgroundDisplayMode.BASIC)
                ),
            ],
        )
        .override_by_name(
            "Status",
            [
                DynamicConfigValue(id_val="mappings", value=[style.status_mapping()]),
                _cells(
                    TableColoredBackgroundCellOptions(mode=TableCellBackgroundDisplayMode.BASIC)
                ),
            ],
        )
        .override_by_regexp(
            "Burn .*",
            [
                DynamicConfigValue(id_val="unit", value=style.BURN_RATE),
                DynamicConfigValue(id_val="decimals", value=2),
                DynamicConfigValue(
                    id_val="thresholds", value=style.burn_rate_thresholds(policy).build()
                ),
                _cells(TableColorTextCellOptions()),
            ],
        )
    )


def _ratio(decimals: int) -> list[DynamicConfigValue]:
    return [
        DynamicConfigValue(id_val="unit", value=style.RATIO),
        DynamicConfigValue(id_val="decimals", value=decimals),
    ]


def _cells(options: object) -> DynamicConfigValue:
    return DynamicConfigValue(id_val="custom.cellOptions", value=options)


def _budgets(legend: str) -> timeseries.Panel:
    return (
        panels.timeseries(
            "Error budget remaining",
            "Share of each SLO's budget left over its rolling period; below 0 it is overspent.",
            style.RATIO,
            [
                panels.series(
                    selector("slo_error_budget_remaining_ratio", SCOPE), "remaining", legend
                )
            ],
            width=12,
            height=9,
        )
        .thresholds(style.budget_thresholds())
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED))
    )


def _statuses(legend: str) -> statetimeline.Panel:
    return panels.state_timeline(
        "Status over time",
        "Each SLO's status: healthy, attention, warning, critical (by burn rate over the "
        "status window), exhausted (no budget left), no_data (no traffic in the period) or "
        "unknown (the last evaluation failed).",
        [panels.series(panel_queries.status_code(SCOPE), "status", legend)],
        width=12,
        height=9,
    ).mappings([style.status_mapping()])
