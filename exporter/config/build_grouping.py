"""A grouped SLO's ``group_by`` as a domain :class:`~exporter.domain.grouping.Grouping`.

Only SLIs whose events come from selectors can be grouped (ratio,
completeness, latency, bool_gauge): each group's selectors get matchers for
its label values. A group label must not be one of the SLO's own ``labels``
(its series would carry the label twice).
"""

from __future__ import annotations

from exporter.config.problems import Problem
from exporter.config.schema_slo import SLOConfig
from exporter.domain.grouping import DEFAULT_MAX_GROUPS, Grouping

GROUPABLE_KINDS = ("ratio", "completeness", "latency", "bool_gauge")
"""SLI kinds whose selectors a group's matchers can narrow."""


def grouping(config: SLOConfig, index: int, problems: list[Problem]) -> Grouping | None:
    """The SLO's grouping (None when it has no ``group_by``); problems for what cannot be."""
    if config.group_by is None:
        return None
    at = ("slos", index, "group_by")
    kind = config.sli_kind
    if kind not in GROUPABLE_KINDS:
        problems.append(
            Problem(
                at,
                f"a {kind} SLI cannot be grouped: group_by adds matchers to selectors, so it "
                f"needs one of {', '.join(GROUPABLE_KINDS)} (write the 'by' into a query SLI "
                "as separate SLOs instead)",
            )
        )
        return None
    clash = [label for label in config.group_by if label in config.labels]
    if clash:
        problems.append(
            Problem(
                at,
                f"label {clash[0]!r} is both a group label and one of the SLO's labels; "
                "each group's series get it from the data, so remove it from 'labels'",
            )
        )
        return None
    return Grouping(tuple(config.group_by), config.max_groups or DEFAULT_MAX_GROUPS)
