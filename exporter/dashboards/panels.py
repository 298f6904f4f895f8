"""Panel and query builders with the settings every panel of ours shares.

Every panel and every query reads from the ``${datasource}`` variable, so a
dashboard works with whichever Prometheus-compatible data source is picked.
Stats and tables ask instant queries (the value now); time series and state
timelines ask range queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import stat as stat_builder
from grafana_foundation_sdk.builders import statetimeline as timeline_builder
from grafana_foundation_sdk.builders import table as table_builder
from grafana_foundation_sdk.builders import timeseries as timeseries_builder
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.dashboard import FieldColor
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    BigValueTextMode,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
    VisibilityMode,
)
from grafana_foundation_sdk.models.dashboard import DataSourceRef, FieldColorModeId
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE_VARIABLE = "datasource"

_P = TypeVar(
    "_P",
    stat_builder.Panel,
    timeseries_builder.Panel,
    timeline_builder.Panel,
    table_builder.Panel,
)


def _with_targets(panel: _P, targets: Sequence[Dataquery]) -> _P:
    for target in targets:
        panel = panel.with_target(target)
    return panel


def datasource() -> DataSourceRef:
    """The Prometheus data source chosen in the ``datasource`` variable."""
    return DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")


def series(expr: str, ref: str, legend: str) -> Dataquery:
    """A range query (for time series and state timelines)."""
    return Dataquery().datasource(datasource()).ref_id(ref).expr(expr).range().legend_format(legend)


def value(expr: str, ref: str, legend: str = "__auto") -> Dataquery:
    """An instant query (for stats)."""
    return (
        Dataquery().datasource(datasource()).ref_id(ref).expr(expr).instant().legend_format(legend)
    )


def rows(expr: str, ref: str) -> Dataquery:
    """An instant query in table format: one row per series, one column per label."""
    return value(expr, ref).format(PromQueryFormat.TABLE)


def stat(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Dataquery],
    width: int,
    height: int = 4,
) -> stat_builder.Panel:
    """A stat of the latest value, coloured by thresholds or value mappings."""
    panel = (
        stat_builder.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .unit(unit)
        .span(width)
        .height(height)
        .color_scheme(FieldColor().mode(FieldColorModeId.THRESHOLDS))
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.BACKGROUND)
        .text_mode(BigValueTextMode.AUTO)
    )
    return _with_targets(panel, targets)


def timeseries(
    title: str,
    description: str,
    unit: str,
    targets: Sequence[Dataquery],
    width: int,
    height: int = 8,
) -> timeseries_builder.Panel:
    """Lines over the dashboard's time range, legend below, threshold lines off."""
    panel = (
        timeseries_builder.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .unit(unit)
        .span(width)
        .height(height)
        .fill_opacity(10)
        .line_width(1)
        .show_points(VisibilityMode.NEVER)
        .legend(
            VizLegendOptions()
            .show_legend(True)
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
        )
        .tooltip(VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
        .thresholds_style(GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.OFF))
    )
    return _with_targets(panel, targets)


def state_timeline(
    title: str, description: str, targets: Sequence[Dataquery], width: int, height: int = 8
) -> timeline_builder.Panel:
    """One coloured band per series; colours come from value mappings."""
    panel = (
        timeline_builder.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .span(width)
        .height(height)
        .color_scheme(FieldColor().mode(FieldColorModeId.THRESHOLDS))
        .show_value(VisibilityMode.NEVER)
        .merge_values(True)
        .legend(
            VizLegendOptions()
            .show_legend(True)
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
        )
    )
    return _with_targets(panel, targets)


def table(
    title: str, description: str, targets: Sequence[Dataquery], width: int, height: int
) -> table_builder.Panel:
    """A table of instant values, coloured by thresholds or value mappings."""
    panel = (
        table_builder.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .span(width)
        .height(height)
        .color_scheme(FieldColor().mode(FieldColorModeId.THRESHOLDS))
    )
    return _with_targets(panel, targets)
