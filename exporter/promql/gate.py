"""The one way queries reach a backend: a concurrency limit and a tally for every caller.

A config generation owns one :class:`QueryGate` per backend. Every reader of
that backend (direct window queries, the store's snapshots, backfill range
queries) goes through it, so together they never have more than
``evaluation.concurrency`` queries in flight. Each reader counts what it sent
in its own :class:`QueryTally` (:meth:`QueryGate.counting`), which is how the
self-metrics tell the store's queries from the direct ones.

A reader may go ahead of the queue (``counting(tally, ahead=True)``): the store's
reads and fills do, so that a cold start's direct cycles, thousands of queries each,
never starve the fill that ends them (with one queue, each fill query waited behind a
whole cycle's burst, and a 1,000-SLO fill barely moved).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from exporter.errors import BackendError
from exporter.promql.answers import Labels, QueryValue
from exporter.promql.client import PromQLClient
from exporter.samples import QueryTally

T = TypeVar("T")


class QueryLimit:
    """At most ``size`` holders; a waiter that goes ahead is let in before the others."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._ahead: deque[asyncio.Future[None]] = deque()
        self._behind: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, ahead: bool) -> None:
        if self._free > 0 and not self._ahead and not self._behind:
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        queue = self._ahead if ahead else self._behind
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed the slot as it was cancelled: pass it on
            elif turn in queue:  # a release may have dropped it already
                queue.remove(turn)
            raise

    def release(self) -> None:
        for queue in (self._ahead, self._behind):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self._free += 1


class QueryGate:
    """A :class:`PromQLClient` behind a concurrency limit, counting into a tally."""

    def __init__(
        self,
        client: PromQLClient,
        concurrency: int,
        tally: QueryTally | None = None,
        *,
        ahead: bool = False,
        _limit: QueryLimit | None = None,
    ) -> None:
        self.client = client
        self.concurrency = concurrency
        self._limit = _limit if _limit is not None else QueryLimit(concurrency)
        self._ahead = ahead
        self.tally = tally if tally is not None else QueryTally()

    def counting(self, tally: QueryTally, *, ahead: bool = False) -> QueryGate:
        """The same client and the same limit, counting into ``tally``; ``ahead``: its
        queries go before those of readers that do not."""
        return QueryGate(self.client, self.concurrency, tally, ahead=ahead, _limit=self._limit)

    async def _send(self, kind: str, request: Callable[[], Awaitable[T]]) -> T:
        await self._limit.acquire(ahead=self._ahead)
        try:
            self.tally.sent[kind] += 1
            try:
                return await request()
            except BackendError as err:
                self.tally.errors[err.reason] += 1
                raise
        finally:
            self._limit.release()

    async def query(self, promql: str, at: float) -> QueryValue:
        """The value of an instant query and how many series made it."""
        return await self._send("instant", lambda: self.client.query(promql, at))

    async def series(self, promql: str, at: float) -> list[tuple[Labels, float]]:
        """Every sample of an instant vector, with its labels."""
        return await self._send("instant", lambda: self.client.series(promql, at))

    async def range_series(
        self, promql: str, start: float, end: float, step: int
    ) -> list[tuple[Labels, list[tuple[float, float]]]]:
        """Every series of a range query with its samples."""
        return await self._send("range", lambda: self.client.range_series(promql, start, end, step))
