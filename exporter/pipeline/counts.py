"""What every way of counting events has in common: the seam of the pipeline.

An :class:`EventCounter` says which SLOs it can count and counts the good
and total events of every window of those SLOs at one time T. The direct
counter asks the backend one query per window; the store counter sums
buckets it keeps. Whatever counts them, the rules below are the same.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from exporter.domain.adjustments import Span
from exporter.domain.budget import WindowEvents, events_from_bad
from exporter.domain.model import SLO, LatencySLI
from exporter.errors import BackendError, QueryError
from exporter.pipeline.compiled import CompiledSLO
from exporter.samples import QueryTally

_Key = TypeVar("_Key")
_Answer = TypeVar("_Answer")

WindowCounts = Mapping[int, WindowEvents]
"""Events per window (seconds) of one SLO at T."""


@dataclass
class Counted:
    """What one counter found at T: events per SLO, or why an SLO could not be counted."""

    events: dict[str, WindowCounts] = field(default_factory=dict)
    failures: dict[str, BackendError] = field(default_factory=dict)
    tally: QueryTally = field(default_factory=QueryTally)
    """The requests sent for this count."""
    complete: bool = True
    """False while the counter's own history is incomplete (the store's backfill)."""
    later: list[CompiledSLO] = field(default_factory=list)
    """SLOs it cannot count yet (the store still filling their history): the pipeline
    gives them to the next counter that can count them, for this cycle."""
    handed_over: list[Callable[[], None]] = field(default_factory=list)
    """Called by the pipeline once ``later`` has been counted (or the cycle ended): the
    store starts the fills it held back, so they do not slow that count."""


class EventCounter(Protocol):
    """A way of counting an SLO's window events at T."""

    path: str
    """Its name in the self-metrics (``slo_exporter_cycle_queries{path=...}``)."""

    def can_count(self, slo: CompiledSLO) -> bool:
        """True when this counter can count every window of ``slo``."""
        ...

    async def count(self, slos: Sequence[CompiledSLO], at: float) -> Counted:
        """Events of every window of every SLO at ``at`` (``slo.windows_at(at)``)."""
        ...

    async def count_spans(
        self, slo: CompiledSLO, spans: Sequence[Span], at: float, tally: QueryTally
    ) -> dict[Span, WindowEvents]:
        """Events of ``slo`` inside each span (a budget adjustment); raises BackendError.

        Called after :meth:`count` at ``at``, which every span ends at or before;
        requests it sends are counted in ``tally``.
        """
        ...


def window_events(numerator: float, total: float, *, counts_bad: bool) -> WindowEvents:
    """Good and total events from a numerator that counts good or, else, bad events."""
    return events_from_bad(numerator, total) if counts_bad else WindowEvents(numerator, total)


def good_counts(
    numerator: Sequence[float], total: Sequence[float], *, counts_bad: bool
) -> Sequence[float]:
    """:func:`window_events`' rule over many windows at once: good per window."""
    if not counts_bad:
        return numerator
    return array("d", (t - n for n, t in zip(numerator, total, strict=True)))


def check_threshold_bucket(slo: SLO, bucket_series: int, total: float, at: float) -> None:
    """Refuse a latency threshold that is no bucket bound of the histogram.

    No series at the threshold while the ``+Inf`` bucket counted requests would
    count every request as slow, so such an SLO fails (a ``QueryError``) instead.
    """
    sli = slo.sli
    if not isinstance(sli, LatencySLI) or sli.native or slo.sliced:
        return
    if bucket_series == 0 and total > 0:
        raise QueryError(
            f"no bucket with le={sli.threshold:g} in {sli.histogram}: the threshold must be "
            "one of the histogram's bucket bounds (see the service's /metrics)",
            query=sli.histogram,
            at=at,
        )


def split_outcomes(
    keys: Sequence[_Key], outcomes: Sequence[_Answer | BaseException]
) -> tuple[dict[_Key, _Answer], dict[_Key, BackendError]]:
    """What ``asyncio.gather(..., return_exceptions=True)`` gave for each key: the
    answers, and the backend failures (that key's own failure); any other exception
    is a bug and is raised."""
    answers: dict[_Key, _Answer] = {}
    failures: dict[_Key, BackendError] = {}
    for key, outcome in zip(keys, outcomes, strict=True):
        if isinstance(outcome, BackendError):
            failures[key] = outcome
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            answers[key] = outcome
    return answers, failures
