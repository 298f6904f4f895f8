"""Composite SLOs checked against the whole config, and given the SLOs they are made of.

Once every SLO is built, each composite's components must name SLOs of the
config; no composite may contain itself, directly or through others; a
grouped SLO cannot be a component (its groups are only known at evaluation
time); weights belong to ``method: weighted`` only, and an ``events``
composite cannot include a ``weighted`` one (whose "events" are weights) nor add
time slices to events.
Each problem is one line at the field that causes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

from exporter.config.problems import Problem
from exporter.config.schema_slo import SLOConfig
from exporter.domain.composite import CompositeMethod, find_cycle
from exporter.domain.model import SLO, CompositeSLI
from exporter.yaml_lines import YamlPath


def _component_problem(slo: SLO, name: str, by_name: dict[str, SLO], weighted: bool) -> str | None:
    part = by_name.get(name)
    if part is None:
        return f"no SLO named {name!r} in this config"
    if part.grouping is not None:
        return (
            f"{name!r} is grouped (group_by): its groups are only known at evaluation time, "
            "so it cannot be a component"
        )
    nested = part.sli if isinstance(part.sli, CompositeSLI) else None
    if not weighted and nested is not None and nested.method is CompositeMethod.WEIGHTED:
        return (
            f"{name!r} is a weighted composite, whose events are weights: an events "
            f"composite cannot add them up; make {slo.name!r} weighted too"
        )
    return None


def _check(configs: Sequence[SLOConfig], slos: Sequence[SLO], problems: list[Problem]) -> bool:
    by_name = {slo.name: slo for slo in slos}
    found = len(problems)
    for index, (config, slo) in enumerate(zip(configs, slos, strict=True)):
        if config.composite is None:
            continue
        weighted = config.composite.method == "weighted"
        for number, component in enumerate(config.composite.objectives):
            at: YamlPath = ("slos", index, "composite", "objectives", number)
            why = _component_problem(slo, component.slo, by_name, weighted)
            if why is not None:
                problems.append(Problem((*at, "slo"), why))
            if component.weight is not None and not weighted:
                problems.append(
                    Problem(
                        (*at, "weight"),
                        "weights apply to 'method: weighted'; 'events' adds the components' "
                        "events as they are",
                    )
                )
    graph = {
        slo.name: [c.slo for c in slo.sli.components]
        for slo in slos
        if isinstance(slo.sli, CompositeSLI)
    }
    cycle = find_cycle(graph)
    if cycle is not None:
        index = next(i for i, slo in enumerate(slos) if slo.name == cycle[0])
        problems.append(
            Problem(
                ("slos", index, "composite", "objectives"),
                "composites form a cycle: " + " -> ".join(cycle),
            )
        )
    return len(problems) == found


def _check_units(slo: SLO, index: int, by_name: dict[str, SLO], problems: list[Problem]) -> None:
    """An ``events`` composite adds events of one kind: requests, or time slices, not both."""
    sli = slo.sli
    if not isinstance(sli, CompositeSLI) or sli.method is not CompositeMethod.EVENTS:
        return
    leaves = [p for p in _parts(slo, by_name).values() if not isinstance(p.sli, CompositeSLI)]
    sliced = sorted(leaf.name for leaf in leaves if leaf.sliced)
    counted = sorted(leaf.name for leaf in leaves if not leaf.sliced)
    if sliced and counted:
        problems.append(
            Problem(
                ("slos", index, "composite", "method"),
                f"'events' would add time slices ({sliced[0]!r}) to events ({counted[0]!r}); "
                "use 'method: weighted' to combine their SLIs",
            )
        )


def _parts(slo: SLO, by_name: dict[str, SLO]) -> dict[str, SLO]:
    """Every SLO ``slo`` is made of, through nested composites too."""
    out: dict[str, SLO] = {}
    todo = [slo]
    while todo:
        current = todo.pop()
        if not isinstance(current.sli, CompositeSLI):
            continue
        for component in current.sli.components:
            if component.slo not in out:
                out[component.slo] = by_name[component.slo]
                todo.append(by_name[component.slo])
    return out


def resolve_composites(
    configs: Sequence[SLOConfig], slos: tuple[SLO, ...], problems: list[Problem]
) -> tuple[SLO, ...]:
    """``slos`` with every composite given its parts; problems for what cannot be."""
    if not _check(configs, slos, problems):
        return slos
    by_name = {slo.name: slo for slo in slos}
    for index, slo in enumerate(slos):
        _check_units(slo, index, by_name, problems)
    return tuple(
        replace(slo, sli=replace(slo.sli, parts=MappingProxyType(_parts(slo, by_name))))
        if isinstance(slo.sli, CompositeSLI)
        else slo
        for slo in slos
    )
