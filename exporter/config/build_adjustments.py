"""``budget_adjustments`` checked against the SLOs and attached to the SLOs they select.

Each adjustment selects SLOs by name or by ``match``; a name no SLO has, a
match no SLO fits and two adjustments overlapping in time for one SLO are
problems. A recurring adjustment is compared occurrence by occurrence, over
the years its rule is expanded for (:mod:`exporter.config.recurrence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from exporter.config.problems import Problem
from exporter.config.recurrence import occurrences
from exporter.config.schema_adjustments import AdjustmentConfig, AdjustmentMatch
from exporter.domain.adjustments import Adjustment
from exporter.domain.model import SLO


def attach_adjustments(
    configs: Sequence[AdjustmentConfig], slos: tuple[SLO, ...], problems: list[Problem]
) -> tuple[SLO, ...]:
    """``slos``, each with the adjustments that select it; problems for bad selections."""
    if not configs:
        return slos
    unreadable: list[Problem] = []
    adjustments = [_adjustment(c, i, unreadable) for i, c in enumerate(configs)]
    problems.extend(unreadable)
    chosen: dict[str, list[int]] = {}
    for index, config in enumerate(configs):
        for name in _selected(config, index, slos, problems):
            chosen.setdefault(name, []).append(index)
    if not unreadable:
        _check_overlaps(adjustments, chosen, problems)
    return tuple(
        replace(slo, adjustments=tuple(adjustments[i] for i in chosen[slo.name]))
        if slo.name in chosen
        else slo
        for slo in slos
    )


def _adjustment(config: AdjustmentConfig, index: int, problems: list[Problem]) -> Adjustment:
    starts: tuple[float, ...] = ()
    if config.rrule is not None:
        try:
            starts = occurrences(config.rrule, config.start, config.length)
        except ValueError as error:
            problems.append(Problem(("budget_adjustments", index, "rrule"), str(error)))
    return Adjustment(
        name=config.name,
        start=config.start,
        length=config.length,
        reason=config.reason,
        recurrence=config.rrule or "",
        starts=starts,
    )


def _selected(
    config: AdjustmentConfig, index: int, slos: tuple[SLO, ...], problems: list[Problem]
) -> list[str]:
    """The names of the SLOs ``config`` selects."""
    if config.match is not None:
        names = [slo.name for slo in slos if _matches(config.match, slo)]
        if not names:
            problems.append(
                Problem(("budget_adjustments", index, "match"), "matches no SLO of this config")
            )
        return names
    known = {slo.name for slo in slos}
    names = []
    for position, name in enumerate(config.slos or ()):
        if name in known:
            names.append(name)
        else:
            problems.append(
                Problem(("budget_adjustments", index, "slos", position), f"unknown SLO {name!r}")
            )
    return list(dict.fromkeys(names))


def _matches(match: AdjustmentMatch, slo: SLO) -> bool:
    if match.service is not None and slo.service != match.service:
        return False
    return all(slo.labels.get(k) == v for k, v in match.labels.items())


def _check_overlaps(
    adjustments: Sequence[Adjustment], chosen: dict[str, list[int]], problems: list[Problem]
) -> None:
    """Two adjustments of one SLO must not overlap; each pair is reported once."""
    reported: set[tuple[int, int]] = set()
    known: dict[tuple[int, ...], list[tuple[int, int]]] = {}  # many SLOs share a selection
    for slo, indices in chosen.items():
        key = tuple(indices)
        if key not in known:
            known[key] = _overlapping(adjustments, key)
        for pair in known[key]:
            if pair in reported:
                continue
            reported.add(pair)
            first, second = pair
            when = _clash(adjustments[first], adjustments[second])
            problems.append(
                Problem(
                    ("budget_adjustments", second, "from"),
                    f"adjustment {adjustments[second].name!r} overlaps adjustment "
                    f"{adjustments[first].name!r} (budget_adjustments[{first}]) for SLO "
                    f"{slo!r} at {when}; adjustments of one SLO must not overlap",
                )
            )


def _overlapping(
    adjustments: Sequence[Adjustment], indices: tuple[int, ...]
) -> list[tuple[int, int]]:
    if len(indices) < 2:
        return []
    spans = sorted((s, e, i) for i in indices for s, e in _every(adjustments[i]))
    pairs = []
    latest_end, latest = float("-inf"), -1
    for start, end, index in spans:
        if start < latest_end and index != latest:
            pairs.append((min(index, latest), max(index, latest)))
        if end > latest_end:
            latest_end, latest = end, index
    return pairs


def _every(adjustment: Adjustment) -> list[tuple[float, float]]:
    """Every occurrence of ``adjustment``."""
    return [(s, s + adjustment.length) for s in adjustment.starts or (adjustment.start,)]


def _clash(first: Adjustment, second: Adjustment) -> str:
    """The first time both adjustments are in force, as RFC 3339."""
    for start, end in _every(second):
        for other_start, _ in first.spans(start, end):
            moment = max(start, other_start)
            return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "an unknown time"
