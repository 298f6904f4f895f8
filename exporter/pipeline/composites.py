"""Composite SLOs in the pipeline: count their components, then combine, once per cycle.

A composite is never routed to a counter. Instead, every SLO it is made of
that counts events itself (a *leaf*, found through nested composites too) is
counted once more over the composite's windows, as a hidden copy named
``<composite>/<leaf>`` that goes to the counters like any SLO (identical
queries are still sent once). After counting, the composite's events per
window are combined from those copies' (:func:`exporter.domain.composite.combine`,
nested composites first) and evaluated like any SLO's. A failed copy fails
its composite, with the copy's error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from exporter.domain.budget import WindowEvents
from exporter.domain.composite import combine
from exporter.domain.model import SLO, CompositeSLI
from exporter.pipeline.compiled import CompiledSLO, compile_slo
from exporter.pipeline.counts import WindowCounts

_EventsOf = Callable[[str], Mapping[int, WindowEvents]]

SEPARATOR = "/"
"""Between a composite's name and a leaf's in a hidden copy's name (no SLO name has it)."""


def copy_name(composite: str, leaf: str) -> str:
    """The name of the copy of ``leaf`` counted for ``composite``."""
    return f"{composite}{SEPARATOR}{leaf}"


def counted_copies(composite: SLO) -> tuple[CompiledSLO, ...]:
    """The leaves of ``composite``, each over the composite's windows and period, with
    its own budget adjustments and the composite's."""
    sli = composite.sli
    assert isinstance(sli, CompositeSLI)
    return tuple(
        compile_slo(
            replace(
                leaf,
                name=copy_name(composite.name, leaf.name),
                windows=composite.windows,
                period=composite.period,
                calendar=composite.calendar,
                alerts=(),
                # a component's adjustments hold inside the composite, and the
                # composite's own hold for every component (overlaps are merged)
                adjustments=(*leaf.adjustments, *composite.adjustments),
            )
        )
        for leaf in sli.leaves()
    )


def composite_events(
    composite: SLO, counted: Mapping[str, WindowCounts], at: float
) -> dict[int, WindowEvents]:
    """The composite's events per window at ``at``, from its copies' ``counted`` events."""
    sli = composite.sli
    assert isinstance(sli, CompositeSLI)
    windows = composite.windows_at(at)
    memo: dict[str, dict[int, WindowEvents]] = {}

    def events_of(name: str) -> Mapping[int, WindowEvents]:
        part = sli.parts[name]
        if not isinstance(part.sli, CompositeSLI):
            return counted[copy_name(composite.name, name)]
        if name not in memo:
            memo[name] = _combined(part.sli, events_of, windows)
        return memo[name]

    return _combined(sli, events_of, windows)


def _combined(
    sli: CompositeSLI, events_of: _EventsOf, windows: Sequence[int]
) -> dict[int, WindowEvents]:
    parts = [(c.weight, events_of(c.slo)) for c in sli.components]
    return {w: combine(sli.method, ((weight, ev[w]) for weight, ev in parts)) for w in windows}
