"""What every dashboard of ours shares: tags, time range, refresh, links, tooltips."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import AnnotationQuery, Dashboard, DashboardLink
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
)

from exporter.dashboards.names import TAG

REFRESH = "1m"


def frame(uid: str, title: str, description: str, since: str) -> Dashboard:
    """An empty dashboard showing ``now-since`` to now, with a menu of the other SLO dashboards."""
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .time(f"now-{since}", "now")
        .refresh(REFRESH)
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .annotation(_built_in_annotations())
        .link(
            DashboardLink("SLO dashboards")
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def _built_in_annotations() -> AnnotationQuery:
    """Grafana's own "Annotations & Alerts", which Grafana expects in every dashboard."""
    return (
        AnnotationQuery()
        .name("Annotations & Alerts")
        .datasource(DataSourceRef(type_val="grafana", uid="-- Grafana --"))
        .enable(True)
        .hide(True)
        .icon_color("rgba(0, 211, 255, 1)")
        .type("dashboard")
        .built_in(1)
    )
