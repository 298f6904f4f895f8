"""A ratio window whose good (or bad) events narrow its total is asked as one query.

Which SLIs are fused, which regexes the exporter applies itself (only those Python's
``re`` reads as RE2 does), and what happens when the backend refuses the fused query
or answers rows the exporter cannot place: the SLO's own two queries are asked, so its
numbers (or its error) are those of the two queries. The numbers themselves are held
to the ground truth on real backends in ``test_fused_against_backends.py``.
"""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from truth import TRUTH, write_config

from exporter.config.loader import load_config
from exporter.domain.budgeting import Budgeting, Method
from exporter.domain.model import RatioSLI
from exporter.errors import QueryError
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.generation import build_generation
from exporter.promql.fused import Undecidable, fusion_of, same_in_python

TOTAL = 'http_requests_total{service="a"}'


@pytest.mark.parametrize(
    ("good", "bad", "query"),
    [
        (
            'http_requests_total{service="a",code!~"5.."}',
            None,
            'sum by (code) (increase(http_requests_total{service="a"}[1h]))',
        ),
        (
            None,
            'http_requests_total{code=~"5..",service="a"}',
            'sum by (code) (increase(http_requests_total{service="a"}[1h]))',
        ),
        (
            'http_requests_total{service="a",route="/pay",code!="500"}',
            None,
            'sum by (code, route) (increase(http_requests_total{service="a"}[1h]))',
        ),
        (
            'http_requests_total{service="a",zone="",code=~"2..|3.."}',
            None,
            'sum by (code, zone) (increase(http_requests_total{service="a"}[1h]))',
        ),
    ],
)
def test_good_that_narrows_its_total_is_one_query_by_the_extra_labels(good, bad, query):
    """Good (or bad) events written as the total's selector plus matchers on a few labels
    are asked as the total's increase summed by those labels."""
    fusion = fusion_of(RatioSLI(total=TOTAL, good=good, bad=bad), Budgeting())
    assert fusion is not None
    assert fusion.query(3600) == query


@pytest.mark.parametrize(
    "good",
    [
        'http_requests_total{service="a"}',  # no extra matcher: the same query already
        'http_responses_total{service="a",code!~"5.."}',  # another metric
        'http_requests_total{service="b",code!~"5.."}',  # drops a matcher of the total
        'http_requests_total{code!~"5.."}',
        'http_requests_total{service="a",code=~"^5..$"}',  # anchors
        'http_requests_total{service="a",code=~"(?i)ok"}',  # flags
        'http_requests_total{service="a",code=~"\\\\d+"}',  # a Perl class
        'http_requests_total{service="a",code=~"[[:digit:]]+"}',  # a POSIX class
        'http_requests_total{service="a","odd.label"="x"}',  # not a classic label name
        'http_requests_total{service="a",bool="x"}',  # a PromQL keyword
    ],
)
def test_good_that_does_not_narrow_its_total_keeps_two_queries(good):
    """Anything but the total's matchers plus simple extra ones keeps the two queries:
    another metric, a total matcher missing, or a regex Python might read otherwise."""
    assert fusion_of(RatioSLI(total=TOTAL, good=good), Budgeting()) is None


def test_time_slices_keep_their_own_queries():
    """A ratio SLI judged per time slice is not fused (its queries are subqueries)."""
    sli = RatioSLI(total=TOTAL, good='http_requests_total{service="a",code!~"5.."}')
    sliced = Budgeting(method=Method.TIMESLICES, slice=60, slice_target=99.0)
    assert fusion_of(sli, sliced) is None


@pytest.mark.parametrize(
    ("pattern", "same"),
    [
        ("5..", True),
        ("2..|3..", True),
        ("/(cart|pay)/[a-z0-9_]+", True),
        ("\\+Inf|0\\.3", True),
        ("a{2}b{1,3}c{2,}", True),
        ("", True),
        ("^5..$", False),
        ("(?i)ok", False),
        ("(?P<x>a)", False),
        ("\\d", False),
        ("\\pL", False),
        ("[[:alpha:]]", False),
        ("a{,3}", False),  # RE2: a literal; Python: a repetition
        ("a**", False),
        ("a{1001}", False),
        ("[a-]", False),
        ("[]a]", False),
        ("(a", False),
    ],
)
def test_regexes_applied_by_the_exporter_read_the_same_in_python(pattern, same):
    """Only literals, escaped punctuation, ``.``, groups, alternation, simple classes and
    plain repetitions are applied client-side; anchors, flags, named groups, Perl, POSIX
    and Unicode classes and ambiguous repetitions are left to the backend."""
    assert same_in_python(pattern) is same


