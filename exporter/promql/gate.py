"""The one way queries reach a backend: a concurrency limit and a tally for every caller.

A config generation owns one :class:`QueryGate` per backend. Every reader of
that backend (direct window queries, the store's snapshots, backfill range
queries) goes through it, so together they never have more than
``evaluation.concurrency`` queries in flight. Each reader counts what it sent
in its own :class:`QueryTally` (:meth:`QueryGate.counting`), which is how the
self-metrics tell the store's queries from the direct ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from exporter.errors import BackendError
from exporter.promql.answers import Labels, QueryValue
from exporter.promql.client import PromQLClient
from exporter.samples import QueryTally

T = TypeVar("T")


class QueryGate:
    """A :class:`PromQLClient` behind a concurrency limit, counting into a tally."""

    def __init__(
        self,
        client: PromQLClient,
        concurrency: int,
        tally: QueryTally | None = None,
        *,
        _limit: asyncio.Semaphore | None = None,
    ) -> None:
        self.client = client
        self.concurrency = concurrency
        self._limit = _limit if _limit is not None else asyncio.Semaphore(concurrency)
        self.tally = tally if tally is not None else QueryTally()

    def counting(self, tally: QueryTally) -> QueryGate:
        """The same client and the same limit, counting into ``tally``."""
        return QueryGate(self.client, self.concurrency, tally, _limit=self._limit)

    async def _send(self, kind: str, request: Callable[[], Awaitable[T]]) -> T:
        async with self._limit:
            self.tally.sent[kind] += 1
            try:
                return await request()
            except BackendError as err:
                self.tally.errors[err.reason] += 1
                raise

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
