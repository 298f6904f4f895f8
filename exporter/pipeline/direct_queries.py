"""The queries of one direct count: each distinct query sent once, most of them in batches.

Most window queries are one aggregate of at most one sample, such as
``sum(increase(sel[30d]))`` (:attr:`~exporter.promql.sli_queries.WindowQueries.batchable`).
One request per query costs a round trip, an HTTP answer and a JSON decode on both
sides; at a cold start or in ``eval`` there are thousands. So the batchable queries of
one window are sent together, tagged and joined with ``or`` the way the store reads its
snapshots (:mod:`exporter.promql.batch`), and the answer is split back per query; the
longer the window, the fewer per batch (:func:`batch_size`).

A refused batch (the backend's query error, or an answer too large to read) is asked
again query by query, so the error an SLO fails with names its own query; any other
failure (a timeout, the backend down) fails every query of the batch with one error
that names the batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

from exporter.errors import BackendError, BackendResponseError, QueryError
from exporter.promql import batch
from exporter.promql.answers import QueryValue
from exporter.promql.client import AnswerTooLarge
from exporter.promql.gate import QueryGate

BATCH_QUERIES = 50
"""Window queries per batch at most: fewer than the store's 100 selectors, as a window's
``increase()`` costs the backend more than a bare selector."""
BATCH_WINDOW_SECONDS = 50 * 6 * 3600
"""Window length summed over a batch at most: 50 queries of 6 h or less, 12 of 1 d, 4 of
3 d, and a 30-day window alone. A query runs on one core of the backend, and a long
window's cost is reading its samples, not the request: on the benchmark's Prometheus a
30-day ``increase()`` of 4 series took 14 ms alone and 30 ms per query in a batch of 50
(which ran on one core), while 5-minute to 1-day ones took 0.1-0.4 ms per query in a
batch against 0.8 ms alone."""


def batch_size(window: int) -> int:
    """How many queries of ``window`` seconds go in one batch."""
    return max(1, min(BATCH_QUERIES, BATCH_WINDOW_SECONDS // max(window, 1)))


Rows = list[tuple[dict[str, str], float]]


class DirectQueries:
    """Distinct queries of one count at ``at``: :meth:`ask` them all, :meth:`send`, await."""

    def __init__(self, gate: QueryGate, at: float) -> None:
        self._gate = gate
        self._at = at
        self._answers: dict[str, asyncio.Future[QueryValue]] = {}
        self._rows: dict[str, asyncio.Future[Rows]] = {}
        """Queries whose rows are wanted, not their sum (fused window queries)."""
        self._batches: dict[int, list[str]] = {}
        self._tasks: list[asyncio.Future[None]] = []

    def ask(self, promql: str, window: int | None) -> asyncio.Future[QueryValue]:
        """The answer of ``promql`` once sent; ``window``: batch it with that window's
        other queries (None: send it alone, now)."""
        answer = self._answers.get(promql)
        if answer is None:
            answer = self._answers[promql] = asyncio.get_running_loop().create_future()
            self._queue(promql, answer, window)
        return answer

    def ask_rows(self, promql: str, window: int) -> asyncio.Future[Rows]:
        """The series of ``promql`` (an aggregate ``by`` labels, written by us), batched
        with ``window``'s other queries."""
        rows = self._rows.get(promql)
        if rows is None:
            rows = self._rows[promql] = asyncio.get_running_loop().create_future()
            self._queue(promql, rows, window)
        return rows

    def _queue(self, promql: str, answer: asyncio.Future[Any], window: int | None) -> None:
        if window is None:
            self._start([answer], self._alone(promql, answer))
        else:
            self._batches.setdefault(window, []).append(promql)

    def send(self) -> None:
        """Send the batches of the queries asked so far."""
        for window, queries in sorted(self._batches.items()):
            for part in batch.plan(queries, limit=batch_size(window)):
                answers = [self._batched(q) for q in part]
                self._start(answers, self._batch(part))
        self._batches.clear()

    def _batched(self, promql: str) -> asyncio.Future[Any]:
        # a batch never holds a query text twice: ours for rows (``sum by``) and for
        # a value (``sum(``) differ, and templates go alone
        rows = self._rows.get(promql)
        return rows if rows is not None else self._answers[promql]

    def _start(
        self, answers: Sequence[asyncio.Future[Any]], job: Coroutine[Any, Any, None]
    ) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.append(task)

        def settle_the_rest(done: asyncio.Future[None]) -> None:
            # a bug (or a cancellation) must not leave an SLO waiting for its answer
            for answer in answers:
                if answer.done():
                    continue
                if done.cancelled():
                    answer.cancel()
                elif (error := done.exception()) is not None:
                    answer.set_exception(error)

        task.add_done_callback(settle_the_rest)

    async def _alone(self, promql: str, answer: asyncio.Future[Any]) -> None:
        try:
            if answer is self._rows.get(promql):
                value: object = await self._gate.series(promql, self._at)
            else:
                value = await self._gate.query(promql, self._at)
        except BackendError as err:
            _settle(answer, error=err)
        else:
            _settle(answer, value=value)

    async def _batch(self, queries: Sequence[str]) -> None:
        if len(queries) == 1:
            await self._alone(queries[0], self._batched(queries[0]))
            return
        try:
            samples = await self._gate.series(batch.query(queries), self._at)
            split = batch.split(queries, samples)
        except (QueryError, AnswerTooLarge):
            # refused, or too big to read: each alone, so an error names its query
            await asyncio.gather(*(self._alone(q, self._batched(q)) for q in queries))
            return
        except ValueError as err:
            self._fail(queries, BackendResponseError(str(err), query=queries[0], at=self._at))
            return
        except BackendError as err:
            err.query = f"{queries[0]} (and {len(queries) - 1} more queries in one batch)"
            self._fail(queries, err)
            return
        for promql, answer in split.items():
            if promql in self._rows:
                _settle(self._rows[promql], value=answer)
            else:
                value = QueryValue(sum(v for _, v in answer), len(answer))
                _settle(self._answers[promql], value=value)

    def _fail(self, queries: Sequence[str], err: BackendError) -> None:
        for promql in queries:
            _settle(self._batched(promql), error=err)

    def _all(self) -> list[asyncio.Future[Any]]:
        return [*self._answers.values(), *self._rows.values()]

    def abandon(self) -> None:
        """Cancel what is in flight; mark failures as seen (the count was cancelled)."""
        for task in self._tasks:
            task.cancel()
        for answer in self._all():
            if answer.done() and not answer.cancelled():
                answer.exception()
            else:
                answer.cancel()

    async def drain(self) -> None:
        """Wait for every request; mark failures nobody awaited as seen (an SLO stops at
        its first failure)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for answer in self._all():
            if answer.done() and not answer.cancelled():
                answer.exception()


def _settle(
    answer: asyncio.Future[Any],
    *,
    value: object = None,
    error: BackendError | None = None,
) -> None:
    if answer.done():
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(value)