@given(st.text(alphabet="ab5.|()[]{}^$*+?\\-,1:dpz", max_size=12))
def test_an_admitted_regex_compiles_and_matches_like_the_backend_anchored(pattern):
    """Every text is judged without an exception; an admitted one compiles in Python, and
    matching it in full equals matching it anchored as PromQL does (``^(?:p)$``)."""
    if not same_in_python(pattern):
        return
    compiled = re.compile(pattern, re.DOTALL)
    anchored = re.compile(f"^(?:{pattern})$", re.DOTALL)
    for value in ("", "a", "5xx", "ab", "a.b", "500", "(a)", "{1}"):
        assert (compiled.fullmatch(value) is None) == (anchored.search(value) is None)


@pytest.mark.parametrize(
    ("labels", "selected"),
    [
        ({"code": "200"}, True),
        ({"code": "503"}, False),
        ({"code": "5000"}, True),  # anchored: 5.. is three characters
        ({}, True),  # no code label: the empty string, not 5..
    ],
)
def test_rows_are_selected_with_promql_rules(labels, selected):
    """The extra matchers accept a row as Prometheus selects a series: regexes anchored,
    a missing label read as the empty string."""
    sli = RatioSLI(total=TOTAL, good='http_requests_total{service="a",code!~"5.."}')
    fusion = fusion_of(sli, Budgeting())
    assert fusion is not None
    assert fusion.selects(labels) is selected


def test_a_newline_under_a_dot_is_undecidable():
    """Backends differ on whether ``.`` matches a newline, so such a row is not placed."""
    fusion = fusion_of(
        RatioSLI(total=TOTAL, good='http_requests_total{service="a",code!~"5.."}'), Budgeting()
    )
    assert fusion is not None
    with pytest.raises(Undecidable):
        fusion.selects({"code": "5\n0"})


async def _evaluate(path, *, fuse: bool = True) -> EvaluationRun:
    async with aiohttp.ClientSession() as session:
        generation = build_generation(load_config(path), session)
        assert generation.gate is not None
        counter = DirectCounter(generation.gate, fuse=fuse)
        return await Pipeline(generation.slos, [counter]).evaluate(1_800_000_000)


def _error_body(message: str) -> bytes:
    return json.dumps({"status": "error", "errorType": "bad_data", "error": message}).encode()


QUIET_FUSED = 'sum by (code) (increase(http_requests_total{service="quiet"}[1h]))'
QUIET_TOTAL = 'sum(increase(http_requests_total{service="quiet"}[1h]))'
QUIET_BAD = 'sum(increase(http_requests_total{service="quiet",code=~"5.."}[1h]))'


async def test_a_refused_fused_query_falls_back_to_the_slos_own_queries(fake_backend, tmp_path):
    """When the backend refuses a fused query, the SLO's two queries are asked instead:
    it counts with them, and the other SLOs are unaffected."""
    fake_backend.answers[QUIET_FUSED] = _error_body("too many samples")
    run = await _evaluate(write_config(tmp_path, fake_backend.url))
    assert not run.failures
    assert set(run.results) == set(TRUTH)
    sent = [q for q in fake_backend.queries if q is not None]
    assert QUIET_TOTAL in sent
    assert QUIET_BAD in sent


async def test_an_slo_whose_own_query_is_refused_fails_naming_it(fake_backend, tmp_path):
    """A refused fused query whose fallback is refused too fails the SLO with the error of
    its own query, not of the fused one it never wrote."""
    fake_backend.answers[QUIET_FUSED] = _error_body("too many samples")
    fake_backend.answers[QUIET_TOTAL] = _error_body("too many samples")
    run = await _evaluate(write_config(tmp_path, fake_backend.url))
    assert set(run.failures) == {"quiet-availability"}
    error = run.failures["quiet-availability"]
    assert isinstance(error, QueryError)
    assert error.query == QUIET_TOTAL


async def test_rows_that_cannot_be_placed_are_asked_as_two_queries(fake_backend, tmp_path):
    """A fused answer with a newline in a label a ``.`` looks at is not guessed at: the
    SLO's two queries give its numbers."""
    row = {"metric": {"code": "5\n00"}, "value": [1_800_000_000, "7"]}
    fake_backend.answers[QUIET_FUSED] = {"resultType": "vector", "result": [row]}
    fake_backend.answers[QUIET_TOTAL] = 10.0
    fake_backend.answers[QUIET_BAD] = 4.0
    run = await _evaluate(write_config(tmp_path, fake_backend.url))
    assert not run.failures
    events = run.results["quiet-availability"].windows[3600].events
    assert (events.good, events.total) == (6.0, 10.0)


async def test_unfused_counting_sends_no_fused_query(fake_backend, tmp_path):
    """``DirectCounter(fuse=False)`` asks every window as its two queries."""
    run = await _evaluate(write_config(tmp_path, fake_backend.url), fuse=False)
    assert not run.failures
    assert not [q for q in fake_backend.queries if q is not None and "sum by (" in q]
