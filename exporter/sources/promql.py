"""Counter values (and history for backfill) from a PromQL backend.

:meth:`PromQLSource.snapshot` is the :class:`~exporter.samples.Source`
side: instant queries of the bare selectors at T, many selectors per query
(:mod:`exporter.promql.batch`), whose answer is the latest raw sample of
every matching series. :meth:`PromQLSource.values` and
:meth:`PromQLSource.events` are the range side the store's backfill uses
(:class:`~exporter.samples.RangeSource`): raw values on a grid, or an
aggregate such as ``sum(increase(sel[1h]))`` at every grid point, as one
range query per call. Every query passes the generation's
:class:`~exporter.promql.gate.QueryGate`, whose limit the direct window
queries share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from exporter.errors import BackendError, BackendResponseError, QueryError
from exporter.promql import batch
from exporter.promql.answers import Labels, off_the_loop
from exporter.promql.client import AnswerTooLarge
from exporter.promql.gate import QueryGate
from exporter.samples import Grid, QueryTally, SeriesKey, Snapshot

T = TypeVar("T")
Matrix = list[tuple[Labels, list[tuple[float, float]]]]
Values = dict[str, dict[SeriesKey, float]]


def _key(labels: Labels) -> SeriesKey:
    return frozenset(labels.items())


_INLINE_SAMPLES = 2_000
"""Samples an answer's conversion handles on the event loop (about a millisecond);
more are converted in a worker thread."""


async def _converted(samples: int, work: Callable[[], T]) -> T:
    """``work()``, off the event loop when it converts more than :data:`_INLINE_SAMPLES`."""
    return work() if samples <= _INLINE_SAMPLES else await off_the_loop(work)


def _keyed(samples: list[tuple[Labels, float]]) -> dict[SeriesKey, float]:
    return {_key(labels): value for labels, value in samples}


def _points(matrix: Matrix) -> int:
    return sum(len(samples) for _, samples in matrix)


class PromQLSource:
    """Reads counter values from a backend through a :class:`QueryGate`."""

    def __init__(self, gate: QueryGate) -> None:
        self._gate = gate

    @property
    def tally(self) -> QueryTally:
        """What this source sent and what failed."""
        return self._gate.tally

    async def _series(self, selector: str, at: float) -> dict[SeriesKey, float]:
        samples = await self._gate.series(selector, at)
        return await _converted(len(samples), lambda: _keyed(samples))

    async def snapshot(self, selectors: Sequence[str], at: float) -> Snapshot:
        """The latest value of every series of each selector at ``at``: one query per
        batch of selectors (:mod:`exporter.promql.batch`)."""
        unique = list(dict.fromkeys(selectors))
        answers = await asyncio.gather(
            *(self._batch(b, at) for b in batch.plan(unique)), return_exceptions=True
        )
        values: dict[str, Mapping[SeriesKey, float]] = {}
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
            values.update(answer)
        return Snapshot(at=at, values=values)

    async def _batch(self, selectors: list[str], at: float) -> Values:
        if len(selectors) == 1:
            return {selectors[0]: await self._series(selectors[0], at)}
        try:
            samples = await self._gate.series(batch.query(selectors), at)
            return await _converted(len(samples), lambda: _split(selectors, samples))
        except (QueryError, AnswerTooLarge):
            # The backend refused the batch (a limit, one selector it cannot run), or
            # its answer is too big to read: ask selector by selector, so each answer
            # is smaller and an error names the one selector at fault.
            answers = [await self._series(s, at) for s in selectors]
            return dict(zip(selectors, answers, strict=True))
        except ValueError as err:
            raise BackendResponseError(str(err), query=selectors[0], at=at) from None
        except BackendError as err:
            err.query = f"{selectors[0]} (and {len(selectors) - 1} more selectors in one batch)"
            raise

    async def values(self, selector: str, points: Grid) -> dict[SeriesKey, dict[int, float]]:
        """Raw value of every series of ``selector`` at each point it had one."""
        if len(points) == 1:
            single = await self._series(selector, points.first)
            return {key: {points.first: value} for key, value in single.items()}
        matrix = await self._gate.range_series(selector, points.first, points.last, points.step)
        return await _converted(_points(matrix), lambda: _by_series(matrix))

    async def events(self, query: str, ends: Grid) -> dict[int, float]:
        """The value of the aggregate ``query`` at each end (0 where it had none)."""
        if len(ends) == 1:
            answer = await self._gate.query(query, ends.first)
            return {ends.first: answer.value}
        matrix = await self._gate.range_series(query, ends.first, ends.last, ends.step)
        return await _converted(_points(matrix), lambda: _summed(matrix, ends))


def _split(selectors: list[str], samples: list[tuple[Labels, float]]) -> Values:
    """Each selector's series of a batch answer (``ValueError`` if it cannot be split)."""
    return {s: _keyed(answer) for s, answer in batch.split(selectors, samples).items()}


def _by_series(matrix: Matrix) -> dict[SeriesKey, dict[int, float]]:
    return {_key(labels): {round(t): v for t, v in samples} for labels, samples in matrix}


def _summed(matrix: Matrix, ends: Grid) -> dict[int, float]:
    out = dict.fromkeys(ends.points, 0.0)
    for _, samples in matrix:
        for t, v in samples:
            out[round(t)] += v
    return out
