"""The ``services`` section: each entry expands into SLOs before the schema sees them.

What a template makes is defined in :mod:`exporter.config.templates`. Here
the file's entries are checked and expanded, the SLOs appended to ``slos``,
and a problem found later in a template-made SLO is pointed back at the
``services`` entry it came from.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from exporter.config import templates
from exporter.config.problems import Problem
from exporter.config.validation_errors import translate
from exporter.yaml_lines import dotted, quote


def expand_services(
    data: dict[Any, Any], problems: list[Problem]
) -> tuple[dict[Any, Any], dict[int, int]]:
    """Append the SLOs every valid ``services:`` entry expands to.

    Returns the new data and, for each appended SLO's index, the index of the
    service entry it came from (to point messages at the entry's lines).
    """
    raw_services = data.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        return data, {}
    raw_slos = data.get("slos")
    slos = list(raw_slos) if isinstance(raw_slos, list) else []
    origins: dict[int, int] = {}
    for index, raw in enumerate(raw_services):
        if not isinstance(raw, dict):
            continue  # the schema reports it
        try:
            service = templates.ServiceInput.model_validate(raw)
        except ValidationError as error:
            for item in error.errors():
                problem = translate({**item, "loc": ("services", index, *item["loc"])})
                problems.append(problem)
            continue
        for slo in templates.expand(raw, service):
            origins[len(slos)] = index
            slos.append(slo)
    return {**data, "slos": slos}, origins


def from_template(problem: Problem, data: dict[Any, Any], origins: dict[int, int]) -> Problem:
    """Point a problem inside a template-made SLO at its ``services:`` entry."""
    path = problem.shown if problem.shown is not None else problem.path
    if len(problem.path) < 2 or problem.path[0] != "slos" or problem.path[1] not in origins:
        return problem
    slo_index = problem.path[1]
    assert isinstance(slo_index, int)
    service = origins[slo_index]
    name = data["slos"][slo_index].get("name", "?")
    return Problem(
        ("services", service),
        f"{dotted(path[2:]) + ': ' if path[2:] else ''}{problem.message} "
        f"(in SLO {quote(name)} made by this template)",
    )
