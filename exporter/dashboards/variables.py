"""Template variables: the data source, and which services, teams and SLO to show.

Values come from the exporter's own series (``label_values(slo_objective_ratio, …)``),
so the dashboards follow whatever config the exporter runs. ``service`` and
``team`` are multi-value with ``.*`` as their "All" value: it matches series
without the label too, so SLOs that have no ``team`` still show under "All"
(Grafana's default "All" is a list of the values seen, which would drop them).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import (
    ConstantVariable,
    DatasourceVariable,
    QueryVariable,
)
from grafana_foundation_sdk.models.dashboard import (
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from exporter.dashboards.panels import DATASOURCE_VARIABLE, datasource

_SORT = VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC

ALL = ".*"
"""The value of "All" for multi-value variables."""


def datasource_variable() -> DatasourceVariable:
    """Any Prometheus-compatible data source (Prometheus, Thanos, Mimir, VictoriaMetrics)."""
    return DatasourceVariable(DATASOURCE_VARIABLE).label("Data source").type("prometheus")


def _labels(name: str, label: str, metric_selector: str) -> QueryVariable:
    return (
        QueryVariable(name)
        .label(label)
        .datasource(datasource())
        .query(f"label_values({metric_selector}, {name})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def _all_of(variable: QueryVariable) -> QueryVariable:
    return (
        variable.multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def service_variable() -> QueryVariable:
    """Services that have SLOs; all by default."""
    return _all_of(_labels("service", "Service", "slo_objective_ratio").sort(_SORT))


def team_variable() -> QueryVariable:
    """Values of the SLOs' own ``team`` label; all by default, SLOs without one included."""
    return _all_of(_labels("team", "Team", 'slo_objective_ratio{service=~"$service"}').sort(_SORT))


def slo_variable() -> QueryVariable:
    """One SLO of the selected services and teams."""
    selector = 'slo_objective_ratio{service=~"$service", team=~"$team"}'
    return _labels("slo", "SLO", selector).sort(_SORT)


def pinned_slo_variable(name: str) -> ConstantVariable:
    """The SLO of a dashboard made for one SLO: fixed, hidden, same queries as the generic one."""
    return ConstantVariable("slo").value(name)


def window_variable(default: str) -> QueryVariable:
    """One of the SLO's windows (``5m`` … the period); ``default`` is selected at first.

    Not sorted: Grafana's sorts would put ``30m`` after ``30d``; Prometheus'
    order is at least stable.
    """
    return _labels("window", "Events window", 'slo_window_events{slo="$slo"}').current(
        VariableOption(selected=True, text=default, value=default)
    )


def group_variable(name: str, label: str) -> QueryVariable:
    """The groups of the dashboard's SLO by one group label (``route``); all by default.

    Its values are those the SLO's series carry now; "All" (``.*``) keeps every group.
    Picked values reach the queries regex-escaped (multi-value), so ``/a+b`` is literal.
    """
    return _all_of(
        QueryVariable(name)
        .label(label)
        .datasource(datasource())
        .query(f'label_values(slo_sli_ratio{{slo="$slo"}}, {label})')
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(_SORT)
    )
