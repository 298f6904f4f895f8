"""Which dashboards to generate, as plain JSON-ready data keyed by file name.

Without a config: the generic overview and detail dashboards, which work for
any config through their variables (the committed ``grafana/dashboards``).
With a config's SLOs: the overview with a burn-rate column for exactly the
windows they use (and a column for each label grouped SLOs are grouped by, named
in legends too), the generic detail dashboard, and one detail dashboard
pinned to each SLO, all coloured by the SLOs' status thresholds.

Pure functions: nothing here reads or writes files.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard

from exporter.config.build_slo import DEFAULT_STATUS
from exporter.config.schema import DEFAULT_WINDOWS
from exporter.dashboards.detail import detail, pinned_detail
from exporter.dashboards.names import file_name
from exporter.dashboards.overview import overview
from exporter.domain.durations import format_duration, parse_duration
from exporter.domain.model import SLO, StatusPolicy

JSON = dict[str, Any]


def generic_dashboards() -> dict[str, JSON]:
    """The dashboards for any config: overview and detail, default windows and thresholds."""
    windows = sorted(DEFAULT_WINDOWS, key=parse_duration)
    return _by_file([overview(windows, DEFAULT_STATUS), detail(DEFAULT_STATUS)])


def config_dashboards(slos: Sequence[SLO]) -> dict[str, JSON]:
    """The dashboards for these SLOs: overview, detail, and one detail dashboard per SLO."""
    windows = sorted({window for slo in slos for window in slo.windows})
    policy = shared_policy(slos)
    groups = sorted({label for slo in slos if slo.grouping for label in slo.grouping.labels})
    built = [
        overview([format_duration(window) for window in windows], policy, groups),
        detail(policy),
        *(pinned_detail(slo) for slo in slos),
    ]
    return _by_file(built)


def shared_policy(slos: Sequence[SLO]) -> StatusPolicy:
    """The status policy every SLO has, or the built-in default when they differ."""
    policies = {slo.status for slo in slos}
    return policies.pop() if len(policies) == 1 else DEFAULT_STATUS


def _by_file(dashboards: Sequence[Dashboard]) -> dict[str, JSON]:
    result: dict[str, JSON] = {}
    for builder in dashboards:
        data = _numbered(plain(builder.build()))
        result[file_name(data["uid"])] = data
    return result


def plain(value: object) -> Any:
    """SDK objects as plain dicts, lists, strings and numbers (what ``json`` writes)."""
    if isinstance(value, enum.Enum):
        return value.value
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return plain(to_json())
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _numbered(dashboard: JSON) -> JSON:
    """Give every panel (rows and their panels included) a stable id: 1, 2, … in order."""
    next_id = 1
    for panel in dashboard.get("panels", []):
        for item in (panel, *panel.get("panels", [])):
            item["id"] = next_id
            next_id += 1
    return dashboard
