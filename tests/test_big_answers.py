"""Big backend answers are read off the event loop: probes and scrapes are not kept waiting.

A query whose answer is megabytes of JSON is decoded, checked and converted in a
worker thread, in pieces small enough that the event loop gets its turn every few
milliseconds; a ticker task standing in for ``/healthz`` measures the most work the
process did while it waited.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from fake_backend import FakeBackend

from exporter.errors import BackendResponseError
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.samples import Grid
from exporter.settings import BackendSettings
from exporter.sources.promql import PromQLSource

AT = 1_700_000_000
SELECTOR = 'http_requests_total{service="checkout"}'
SERIES = 45_000
"""Samples of the big instant answer: about 8 MB of JSON."""
RANGE_SERIES, POINTS = 330, 1000
"""Series and points of the big range answer: about 8 MB of JSON."""
TICK = 0.01
LONGEST_BUSY = 0.08
"""CPU seconds the process may spend between two ticks of the event loop. Reading an
8 MB answer on the loop took 0.12-0.36 s of CPU there; read off the loop, at most 15-47 ms
stay (a young-generation garbage collection of the results), even at a load of 7 on the
test machine's 2 cores."""
LONGEST_WAIT = 0.5
"""Seconds a call handed to the default thread pool may wait to start."""


def _labels(i: int) -> dict[str, str]:
    return {
        "__name__": "http_requests_total",
        "service": "checkout",
        "instance": f"10.0.{i // 250}.{i % 250}:9100",
        "handler": f"/api/v1/items/{i}",
        "code": "200",
    }


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps({"status": "success", "data": data}).encode()


@pytest.fixture(scope="module")
def big_vector() -> bytes:
    """An instant answer of SERIES samples valued 0.5, 1.5, 2.5, …"""
    result = [{"metric": _labels(i), "value": [AT, f"{i + 0.5}"]} for i in range(SERIES)]
    return _body({"resultType": "vector", "result": result})


@pytest.fixture(scope="module")
def big_matrix() -> bytes:
    """A range answer of RANGE_SERIES series with POINTS points each, one a minute."""
    values = [[AT + 60 * k, f"{k * 1.25}"] for k in range(POINTS)]
    result = [{"metric": _labels(i), "values": values} for i in range(RANGE_SERIES)]
    return _body({"resultType": "matrix", "result": result})


@dataclass(frozen=True)
class Reader:
    """The two ways the exporter reads a backend: the gate (direct queries) and the store's
    PromQL source behind it."""

    gate: QueryGate
    source: PromQLSource


@pytest.fixture
async def reader(fake_backend: FakeBackend) -> AsyncIterator[Reader]:
    """A gate and a PromQL source on the fake backend."""
    async with aiohttp.ClientSession() as session:
        client = PromQLClient(session, BackendSettings(url=fake_backend.url, timeout=60))
        gate = QueryGate(client, 16)
        yield Reader(gate, PromQLSource(gate))


async def _longest_busy(work: Awaitable[object]) -> float:
    """Await ``work`` while a task ticks every 10 ms on the event loop; the most CPU time
    this process spent between two ticks.

    CPU time of the process, not wall time: on a shared machine the gaps between ticks
    measure the neighbours too. What the process itself did while the loop could not
    tick is the cost of a big answer, wherever it held the GIL: parsing on the loop, or
    a worker thread decoding a whole document in one C call. The objects alive before
    (the rest of the test session's) are frozen out of the collector meanwhile: a full
    collection over a long pytest run's heap is the session's cost, not the answer's.
    """
    gc.collect()
    gc.freeze()
    ticks = [time.process_time()]

    async def tick() -> None:
        while True:
            await asyncio.sleep(TICK)
            ticks.append(time.process_time())

    ticker = asyncio.create_task(tick())
    try:
        await work
    finally:
        ticker.cancel()
        gc.unfreeze()
    ticks.append(time.process_time())  # work at the very end counts too
    return max(b - a for a, b in itertools.pairwise(ticks))


async def _series(reader: Reader) -> int:
    return len(await reader.gate.series(SELECTOR, AT))


async def _query(reader: Reader) -> int:
    answer = await reader.gate.query(SELECTOR, AT)
    assert answer.value == SERIES * SERIES / 2
    return answer.series


async def _snapshot(reader: Reader) -> int:
    snapshot = await reader.source.snapshot([SELECTOR], AT)
    return len(snapshot.values[SELECTOR])


