"""Native mode's step records for a grouped SLO: one series per group, ``sum by`` its labels.

The counters' exact step differences (:func:`exporter.rules.tiles.counter_step`) are
summed ``by (route)`` instead of into one number, so every record, window sum, ratio
and alert of the SLO carries the group's labels and each group is judged on its own.
A group exists while its total series do: its total has no ``vector(0)`` fallback
(that would be a group without labels); its good (or bad) events fall back to
``0 * total``, a zero for each group that has no such events in the step.
Counter SLIs only (ratio, completeness, classic-histogram latency).
"""

from __future__ import annotations

from exporter.domain.model import SLO, LatencySLI, RatioSLI
from exporter.promql.sli_queries import counter_selectors
from exporter.rules.tiles import StepQueries, counter_step


def grouped_refusal(slo: SLO) -> str | None:
    """Why native mode cannot record ``slo``'s groups, or None when it can."""
    sli = slo.sli
    if isinstance(sli, RatioSLI) or (isinstance(sli, LatencySLI) and not sli.native):
        return None
    return "native rules group counters only (ratio, latency on a classic histogram)"


def grouped_step_queries(slo: SLO, step: int, delay: int) -> StepQueries:
    """The step's events of every group of ``slo`` (a counter SLI, see :func:`grouped_refusal`)."""
    assert slo.grouping is not None
    sli = slo.sli
    assert isinstance(sli, RatioSLI | LatencySLI)
    by = slo.grouping.labels
    counters = counter_selectors(sli)
    total = counter_step(counters.total, step, delay, by)
    numerator = counter_step(counters.numerator, step, delay, by)
    return StepQueries(
        numerator=f"{numerator}\nor\n0 * {total}",
        total=total,
        counts_bad=counters.counts_bad,
        presence=counters.total.render(),
    )
