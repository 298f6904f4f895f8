"""A finished cycle, written into the self-metrics and the log."""

from __future__ import annotations

import math

import structlog

from exporter.pipeline.cycle import EvaluationRun
from exporter.selfmetrics import SelfMetrics
from exporter.store.fill import Progress
from exporter.store.history import HistoryStore

log = structlog.get_logger("slo_exporter")

STORE_STATS_SECONDS = 300.0
"""How often the store's size and row counts are refreshed in the self-metrics."""


NAMED_SLOS = 5
"""SLOs named in the one line that says a backend failure failed many of them."""


def log_failures(run: EvaluationRun) -> None:
    """One line per SLO whose own query failed; one line per backend failure (an outage,
    a timeout) however many SLOs it failed, naming the first few and counting them, so
    an outage at 10,000 SLOs is a line a cycle, not 10,000."""
    shared: dict[tuple[str, str], list[str]] = {}
    for name, error in run.failures.items():
        if error.reason == "query":
            log.warning("slo_evaluation_failed", slo=name, reason=error.reason,
                        error=str(error), query=error.query)  # fmt: skip
        else:
            shared.setdefault((error.reason, str(error)), []).append(name)
    for (reason, text), names in shared.items():
        if len(names) == 1:
            error = run.failures[names[0]]
            log.warning("slo_evaluation_failed", slo=names[0], reason=reason, error=text,
                        query=error.query)  # fmt: skip
        else:
            log.warning("slo_evaluation_failed", slos=len(names), reason=reason, error=text,
                        first=sorted(names)[:NAMED_SLOS])  # fmt: skip


def record_cycle(metrics: SelfMetrics, run: EvaluationRun) -> None:
    """Queries, failures, backend state, duration and result of one cycle, in the
    self-metrics and the log (see :func:`log_failures`; one line for the cycle)."""
    log_failures(run)
    log.info(
        "evaluated",
        at=run.at,
        slos=len(run.results),
        failed=len(run.failures),
        queries=run.queries,
        duration_seconds=round(run.duration, 3),
    )
    metrics.queries.inc(run.queries)
    for reason, count in run.errors.items():
        metrics.query_errors.labels(reason=reason).inc(count)
    metrics.backend_up.set(1 if run.backend_reachable else 0)
    metrics.evaluation_duration.observe(run.duration)
    metrics.evaluations.labels(result="failure" if run.failures else "success").inc()
    metrics.groups.set(sum(len(groups) for groups in run.groups.values()))
    metrics.groups_dropped.set(sum(run.groups_dropped.values()))
    for path, done in run.paths.items():
        metrics.cycle_queries.labels(path=path).set(done.tally.total)
        metrics.cycle_slos.labels(path=path).set(done.slos)


class StoreMetrics:
    """The history store's self-metrics: what a cycle filled, and the file's size."""

    def __init__(self, metrics: SelfMetrics, store: HistoryStore, progress: Progress) -> None:
        self._metrics = metrics
        self._store = store
        self._progress = progress
        self._counted_at = -math.inf
        self._filled = progress.filled
        self._resets = progress.resets
        self._filling = False
        metrics.enable_store()
        metrics.backfill_remaining.set_function(lambda: progress.remaining)

    def record(self, run: EvaluationRun, now: float) -> None:
        """Range queries, filled seconds and resets of the cycle; size every 5 minutes."""
        m, progress = self._metrics, self._progress
        stored = run.paths.get("store")
        if stored is not None:
            m.range_queries.inc(stored.tally.sent["range"])
        m.filled.inc(progress.filled - self._filled)
        m.resets.inc(progress.resets - self._resets)
        self._filled, self._resets = progress.filled, progress.resets
        # Counting rows reads whole tables (tens of millions of buckets at 10,000 SLOs):
        # every 5 minutes, like the store's maintenance, not every cycle; and once the
        # store took over from the direct queries (a fill behind the cycles done).
        filled, self._filling = self._filling and not run.filling, run.filling > 0
        if now - self._counted_at >= STORE_STATS_SECONDS or filled:
            stats = self._store.stats()
            m.store_size.set(stats.size_bytes)
            m.store_buckets.set(stats.buckets)
            m.store_series.set(stats.series)
            m.store_selectors.set(stats.selectors)
            self._counted_at = now