async def _range(reader: Reader) -> int:
    matrix = await reader.gate.range_series(SELECTOR, AT, AT + 60 * (POINTS - 1), 60)
    return sum(len(samples) for _, samples in matrix)


async def _values(reader: Reader) -> int:
    read = await reader.source.values(SELECTOR, Grid(AT, AT + 60 * (POINTS - 1), 60))
    return sum(len(points) for points in read.values())


async def _events(reader: Reader) -> int:
    ends = Grid(AT, AT + 60 * (POINTS - 1), 60)
    sums = await reader.source.events(SELECTOR, ends)
    assert sums[AT] == 0.0
    return len(sums)


@pytest.mark.parametrize(
    ("answer", "read", "count"),
    [
        ("big_vector", _series, SERIES),
        ("big_vector", _query, SERIES),
        ("big_vector", _snapshot, SERIES),
        ("big_matrix", _range, RANGE_SERIES * POINTS),
        ("big_matrix", _values, RANGE_SERIES * POINTS),
        ("big_matrix", _events, POINTS),
    ],
    ids=["series", "query", "snapshot", "range", "values", "events"],
)
async def test_a_big_answer_does_not_stall_the_event_loop(
    request: pytest.FixtureRequest,
    fake_backend: FakeBackend,
    reader: Reader,
    answer: str,
    read: Callable[[Reader], Awaitable[int]],
    count: int,
) -> None:
    """While an 8 MB answer is read, checked and converted, a task ticking every 10 ms keeps
    ticking: the process never does 80 ms of work between two ticks (before, the whole
    parse ran between two), and every sample arrives."""
    fake_backend.default = request.getfixturevalue(answer)
    counted: list[int] = []

    async def work() -> None:
        counted.append(await read(reader))

    busy = await _longest_busy(work())
    assert counted == [count]
    assert busy < LONGEST_BUSY, f"{busy * 1000:.0f} ms of work while the event loop waited"


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (lambda body: b" \n" + body + b"\n ", None),
        (lambda body: body[:-1], "not JSON"),
        (lambda body: body + b" x", "not JSON"),
        (lambda body: body.replace(b"}, {", b"} {", 1), "not JSON"),
        (lambda body: body.replace(b'"value": [', b'"value": [,', 1), "not JSON"),
        (lambda body: body.replace(b'"data"', b"data", 1), "not JSON"),
        (lambda body: body.replace(b'"status": "success"', b'"status" "success"', 1), "not JSON"),
        (lambda body: body.replace(b"[", b"[" * 50_000, 1), "not JSON"),
        (lambda body: body.replace(b'"metric"', b'"metric": {}, "histogram"', 1), "histogram"),
    ],
    ids=[
        "whitespace",
        "cut",
        "trailing",
        "no-comma",
        "extra-comma",
        "bare-name",
        "no-colon",
        "deep",
        "histogram",
    ],
)
async def test_a_big_answer_is_read_exactly_as_a_small_one(
    fake_backend: FakeBackend,
    reader: Reader,
    big_vector: bytes,
    edit: Callable[[bytes], bytes],
    error: str | None,
) -> None:
    """A big answer (decoded in pieces) is refused for the same faults as a small one (decoded
    whole): broken JSON or nesting too deep for the decoder is a malformed answer, one line."""
    fake_backend.default = edit(big_vector)
    if error is None:
        assert len(await reader.gate.series(SELECTOR, AT)) == SERIES
        return
    with pytest.raises(BackendResponseError, match=error) as caught:
        await reader.gate.series(SELECTOR, AT)
    assert "\n" not in str(caught.value)


async def test_big_answers_leave_worker_threads_for_metrics(
    fake_backend: FakeBackend, reader: Reader, big_vector: bytes
) -> None:
    """While sixteen big answers are read at once (the default concurrency), work the
    exporter hands to a worker thread, such as rendering /metrics, still starts at once:
    the answers do not take every thread of the event loop's pool."""
    fake_backend.default = big_vector
    reads = asyncio.gather(*(reader.gate.series(f"{SELECTOR} + {i}", AT) for i in range(16)))
    waits: list[float] = []
    while not reads.done():
        asked = time.perf_counter()
        started = await asyncio.to_thread(time.perf_counter)
        waits.append(started - asked)
        await asyncio.sleep(TICK)
    assert [len(answer) for answer in await reads] == [SERIES] * 16
    assert len(waits) > 10
    assert max(waits) < LONGEST_WAIT, f"a worker thread was free only after {max(waits):.2f} s"
