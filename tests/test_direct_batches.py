"""The direct path sends the window queries of many SLOs in one request, with the same numbers.

On each real backend (Prometheus, VictoriaMetrics) the batched count must give every
window of every SLO exactly what one query per window gives, and both must equal the
generator's ground truth; a refused batch is asked again query by query so the failing
SLO is named, and the others still get their numbers.
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from truth import DAY, TRUTH, write_config

from exporter.config.loader import load_config
from exporter.errors import QueryError
from exporter.pipeline import direct_queries
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.generation import build_generation
from exporter.settings import Settings

OFFSETS = [0, -DAY, -2 * DAY + 600]


async def _evaluate(settings: Settings, at: float, *, fuse: bool = False) -> EvaluationRun:
    """The direct count at ``at``; by default each ratio window as its two queries (the
    fused ones are held to these in ``test_fused_against_backends.py``)."""
    async with aiohttp.ClientSession() as session:
        generation = build_generation(settings, session)
        assert generation.gate is not None
        counter = DirectCounter(generation.gate, fuse=fuse)
        return await Pipeline(generation.slos, [counter]).evaluate(at)


@pytest.mark.parametrize("offset", OFFSETS)
async def test_batched_windows_equal_one_query_each_and_the_truth(
    backend, tmp_path, monkeypatch, offset
):
    """Every window's good and total events are the same batched as one query per window,
    equal the ground truth, and the batched count sends a fraction of the requests."""
    settings = load_config(write_config(tmp_path, backend.url))
    at = backend.now + offset
    batched = await _evaluate(settings, at)
    monkeypatch.setattr(direct_queries, "BATCH_QUERIES", 1)
    alone = await _evaluate(settings, at)
    assert not batched.failures
    assert not alone.failures
    for name, result in batched.results.items():
        truth = TRUTH[name]
        assert result.windows.keys() == alone.results[name].windows.keys()
        for window, found in result.windows.items():
            counted = found.events
            single = alone.results[name].windows[window].events
            assert (counted.good, counted.total) == (single.good, single.total), (name, window)
            good = truth.good(backend.history, at, window)
            total = truth.total(backend.history, at, window)
            assert counted.total == pytest.approx(total, rel=1e-9, abs=1e-9), (name, window)
            assert counted.good == pytest.approx(good, rel=1e-9, abs=1e-9), (name, window)
    # the query-template SLO and the 7- and 30-day windows keep their own requests
    assert batched.queries * 2 < alone.queries, (batched.queries, alone.queries)


def _error_body(message: str) -> bytes:
    return json.dumps({"status": "error", "errorType": "bad_data", "error": message}).encode()


async def test_a_refused_batch_is_retried_query_by_query(fake_backend, tmp_path):
    """When the backend refuses a batch, each of its queries is asked alone: the SLO whose
    query the backend refuses fails with an error naming that query, the others count."""
    settings = load_config(write_config(tmp_path, fake_backend.url))
    culprit = 'sum(increase(http_requests_total{service="quiet"}[1h]))'
    fake_backend.answers[culprit] = _error_body("too many samples")
    run = await _evaluate(settings, 1_800_000_000)
    assert set(run.failures) == {"quiet-availability"}
    error = run.failures["quiet-availability"]
    assert isinstance(error, QueryError)
    assert error.query == culprit
    assert "too many samples" in str(error)
    assert set(run.results) == set(TRUTH) - {"quiet-availability"}


async def test_a_batch_that_times_out_names_the_batch(fake_backend, tmp_path):
    """A batch the backend does not answer in time fails every SLO in it with one error
    that says the query was one of a batch (not a query it never sent alone)."""
    path = write_config(tmp_path, fake_backend.url)
    path.write_text(path.read_text().replace("timeout: 10s", "timeout: 1s"))
    fake_backend.mode = "hang"
    run = await _evaluate(load_config(path), 1_800_000_000)
    assert set(run.failures) == set(TRUTH)
    batched = [e for e in run.failures.values() if "more queries in one batch" in str(e.query)]
    assert batched
    assert all(e.reason == "timeout" for e in batched)


async def test_long_windows_go_alone_short_ones_together(fake_backend, tmp_path):
    """A 30-day window's queries are sent one by one (reading a month of samples is the
    backend's work, which a batch would put on one core), while the 5-minute windows of
    every SLO share one request."""
    settings = load_config(write_config(tmp_path, fake_backend.url))
    run = await _evaluate(settings, 1_800_000_000, fuse=True)
    assert not run.failures
    sent = [q for q in fake_backend.queries if q is not None]
    month = [q for q in sent if "[30d]" in q]
    assert month
    assert not [q for q in month if "label_replace(" in q]
    five = [q for q in sent if "[5m]" in q and "search_" not in q]  # not the query template
    assert len(five) == 1
    assert five[0].count("label_replace(") > 2


@pytest.mark.parametrize(
    ("window", "size"),
    [(300, 50), (6 * 3600, 50), (86400, 12), (3 * 86400, 4), (7 * 86400, 1), (30 * 86400, 1)],
)
def test_batch_sizes_shrink_as_windows_grow(window: int, size: int):
    """At most 50 queries per batch, and no more window length in one than 50 times 6 h."""
    assert direct_queries.batch_size(window) == size
