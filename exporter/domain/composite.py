"""Composite SLOs: one SLO made of others, and how their events combine.

A composite lists component SLOs by name. Its window events are worked out
from theirs over the composite's own windows, once they are counted:

* ``events``: the components' good and total events summed, as one stream
  of events (a user journey: every request of every step counts once);
* ``weighted``: the components' SLIs averaged with their weights, each
  component with traffic in the window counting ``weight`` times. OpenSLO
  gives an objective of a composite SLO a ``compositeWeight`` (a number
  above 0, default 1; ``enhancements/v2alpha.md``, section *SLO* →
  *Objectives*); the weighted mean of the components' SLIs is how a weight
  acts here. The window's "events" are then weights: good is the weighted
  sum of the SLIs, total the sum of the weights, so good / total is the
  composite SLI and every budget formula applies unchanged.

A component may itself be a composite; the loader refuses cycles.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from exporter.domain.budget import WindowEvents


class CompositeMethod(enum.StrEnum):
    """How a composite's events come from its components'."""

    EVENTS = "events"
    WEIGHTED = "weighted"


@dataclass(frozen=True)
class Component:
    """One component of a composite: an SLO's name and its weight."""

    slo: str
    weight: float = 1.0


def combine(method: CompositeMethod, parts: Iterable[tuple[float, WindowEvents]]) -> WindowEvents:
    """The composite's events over one window from its components' ``(weight, events)``."""
    good = total = 0.0
    for weight, events in parts:
        if method is CompositeMethod.EVENTS:
            good += events.good
            total += events.total
        elif events.total > 0:
            good += weight * min(max(events.good / events.total, 0.0), 1.0)
            total += weight
    return WindowEvents(good, total)


def find_cycle(graph: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
    """A cycle of names in ``graph`` (each name to the names it is made of), closed
    (first name repeated last), or None when there is none."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if index == 0:
                if name in on_path:
                    return (*path[path.index(name) :], name)
                if name in done:
                    continue
                path.append(name)
                on_path.add(name)
            children = graph.get(name, ())
            if index < len(children):
                stack.append((name, index + 1))
                stack.append((children[index], 0))
            else:
                done.add(name)
                on_path.discard(name)
                path.pop()
    return None
