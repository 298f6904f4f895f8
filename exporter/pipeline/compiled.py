"""An SLO as the pipeline uses it: its queries and its store streams worked out once.

A config generation compiles every SLO when it is loaded, so no cycle parses
a selector. The queries of a fixed window are written the first time a counter
asks for them and kept (the store counter never asks); the window of a calendar
period changes length from cycle to cycle, so its queries are written each time,
from the selectors parsed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from exporter.domain.model import SLO, CompositeSLI
from exporter.promql.fused import Fusion, fusion_of
from exporter.promql.sli_queries import SLIQueries, WindowQueries
from exporter.store.streams import StoredSLI, stored_sli


@dataclass(frozen=True)
class CompiledSLO:
    """One SLO with its window queries and the store streams of its events."""

    slo: SLO
    sli_queries: SLIQueries
    stored: StoredSLI | None
    """The streams the history store counts it from (None: it cannot)."""
    fusion: Fusion | None = None
    """Its windows' two counts from one query (``promql.fused``), when its selectors allow."""
    written: dict[int, WindowQueries] = field(default_factory=dict, compare=False)
    """The queries of its fixed windows, written when first asked for: an SLO the store
    counts never asks (at 50,000 SLOs, 800,000 query texts not kept)."""

    @property
    def name(self) -> str:
        """The SLO's name."""
        return self.slo.name

    def queries(self, window: int) -> WindowQueries:
        """The numerator and total queries over ``window`` seconds."""
        found = self.written.get(window)
        if found is None:
            found = self.sli_queries.window(window)
            if window in self.slo.windows:
                self.written[window] = found
        return found


def compile_slo(slo: SLO) -> CompiledSLO:
    """Parse ``slo``'s selectors (the queries of its windows are written when asked; a
    composite has none: its events are worked out from its components', see
    ``composites``)."""
    queries = SLIQueries(slo.sli, slo.budgeting)
    if isinstance(slo.sli, CompositeSLI):
        return CompiledSLO(slo=slo, sli_queries=queries, stored=None)
    return CompiledSLO(
        slo=slo,
        sli_queries=queries,
        stored=stored_sli(slo, queries.selectors),
        fusion=fusion_of(slo.sli, slo.budgeting),
    )


def compile_slos(
    slos: Iterable[SLO], earlier: Iterable[CompiledSLO] = ()
) -> tuple[CompiledSLO, ...]:
    """``slos`` compiled; one equal to an ``earlier`` SLO of the same name keeps its
    compiled form (a reload), so only new and changed SLOs are compiled."""
    kept = {compiled.name: compiled for compiled in earlier}
    return tuple(_reused(slo, kept.get(slo.name)) or compile_slo(slo) for slo in slos)


def _reused(slo: SLO, earlier: CompiledSLO | None) -> CompiledSLO | None:
    return earlier if earlier is not None and earlier.slo == slo else None
