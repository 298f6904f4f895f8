"""A store-backed cycle reads many selectors per instant query, with the same answers.

On each real backend the batched snapshot must give, for every selector,
exactly the series and values that selector gives alone (overlapping
selectors, a selector that matches nothing, a name that needs the
``{__name__=...}`` form); a refused batch falls back to one query per
selector; an answer the batch cannot be split by is a clear error.
"""

from __future__ import annotations

import json
import math

import aiohttp
import promql_parser
import pytest
from fake_backend import Data

from exporter.errors import BackendResponseError, QueryError
from exporter.promql import batch
from exporter.promql import client as client_module
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.settings import BackendSettings
from exporter.sources.promql import PromQLSource

SELECTORS = [
    'http_requests_total{service="checkout"}',
    'http_requests_total{service="checkout",code=~"5.."}',  # overlaps the first
    'http_requests_total{service="quiet"}',
    "search_requests_total",
    'http_request_duration_seconds_bucket{service="checkout",le="+Inf"}',
    'http_requests_total{service="nowhere"}',  # matches nothing
    '{__name__="search_errors_total"}',
]


@pytest.mark.parametrize("per_query", [1, 2, 3, len(SELECTORS)])
async def test_batched_snapshot_equals_one_query_per_selector(backend, monkeypatch, per_query):
    """Every selector gets exactly its own series and values, however the batches are cut,
    and the cycle sends one query per batch."""
    monkeypatch.setattr(batch, "MAX_SELECTORS", per_query)
    at = backend.now - 600
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, BackendSettings(url=backend.url))
        source = PromQLSource(QueryGate(client, 4))
        snapshot = await source.snapshot(SELECTORS, at)
        assert source.tally.sent == {"instant": math.ceil(len(SELECTORS) / per_query)}
        for selector in SELECTORS:
            answer = await client.series(selector, at)
            alone = {frozenset(labels.items()): v for labels, v in answer}
            assert snapshot.values[selector] == alone, selector
    assert snapshot.values['http_requests_total{service="nowhere"}'] == {}
    assert (
        len(snapshot.values['http_requests_total{service="checkout"}'])
        > len(snapshot.values['http_requests_total{service="checkout",code=~"5.."}'])
        > 0
    )


def test_batches_are_bounded_by_count_and_length(monkeypatch):
    """A batch holds at most MAX_SELECTORS selectors and stays under the length bound,
    unless a single selector is longer; order is kept."""
    selectors = [f'm{{i="{i}"}}' for i in range(250)]
    batches = batch.plan(selectors)
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [s for b in batches for s in b] == selectors
    monkeypatch.setattr(batch, "MAX_QUERY_CHARS", 300)
    long = "m{" + 'a="' + "x" * 400 + '"}'
    batches = batch.plan([selectors[0], long, *selectors[1:6]])
    assert all(len(batch.query(b)) <= 300 for b in batches if long not in b)
    assert [long] in batches


def _depth(expr: object) -> int:
    """How many ``or`` operators deep the deepest selector of a parsed batch sits."""
    if isinstance(expr, promql_parser.ParenExpr):
        return _depth(expr.expr)
    if isinstance(expr, promql_parser.BinaryExpr):
        assert str(expr.op) == "or"
        return 1 + max(_depth(expr.lhs), _depth(expr.rhs))
    return 0


@pytest.mark.parametrize("count", [1, 2, 3, 7, 64, 100])
def test_a_batch_is_a_balanced_tree_of_or(count):
    """The branches are joined as a balanced tree (log2 n deep, not a chain n deep, which
    costs the backend n^2/2 lookups), every selector once, in order."""
    selectors = [f'm{{i="{i}"}}' for i in range(count)]
    text = batch.query(selectors)
    assert _depth(promql_parser.parse(text)) == math.ceil(math.log2(count))
    assert [text.index(s) for s in selectors] == sorted(text.index(s) for s in selectors)


@pytest.mark.parametrize(
    "labels",
    [{"__name__": "m"}, {"__name__": "m", batch.TAG: "7"}, {"__name__": "m", batch.TAG: "x"}],
)
def test_an_answer_that_cannot_be_split_is_an_error(labels):
    """A series without a tag naming one of the batch's selectors is refused, not guessed."""
    with pytest.raises(ValueError, match=batch.TAG):
        batch.split(["m", "n"], [(labels, 1.0)])


async def test_a_refused_batch_is_retried_selector_by_selector(fake_backend):
    """When the backend refuses the batch query (a limit, a query error), each selector is
    asked alone, so one bad selector is named in the error and the others still answer."""
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, BackendSettings(url=fake_backend.url))
        source = PromQLSource(QueryGate(client, 2))
        fake_backend.mode = "query_error"
        with pytest.raises(QueryError) as caught:
            await source.snapshot(["a", "b"], 1_000_000)
    assert fake_backend.queries[:2] == [batch.query(["a", "b"]), "a"]
    assert caught.value.query == "a"


def _series(name: str, count: int, **labels: str) -> Data:
    """A vector of ``count`` series of ``name``, each valued 1."""
    result = [
        {"metric": {"__name__": name, "i": str(i), **labels}, "value": [0, "1"]}
        for i in range(count)
    ]
    return {"resultType": "vector", "result": result}


async def test_a_batch_answer_over_the_size_limit_is_read_selector_by_selector(
    fake_backend, monkeypatch
):
    """A batch whose answer is over the answer size limit is asked again one selector at a
    time; each of those answers fits, so the snapshot still has every series."""
    alone = {s: _series(s, 100) for s in ("a", "b")}
    tagged = [_series(s, 100, **{batch.TAG: str(n)}) for n, s in enumerate(alone)]
    both = {"resultType": "vector", "result": tagged[0]["result"] + tagged[1]["result"]}
    fake_backend.answers.update(alone)
    fake_backend.answers[batch.query(list(alone))] = both
    limit = max(len(json.dumps({"status": "success", "data": d})) for d in alone.values()) + 100
    assert len(json.dumps({"status": "success", "data": both})) > limit
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", limit)
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, BackendSettings(url=fake_backend.url))
        source = PromQLSource(QueryGate(client, 2))
        snapshot = await source.snapshot(list(alone), 1_000_000)
    assert fake_backend.queries == [batch.query(list(alone)), "a", "b"]
    assert {s: len(v) for s, v in snapshot.values.items()} == {"a": 100, "b": 100}
    assert source.tally.errors == {"malformed": 1}


_UNTAGGED = {"metric": {"__name__": "a"}, "value": [1_000_000, "1"]}


async def test_a_batch_answer_without_tags_is_a_malformed_answer(fake_backend):
    """A backend that answers the batch with untagged series gets a BackendResponseError
    (counted as malformed), not values filed under the wrong selector."""
    fake_backend.default = json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": [_UNTAGGED]}}
    ).encode()
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, BackendSettings(url=fake_backend.url))
        source = PromQLSource(QueryGate(client, 2))
        with pytest.raises(BackendResponseError, match=batch.TAG):
            await source.snapshot(["a", "b"], 1_000_000)
    assert source.tally.errors == {}
