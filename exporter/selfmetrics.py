"""The exporter's own health, as ``slo_exporter_*`` series in a private registry.

Every series is one row of a table below: attribute, kind, name, help, labels (and a
label's values that exist from the start, so a counter reads 0 before its first
increment rather than being absent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase

from exporter import __version__

# "_created" series double the output and mean nothing for a long-lived daemon.
disable_created_metrics()  # type: ignore[no-untyped-call]

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
"""Seconds: a 100-SLO cycle takes well under a second, a 10,000-SLO one about 10."""


@dataclass(frozen=True)
class Series:
    """One self-metric: where it lives on :class:`SelfMetrics` and how it is exposed."""

    attribute: str
    kind: type[MetricWrapperBase]
    name: str
    help: str
    labels: tuple[str, ...] = ()
    known: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Label values to create up front, per label (one label only)."""


_PATHS = {"path": ("store", "direct")}
_REASONS = {"reason": ("timeout", "connection", "http", "malformed", "query")}

CORE: tuple[Series, ...] = (
    Series("build_info", Gauge, "slo_exporter_build_info",
           "Always 1; labelled with the version.", ("version",)),
    Series("evaluation_duration", Histogram, "slo_exporter_evaluation_duration_seconds",
           "Wall time of one evaluation cycle over every SLO."),
    Series("evaluations", Counter, "slo_exporter_evaluations",
           "Evaluation cycles run, by result (success: every SLO evaluated).", ("result",)),
    Series("missed_ticks", Counter, "slo_exporter_evaluation_ticks_missed",
           "Ticks of the interval grid that got no cycle because the one before ran past them."),
    Series("queries", Counter, "slo_exporter_queries", "PromQL queries sent to the backend."),
    Series("query_errors", Counter, "slo_exporter_query_errors",
           "Failed PromQL queries, by reason (timeout, connection, http, malformed, query).",
           ("reason",), _REASONS),
    Series("backend_up", Gauge, "slo_exporter_backend_up",
           "1 when the last cycle reached the backend without failures."),
    Series("slos", Gauge, "slo_exporter_slos",
           "SLOs of the loaded config this replica evaluates (all of them without --shard)."),
    Series("reload_ok", Gauge, "slo_exporter_config_last_reload_successful",
           "1 when the last config (re)load succeeded; 0 while an invalid file is ignored."),
    Series("reload_time", Gauge, "slo_exporter_config_last_reload_success_timestamp_seconds",
           "Wall-clock time of the last successful config load."),
    Series("cycle_queries", Gauge, "slo_exporter_cycle_queries",
           "Queries the last cycle sent, by path: store (store-backed SLOs: instant reads, "
           "backfill and gap fills), grouped (all groups of a grouped SLO at once), direct "
           "(window queries) or groups (grouped SLOs' discovery).", ("path",), _PATHS),
    Series("cycle_slos", Gauge, "slo_exporter_cycle_slos",
           "SLOs the last cycle counted, by path (store, grouped, direct; groups: grouped SLOs "
           "planned), a composite's components once more each.", ("path",), _PATHS),
    Series("groups", Gauge, "slo_exporter_slo_groups",
           "Groups of grouped SLOs (group_by) the last cycle found and evaluated."),
    Series("groups_dropped", Gauge, "slo_exporter_slo_groups_dropped",
           "Groups the last cycle found beyond their SLO's max_groups, not evaluated."),
    Series("shard", Gauge, "slo_exporter_shard_info",
           "Always 1; which share of the config's SLOs this replica evaluates (--shard).",
           ("index", "count")),
    Series("documents_built", Counter, "slo_exporter_slo_documents_builds",
           "Builds of the SLO list the JSON API and the status page serve: one per cycle "
           "or config reload that a request (or a recent one) asked for."),
)  # fmt: skip
"""Every daemon's series."""

STORE: tuple[Series, ...] = (
    Series("range_queries", Counter, "slo_exporter_range_queries",
           "Range queries sent to fill the history store (backfill and gaps)."),
    Series("filled", Counter, "slo_exporter_store_filled_seconds",
           "History read from the backend into the store by range queries, in seconds "
           "summed over selectors."),
    Series("backfill_remaining", Gauge, "slo_exporter_backfill_remaining_seconds",
           "History still to read in the running backfill or gap fill, in seconds summed "
           "over selectors; 0 when the store is current."),
    Series("resets", Counter, "slo_exporter_series_resets",
           "Counter resets seen in the raw values of the series the store follows (each "
           "one's new value counted as its increment)."),
    Series("store_size", Gauge, "slo_exporter_store_size_bytes",
           "Size of the history store file with its write-ahead log."),
    Series("store_buckets", Gauge, "slo_exporter_store_buckets",
           "Event buckets in the history store."),
    Series("store_series", Gauge, "slo_exporter_store_series",
           "Series whose last value the history store keeps."),
    Series("store_selectors", Gauge, "slo_exporter_store_selectors",
           "Selectors the history store keeps a history for."),
)  # fmt: skip
"""The history store's series (only a daemon with --data-dir has them)."""


class SelfMetrics:
    """Counters and gauges about evaluation, queries, the backend and config reloads."""

    build_info: Gauge
    evaluation_duration: Histogram
    evaluations: Counter
    missed_ticks: Counter
    queries: Counter
    query_errors: Counter
    backend_up: Gauge
    slos: Gauge
    reload_ok: Gauge
    reload_time: Gauge
    cycle_queries: Gauge
    cycle_slos: Gauge
    groups: Gauge
    groups_dropped: Gauge
    shard: Gauge
    documents_built: Counter
    range_queries: Counter
    filled: Counter
    backfill_remaining: Gauge
    resets: Counter
    store_size: Gauge
    store_buckets: Gauge
    store_series: Gauge
    store_selectors: Gauge

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._add(CORE)
        self.build_info.labels(version=__version__).set(1)

    def enable_store(self) -> None:
        """Add the history store's series."""
        self._add(STORE)

    def _add(self, table: Sequence[Series]) -> None:
        for row in table:
            metric: MetricWrapperBase
            if row.kind is Histogram:
                metric = Histogram(
                    row.name, row.help, row.labels, registry=self.registry, buckets=DURATION_BUCKETS
                )
            else:
                metric = row.kind(row.name, row.help, row.labels, registry=self.registry)
            for label, values in row.known.items():
                for value in values:
                    metric.labels(**{label: value})
            setattr(self, row.attribute, metric)

    def render(self) -> bytes:
        """Text exposition of the self-metrics."""
        return generate_latest(self.registry)
