"""Budget adjustments on real backends: every window and the period without the events
inside the adjustments, equal to the generator's truth computed without them.

Query mode (``eval --at``) runs on Prometheus and VictoriaMetrics; store mode (the
history store filled from Prometheus, as ``run --data-dir`` does) and ``report`` on
Prometheus. The expected numbers are :func:`adjustment_truth.expected`: the exact
increments of each window less those of each excluded span inside it.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import aiohttp
import pytest
from adjustment_truth import (
    HOUR,
    NIGHTLY_SLOS,
    OUTAGE_SLOS,
    expected,
    outage_span,
    write_adjusted_config,
)
from pipelines import pipeline, stored
from truth import DAY, TRUTH

from exporter.cli import main
from exporter.config.loader import load_config
from exporter.domain.durations import parse_duration
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

ADJUSTED = (*OUTAGE_SLOS, *NIGHTLY_SLOS)
# now; ten minutes into the forgiven outage (the adjustment in force); a whole hour
# a day ago (the nightly hours and the outage inside the longer windows)
OFFSETS = {"now": 0, "in-outage": -2 * DAY + 600, "1d-ago": -DAY}


def _eval(config: Path, at: float) -> dict[str, dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--log-format", "json", "eval", "-c", str(config), "--at", str(at),
                     "--format", "json"])  # fmt: skip
    assert code == 0, out.getvalue()
    return {slo["name"]: slo for slo in json.loads(out.getvalue())["slos"]}


@pytest.fixture(scope="module")
def config_path(backend, tmp_path_factory) -> Path:
    return write_adjusted_config(tmp_path_factory.mktemp("adjusted"), backend.now, backend.url)


@pytest.fixture(scope="module")
def evaluations(backend, config_path) -> dict[str, dict[str, dict]]:
    """One ``eval --at`` per offset."""
    return {label: _eval(config_path, backend.now + o) for label, o in OFFSETS.items()}


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", ADJUSTED)
def test_eval_counts_every_window_without_the_adjusted_events(backend, evaluations, when, name):
    """``eval --at``: each window's good and total events equal the exact increments less
    those inside the adjustments (clipped to the window), on each backend."""
    at = backend.now + OFFSETS[when]
    slo = evaluations[when][name]
    for label, counted in slo["events"].items():
        good, total = expected(TRUTH[name], backend.history, backend.now, at, parse_duration(label))
        assert counted["total"] == pytest.approx(total, rel=1e-9, abs=1e-9), label
        assert counted["good"] == pytest.approx(good, rel=1e-9, abs=1e-9), label


def test_the_forgiven_outage_leaves_the_period_sli(backend, evaluations):
    """checkout-availability's 30-day SLI with the outage excluded is the truth without it,
    and higher than the SLI with it."""
    truth, history, now = TRUTH["checkout-availability"], backend.history, backend.now
    good, total = expected(truth, history, now, now, 30 * DAY)
    slo = evaluations["now"]["checkout-availability"]
    assert slo["sli"] == pytest.approx(good / total, rel=1e-12)
    with_outage = truth.good(history, now, 30 * DAY) / truth.total(history, now, 30 * DAY)
    assert slo["sli"] > with_outage
    start, end = outage_span(now)
    assert slo["budget_adjustments"]["excluded_seconds"] == end - start


def test_during_an_adjustment_it_is_active_and_short_windows_are_empty(evaluations):
    """Ten minutes into the forgiven outage the adjustment is in force: the 5m window has no
    events left (no burn rate, so no page), and eval names the adjustment."""
    slo = evaluations["in-outage"]["checkout-availability"]
    assert slo["budget_adjustments"]["active"] == ["outage-forgiven"]
    assert slo["events"]["5m"] == {"good": 0.0, "total": 0.0}
    assert slo["burn_rates"]["5m"] is None
    assert not any(a["firing"] and a["short_window"] == "5m" for a in slo["alerts"])
    assert evaluations["now"]["checkout-availability"]["budget_adjustments"]["active"] == []


@pytest.mark.parametrize("shift", [0, -DAY - 3 * HOUR], ids=["now", "27h-ago"])
async def test_store_mode_counts_the_same_as_the_truth(prometheus, tmp_path, shift):
    """The store path (a cold backfill from Prometheus, as ``run --data-dir`` starts) takes
    the same events out: every window equals the truth, the period within 0.1 % (its edge
    may cut a coarse bucket)."""
    now = prometheus.now
    at = now // HOUR * HOUR + shift
    settings = load_config(write_adjusted_config(tmp_path, now, prometheus.url))
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, settings.backend), 8)
        source = PromQLSource(gate)
        store = HistoryStore.open(tmp_path / "data")
        try:
            counters = [stored(HistoryKeeper(store), source, source), DirectCounter(gate)]
            run = await pipeline(settings.slos, counters).evaluate(at)
        finally:
            store.close()
    assert not run.failures
    assert run.paths["store"].slos >= len(OUTAGE_SLOS)
    for name in ADJUSTED:
        result = run.results[name]
        period = result.slo.period_window(at)
        for window, got in {**result.windows, period: result.period}.items():
            good, total = expected(TRUTH[name], prometheus.history, now, at, window)
            rel = 1e-3 if window == period else 1e-9
            assert got.events.total == pytest.approx(total, rel=rel, abs=1e-9), (name, window)
            assert got.events.good == pytest.approx(good, rel=rel, abs=1e-9), (name, window)
