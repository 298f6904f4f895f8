"""What a detail dashboard shows: the matchers that pick its series and how legends read.

A detail dashboard shows one SLO (``slo="$slo"``). For a grouped SLO it also has
one variable per group label (:func:`group_variables`): its values are the
groups the exporter serves now, every group by default, and every query is
filtered by them, so a legend or a stat value names the group it belongs to
(``/cart: 1h``).
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders.dashboard import QueryVariable
from grafana_foundation_sdk.builders.prometheus import Dataquery

from exporter.dashboards import panels
from exporter.dashboards.panel_queries import DETAIL_SCOPE, selector
from exporter.dashboards.variables import group_variable

OWN_VARIABLES = frozenset({"datasource", "service", "team", "slo", "window"})
"""Variables of the detail dashboards themselves; a group label of the same name gets
a variable named ``group_<label>``."""


def variable_name(label: str) -> str:
    """The name of a group label's variable: the label's own, unless the dashboard has one."""
    return f"group_{label}" if label in OWN_VARIABLES else label


@dataclass(frozen=True)
class Shown:
    """The series a detail dashboard shows (``scope``) and the group labels they carry."""

    scope: str = DETAIL_SCOPE
    groups: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        """The legend text naming a series' group (``{{route}}``); empty without groups."""
        return ", ".join(f"{{{{{label}}}}}" for label in self.groups)

    def legend(self, text: str) -> str:
        """``text`` as the legend of a series, led by its group: ``{{route}}: {{window}}``."""
        return f"{self.group}: {text}" if self.groups else text

    def value(self, fallback: str = "__auto") -> str:
        """The legend of a stat's values: the group (one value per group), else ``fallback``."""
        return self.group if self.groups else fallback

    def now(self, metric: str, ref: str) -> Dataquery:
        """A stat's instant query of one of the SLO's gauges, a value per group shown."""
        return panels.value(selector(metric, self.scope), ref, self.value())


def grouped(labels: tuple[str, ...]) -> Shown:
    """What the detail dashboard of an SLO grouped by ``labels`` shows: the groups picked."""
    picked = [f'{label}=~"${{{variable_name(label)}}}"' for label in labels]
    return Shown(", ".join([DETAIL_SCOPE, *picked]), labels)


def group_variables(labels: tuple[str, ...]) -> list[QueryVariable]:
    """One variable per group label, offering the values the SLO's groups have now."""
    return [group_variable(variable_name(label), label) for label in labels]
