"""Ground truth for budget adjustments: the test config's SLOs with two adjustments, and
each window's events less those inside them, from the generator's exact increments.

The adjustments' times come from the history's ``now``: one forgives the checkout
outage (``(now - 2d, now - 2d + 20m]``) with the two whole hours around it, the other
takes a nightly hour out of the search SLO every day. The spans are listed here by
plain arithmetic (no rrule parsing), so the truth does not share the exporter's code.
"""

from __future__ import annotations

from pathlib import Path

from cli_run import rfc3339
from history import History
from truth import CONFIG, DAY, TruthSLO

HOUR = 3600
OUTAGE_SLOS = ("checkout-availability", "checkout-errors", "checkout-latency")
NIGHTLY_SLOS = ("search-availability",)

ADJUSTMENTS = """\
budget_adjustments:
  - name: outage-forgiven
    reason: the load balancer's fault, not checkout's (postmortem PM-17)
    from: {outage_from}
    to: {outage_to}
    slos: [checkout-availability, checkout-errors, checkout-latency]
  - name: nightly-reindex
    reason: search rebuilds its index every night
    from: {nightly_from}
    duration: 1h
    rrule: FREQ=DAILY
    match: {{service: search}}
"""


def outage_span(now: int) -> tuple[int, int]:
    """Two whole hours holding the checkout outage."""
    start = (now - 2 * DAY) // HOUR * HOUR
    return start, start + 2 * HOUR


def nightly_start(now: int) -> int:
    """The first nightly hour: 20 days back, at a whole hour 5 hours before now's."""
    return now // HOUR * HOUR - 20 * DAY - 5 * HOUR


def spans(name: str, now: int) -> list[tuple[int, int]]:
    """Every excluded span of SLO ``name`` (the nightly ones up to a day after ``now``)."""
    if name in OUTAGE_SLOS:
        return [outage_span(now)]
    if name in NIGHTLY_SLOS:
        first = nightly_start(now)
        return [(first + k * DAY, first + k * DAY + HOUR) for k in range(22)]
    return []


def adjusted_config(now: int, url: str) -> str:
    """The truth config with the two adjustments, pointed at ``url``."""
    start, end = outage_span(now)
    return CONFIG.format(url=url) + ADJUSTMENTS.format(
        outage_from=rfc3339(start), outage_to=rfc3339(end), nightly_from=rfc3339(nightly_start(now))
    )


def write_adjusted_config(directory: Path, now: int, url: str) -> Path:
    """Write :func:`adjusted_config` to ``directory/slos.yaml``."""
    path = directory / "slos.yaml"
    path.write_text(adjusted_config(now, url))
    return path


def expected(
    truth: TruthSLO, history: History, now: int, at: float, window: float
) -> tuple[float, float]:
    """Good and total events of ``truth`` in ``(at - window, at]`` outside its spans."""
    good, total = truth.good(history, at, window), truth.total(history, at, window)
    for start, end in spans(truth.name, now):
        a, b = max(start, at - window), min(end, at)
        if b > a:
            good -= truth.good(history, b, b - a)
            total -= truth.total(history, b, b - a)
    return good, total
