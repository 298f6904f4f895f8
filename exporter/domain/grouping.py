"""Grouped SLOs: one definition, one SLO per combination of label values.

An SLO with ``group_by: [route]`` stands for as many SLOs as there are
values of ``route`` with events in its period; they are found at each
evaluation (:mod:`exporter.pipeline.groups`). Each group is an ordinary
:class:`~exporter.domain.model.SLO` whose selectors match its values only:
it is named here, and its series carry the group's labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_GROUPS = 1000
"""Groups one grouped SLO evaluates at most; more are dropped (and counted)."""


@dataclass(frozen=True)
class Grouping:
    """The labels an SLO is grouped by, and how many groups it may have."""

    labels: tuple[str, ...]
    max_groups: int = DEFAULT_MAX_GROUPS


GroupValues = tuple[str, ...]
"""One group's label values, in the order of :attr:`Grouping.labels`."""


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def member_name(name: str, group: Mapping[str, str]) -> str:
    """The key of one group of the grouped SLO ``name``: ``checkout{route="/cart"}``.

    Unique per group (values escaped as in the text exposition); outputs that
    list SLOs by name show it, while the series carry ``slo="checkout"`` and
    the group's labels.
    """
    inner = ",".join(f'{label}="{_escape(value)}"' for label, value in group.items())
    return f"{name}{{{inner}}}"


def capped(
    found: set[GroupValues] | frozenset[GroupValues], limit: int
) -> tuple[tuple[GroupValues, ...], int]:
    """The groups to evaluate (at most ``limit``, smallest values first) and how many
    were dropped; the order makes the choice the same from one cycle to the next."""
    ordered = tuple(sorted(found))
    return ordered[:limit], max(len(ordered) - limit, 0)
