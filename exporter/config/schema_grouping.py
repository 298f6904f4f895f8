"""The fields of a grouped SLO: ``group_by`` and ``max_groups``.

``group_by: [route]`` makes one SLO per value of ``route`` found in the
backend (:mod:`exporter.domain.grouping`); ``max_groups`` caps how many.
Which SLI kinds can be grouped, and that a group label is no label of the
SLO's own, is checked when the SLO is built (:mod:`exporter.config.build_grouping`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from exporter.config.schema_base import at_most
from exporter.config.schema_values import LabelName
from exporter.domain.grouping import DEFAULT_MAX_GROUPS

MAX_GROUP_LABELS = 8
MOST_GROUPS = 100_000
"""The largest ``max_groups`` a config may set."""


def _group_count(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"max_groups must be a whole number such as {DEFAULT_MAX_GROUPS}")
    if not 1 <= value <= MOST_GROUPS:
        raise ValueError(f"max_groups must be from 1 to {MOST_GROUPS:,}; got {value}")
    return value


def _unique(value: object) -> object:
    if isinstance(value, list):
        repeated = sorted({str(v) for v in value if value.count(v) > 1})
        if repeated:
            raise ValueError(f"label {repeated[0]!r} is listed twice")
        if not value:
            raise ValueError("list at least one label, e.g. [route], or remove the key")
    return value


GroupLabels = Annotated[
    list[LabelName],
    at_most(MAX_GROUP_LABELS, "group_by labels"),
    BeforeValidator(_unique),
]


GroupCount = Annotated[int, BeforeValidator(_group_count)]


def check_grouping_fields(group_by: list[str] | None, max_groups: int | None) -> None:
    """``max_groups`` needs ``group_by`` (called by ``SLOConfig``'s own check)."""
    if max_groups is not None and group_by is None:
        raise ValueError("'max_groups' only applies with 'group_by'")
