"""Native-mode rules of a grouped SLO, evaluated over the test history, against truth.

The rules of ``api-availability`` grouped by ``route`` are backfilled level by level into
a Prometheus of their own (:mod:`rule_backfill`, as ``test_rules_native_backfill.py``
does for the ungrouped SLOs). Every record carries ``route``; each route's window events,
burn rates and remaining budget at T must equal the generator's truth for that route at
T - 1m (native mode counts steps that ended ``alerting.native_offset`` ago).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rule_backfill import (
    Server,
    evaluate_at,
    evaluate_range,
    import_samples,
    link_blocks,
    record_levels,
)
from truth import DAY, route_truth, write_grouped_config

from exporter.config import load_config
from exporter.domain.durations import format_duration
from exporter.rules.native import native_groups
from exporter.settings import Settings

OFFSETS = {"now": 0, "1d-ago": -DAY}


@dataclass
class Backfilled:
    server: Server
    settings: Settings
    history: object
    now: int


@pytest.fixture(scope="module")
def backfilled(prometheus, tmp_path_factory) -> Iterator[Backfilled]:
    """Every level of the grouped SLO's native records at the test times."""
    workdir: Path = tmp_path_factory.mktemp("grouped-native")
    settings = load_config(write_grouped_config(workdir, prometheus.url))
    levels = record_levels(native_groups(settings.slos, settings.alerting))
    times = [prometheus.now + offset for offset in OFFSETS.values()]
    step = settings.alerting.native_interval
    data = workdir / "data"
    link_blocks(prometheus.data_dir, data)
    first = max(times) - 8 * DAY + step
    steps = evaluate_range(
        prometheus.url, levels[0], max(first, prometheus.history.start), max(times), step
    )
    import_samples(steps, data, workdir)
    server = Server(data, workdir)
    try:
        server.start()
        for level in levels[1:]:
            import_samples(evaluate_at(server.url, level, times), data, workdir)
            server.restart()
        yield Backfilled(server, settings, prometheus.history, prometheus.now)
    finally:
        server.stop()


def _by_route(backfilled: Backfilled, query: str, at: float) -> dict[str, float]:
    return {
        dict(labels)["route"]: value
        for labels, value in backfilled.server.values(query, at).items()
    }


@pytest.mark.parametrize("when", list(OFFSETS))
def test_each_route_records_its_own_true_events_and_budget(backfilled: Backfilled, when: str):
    """Per route: window events and burn rates, and the remaining budget, equal the truth."""
    slo = backfilled.settings.slos[0]
    at = backfilled.now + OFFSETS[when]
    truth_at = at - backfilled.settings.alerting.native_offset
    history = backfilled.history
    for window in slo.windows:
        where = f'slo="{slo.name}",window="{format_duration(window)}"'
        totals = _by_route(backfilled, f"slo:total_events:increase{{{where}}}", at)
        bad = _by_route(backfilled, f"slo:bad_events:increase{{{where}}}", at)
        burns = _by_route(backfilled, f"slo:burn_rate:ratio{{{where}}}", at)
        assert totals, where
        for route, total in totals.items():
            truth = route_truth(route)
            good = truth.good(history, truth_at, window)
            assert total == truth.total(history, truth_at, window), (route, where)
            assert bad[route] == total - good, (route, where)
            if total:
                expected = (1 - good / total) / 0.01
                assert burns[route] == pytest.approx(expected, rel=1e-9), (route, where)
            else:
                assert route not in burns, (route, where)
    remaining = _by_route(backfilled, f'slo:error_budget_remaining:ratio{{slo="{slo.name}"}}', at)
    for route, value in remaining.items():
        truth = route_truth(route)
        good, total = (
            truth.good(history, truth_at, 7 * DAY),
            truth.total(history, truth_at, 7 * DAY),
        )
        assert value == pytest.approx(1 - (1 - good / total) / 0.01, rel=1e-9, abs=1e-9)
    assert "/pay" in remaining
