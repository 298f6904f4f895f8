"""The exporter's own health, as ``slo_exporter_*`` series in a private registry."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from exporter import __version__

# "_created" series double the output and mean nothing for a long-lived daemon.
disable_created_metrics()  # type: ignore[no-untyped-call]


class SelfMetrics:
    """Counters and gauges about evaluation, queries, the backend and config reloads."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.build_info = Gauge(
            "slo_exporter_build_info",
            "Always 1; labelled with the version.",
            ["version"],
            registry=r,
        )
        self.build_info.labels(version=__version__).set(1)
        self.evaluation_duration = Histogram(
            "slo_exporter_evaluation_duration_seconds",
            "Wall time of one evaluation cycle over every SLO.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.evaluations = Counter(
            "slo_exporter_evaluations",
            "Evaluation cycles run, by result (success: every SLO evaluated).",
            ["result"],
            registry=r,
        )
        self.missed_ticks = Counter(
            "slo_exporter_evaluation_ticks_missed",
            "Ticks of the interval grid that got no cycle because the one before ran past them.",
            registry=r,
        )
        self.queries = Counter(
            "slo_exporter_queries", "PromQL queries sent to the backend.", registry=r
        )
        self.query_errors = Counter(
            "slo_exporter_query_errors",
            "Failed PromQL queries, by reason (timeout, connection, http, malformed, query).",
            ["reason"],
            registry=r,
        )
        for reason in ("timeout", "connection", "http", "malformed", "query"):
            self.query_errors.labels(reason=reason)
        self.backend_up = Gauge(
            "slo_exporter_backend_up",
            "1 when the last cycle reached the backend without failures.",
            registry=r,
        )
        self.slos = Gauge(
            "slo_exporter_slos",
            "SLOs of the loaded config this replica evaluates (all of them without --shard).",
            registry=r,
        )
        self.reload_ok = Gauge(
            "slo_exporter_config_last_reload_successful",
            "1 when the last config (re)load succeeded; 0 while an invalid file is ignored.",
            registry=r,
        )
        self.reload_time = Gauge(
            "slo_exporter_config_last_reload_success_timestamp_seconds",
            "Wall-clock time of the last successful config load.",
            registry=r,
        )
        self.cycle_queries = Gauge(
            "slo_exporter_cycle_queries",
            "Queries the last cycle sent, by path: store (store-backed SLOs: instant reads, "
            "backfill and gap fills) or direct (window queries).",
            ["path"],
            registry=r,
        )
        self.cycle_slos = Gauge(
            "slo_exporter_cycle_slos",
            "SLOs the last cycle evaluated, by path (store or direct).",
            ["path"],
            registry=r,
        )
        for path in ("store", "direct"):
            self.cycle_queries.labels(path=path)
            self.cycle_slos.labels(path=path)
        self.shard = Gauge(
            "slo_exporter_shard_info",
            "Always 1; which share of the config's SLOs this replica evaluates (--shard).",
            ["index", "count"],
            registry=r,
        )

    def enable_store(self) -> None:
        """Add the history store's series (only a daemon with --data-dir has them)."""
        r = self.registry
        self.range_queries = Counter(
            "slo_exporter_range_queries",
            "Range queries sent to fill the history store (backfill and gaps).",
            registry=r,
        )
        self.filled = Counter(
            "slo_exporter_store_filled_seconds",
            "History read from the backend into the store by range queries, in seconds "
            "summed over selectors.",
            registry=r,
        )
        self.backfill_remaining = Gauge(
            "slo_exporter_backfill_remaining_seconds",
            "History still to read in the running backfill or gap fill, in seconds summed "
            "over selectors; 0 when the store is current.",
            registry=r,
        )
        self.resets = Counter(
            "slo_exporter_counter_resets",
            "Counter resets seen in raw values (each one's new value counted as its increment).",
            registry=r,
        )
        self.store_size = Gauge(
            "slo_exporter_store_size_bytes",
            "Size of the history store file with its write-ahead log.",
            registry=r,
        )
        self.store_buckets = Gauge(
            "slo_exporter_store_buckets", "Event buckets in the history store.", registry=r
        )
        self.store_series = Gauge(
            "slo_exporter_store_series",
            "Series whose last value the history store keeps.",
            registry=r,
        )
        self.store_selectors = Gauge(
            "slo_exporter_store_selectors",
            "Selectors the history store keeps a history for.",
            registry=r,
        )

    def render(self) -> bytes:
        """Text exposition of the self-metrics."""
        return generate_latest(self.registry)
