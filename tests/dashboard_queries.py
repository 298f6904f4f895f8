"""Reading the queries out of generated dashboards, and filling in variables as Grafana does."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import promql_parser

SCRAPE_INTERVAL = 1
"""Seconds between scrapes of the live tests' Prometheus (the data source's scrape interval)."""

BUILTINS = {
    # Grafana: $__interval = range / max data points, never below the scrape interval.
    "__interval": f"{SCRAPE_INTERVAL}s",
    # Grafana: max($__interval + scrape interval, 4 x scrape interval).
    "__rate_interval": f"{4 * SCRAPE_INTERVAL}s",
    # The dashboard's time range in the live tests: the last minute.
    "__range": "60s",
}
"""Grafana's own variables, as Grafana sets them for the live tests' last-minute range."""

_VARIABLE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\$(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class PanelQuery:
    """One query of one panel."""

    dashboard: str
    panel: str
    panel_type: str
    ref: str
    expr: str
    instant: bool
    table: bool

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref}: {self.expr}"


def all_panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows and the panels inside rows included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def panel_queries(dashboard: Mapping[str, Any]) -> list[PanelQuery]:
    """Every query of every panel of ``dashboard``."""
    return [
        PanelQuery(
            dashboard=dashboard["uid"],
            panel=panel["title"],
            panel_type=panel["type"],
            ref=target["refId"],
            expr=target["expr"],
            instant=bool(target.get("instant")),
            table=target.get("format") == "table",
        )
        for panel in all_panels(dashboard)
        for target in panel.get("targets", [])
    ]


def variables(dashboard: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The dashboard's template variables by name."""
    return {variable["name"]: variable for variable in dashboard["templating"]["list"]}


def variable_names(text: str) -> set[str]:
    """Names of the variables ``text`` refers to (``$x``, ``${x}``, ``${x:format}``, ``[[x]]``)."""
    return {next(group for group in match.groups() if group) for match in _VARIABLE.finditer(text)}


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every variable replaced by its value; KeyError for one without a value."""

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        return values[name]

    return _VARIABLE.sub(value, text)


def label_values_query(query: str) -> tuple[str, str]:
    """``label_values(selector, label)`` as (selector, label)."""
    match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
    assert match, f"not a label_values() query: {query!r}"
    return match.group(1), match.group(2)


def metric_names(expr: str) -> set[str]:
    """Metric names of every selector in ``expr``; raises ValueError if it is not PromQL."""
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or "")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names
