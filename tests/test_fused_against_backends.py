"""Fused window queries give the two queries' numbers and the ground truth, on real backends.

On Prometheus and VictoriaMetrics, a direct count that asks each fusable ratio window as
one ``sum by (labels)`` query (batched with its window's other queries) must give every
window exactly what the two ``sum(increase(...))`` queries give, and both must equal the
generator's ground truth. The matchers the exporter applies to the fused rows must
select what the backend itself selects for the same matcher, on backfilled series.
"""

from __future__ import annotations

import re

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from truth import CONFIG, DAY, TRUTH, TruthSLO, not_5xx, ratio_slo

from exporter.config.loader import load_config
from exporter.domain.budgeting import Budgeting
from exporter.domain.model import RatioSLI
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.generation import build_generation
from exporter.promql.fused import fusion_of, same_in_python

OFFSETS = [0, -DAY, -2 * DAY + 600]
ROUTES = {"/cart", "/pay", "/new"}

EXTRA_SLOS = ratio_slo(
    "api-routes",
    "api",
    "99",
    'api_requests_total{service="api"}',
    good='api_requests_total{service="api",code!="500",route=~"/(cart|pay|ne.)"}',
) + ratio_slo(
    "api-errors-no-zone",
    "api",
    "99",
    'api_requests_total{service="api"}',
    bad='api_requests_total{service="api",zone="",code=~"5.*"}',
)


def _api(labels):
    return lambda h, t, w: h.increase("api_requests_total", labels, t, w)


EXTRA_TRUTH = {
    "api-routes": TruthSLO(
        "api-routes",
        99.0,
        7 * DAY,
        _api({"service": "api", "code": not_5xx, "route": lambda r: r in ROUTES}),
        _api({"service": "api"}),
    ),
    "api-errors-no-zone": TruthSLO(
        "api-errors-no-zone",
        99.0,
        7 * DAY,
        _api({"service": "api", "code": not_5xx}),  # good: the total less the bad
        _api({"service": "api"}),
    ),
}


async def _evaluate(path, at: float, *, fuse: bool) -> EvaluationRun:
    async with aiohttp.ClientSession() as session:
        generation = build_generation(load_config(path), session)
        assert generation.gate is not None
        counter = DirectCounter(generation.gate, fuse=fuse)
        return await Pipeline(generation.slos, [counter]).evaluate(at)


@pytest.mark.parametrize("offset", OFFSETS)
async def test_fused_windows_equal_two_queries_each_and_the_truth(backend, tmp_path, offset):
    """Every window of every SLO counts the same fused as with two queries, and equals the
    ground truth: ratio SLOs with good and with bad events, extra matchers on one and on
    two labels, a regex, a matcher on a label no series has, and no series at all."""
    path = tmp_path / "slos.yaml"
    path.write_text((CONFIG + EXTRA_SLOS).format(url=backend.url))
    at = backend.now + offset
    fused = await _evaluate(path, at, fuse=True)
    apart = await _evaluate(path, at, fuse=False)
    assert not fused.failures
    assert not apart.failures
    truths = {**TRUTH, **EXTRA_TRUTH}
    assert set(fused.results) == set(truths)
    for name, result in fused.results.items():
        for window, found in result.windows.items():
            counted = found.events
            single = apart.results[name].windows[window].events
            assert (counted.good, counted.total) == (single.good, single.total), (name, window)
            good = truths[name].good(backend.history, at, window)
            total = truths[name].total(backend.history, at, window)
            assert counted.total == pytest.approx(total, rel=1e-9, abs=1e-9), (name, window)
            assert counted.good == pytest.approx(good, rel=1e-9, abs=1e-9), (name, window)


def _selected(backend, selector: str, label: str) -> set[str]:
    """The values of ``label`` among the series the backend selects for ``selector``."""
    answer = backend.query(f"count by ({label}) ({selector})", backend.now)
    return {row["metric"].get(label, "") for row in answer["result"]}


def _selected_here(metric: str, matcher: str, label: str, values: set[str]) -> set[str]:
    fusion = fusion_of(RatioSLI(total=metric, good=f"{metric}{{{matcher}}}"), Budgeting())
    assert fusion is not None, matcher
    return {v for v in values if fusion.selects({label: v} if v else {})}


BUCKETS = 'http_request_duration_seconds_bucket{service="checkout"}'

CASES = [
    ("api_requests_total", "route", 'route=~"/(cart|pay)"'),
    ("api_requests_total", "route", 'route!~"/.a.*"'),
    ("api_requests_total", "route", 'route=~"/[a-m]+"'),
    ("api_requests_total", "route", 'route!="/cart"'),
    ("api_requests_total", "code", 'code=~"5.."'),
    ("api_requests_total", "code", 'code=~"5"'),
    ("api_requests_total", "zone", 'zone=""'),
    ("api_requests_total", "zone", 'zone=~"a|"'),
    ("api_requests_total", "zone", 'zone!~""'),
    (BUCKETS, "le", 'le=~"0\\\\.3|\\\\+Inf"'),
    (BUCKETS, "le", 'le=~"0\\\\.[0-9]{1,2}"'),
    (BUCKETS, "le", 'le!~"1|1\\\\.0"'),
]


@pytest.mark.parametrize(("metric", "label", "matcher"), CASES)
def test_rows_are_selected_as_the_backend_selects_series(backend, metric, label, matcher):
    """For each matcher in the table, the label values the exporter accepts among a
    metric's series are those the backend selects: anchored regexes, classes, counted
    repetitions, and a missing label as the empty string."""
    values = _selected(backend, metric, label)
    selector = metric.replace("}", f",{matcher}}}") if "{" in metric else f"{metric}{{{matcher}}}"
    here = _selected_here(metric.split("{")[0], matcher, label, values)
    assert here == _selected(backend, selector, label)


_PIECES = st.sampled_from(
    ["/", "a", "c", "p", "t", "y", "0", "1", "3", ".", "\\\\.", "\\\\+", "I", "n", "f"]
)
_ATOMS = st.one_of(
    _PIECES,
    st.sampled_from(["[a-z]", "[0-9]", "[^a]", "[/p]", ".*", ".+", "(a|/)", "(ca|pa)"]),
)
_REGEXES = st.lists(
    st.tuples(_ATOMS, st.sampled_from(["", "", "*", "+", "?", "{1,2}", "{2}"])),
    max_size=5,
).map(lambda parts: "".join(a + q for a, q in parts))
_ALTERNATIONS = st.lists(_REGEXES, min_size=1, max_size=3).map("|".join)


@pytest.mark.parametrize(("metric", "label"), [("api_requests_total", "route"), (BUCKETS, "le")])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(regex=_ALTERNATIONS, negated=st.booleans())
def test_generated_regexes_select_as_the_backend_does(backend, metric, label, regex, negated):
    """Regexes built from the label values' characters, classes, groups and repetitions
    select, client-side, exactly the label values the backend selects with them."""
    unescaped = regex.replace("\\\\", "\\")
    if not same_in_python(unescaped):
        return
    re.compile(unescaped)
    matcher = f'{label}{"!~" if negated else "=~"}"{regex}"'
    values = _selected(backend, metric, label)
    selector = metric.replace("}", f",{matcher}}}") if "{" in metric else f"{metric}{{{matcher}}}"
    here = _selected_here(metric.split("{")[0], matcher, label, values)
    assert here == _selected(backend, selector, label), matcher
