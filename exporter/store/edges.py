"""The rows at each window's oldest edge, remembered so a cycle sums windows without SQL.

A window (T - W, T] is the level at T (the newest bucket's, which the catalog
remembers) minus the level at T - W, which lies in the first bucket ending at
or after T - W. Each cycle moves that edge forward by one interval, so the
next cycles need the rows right after it: one lookup fetches
:data:`EDGE_ROWS` consecutive rows from the edge on, and the following cycles
find their edge among them until it passes the last one. That is one index
lookup per edge every 8 fine buckets instead of one per edge per cycle, for
about 460 bytes per edge (8 edges per selector with the default windows: 75 MB
at 10,000 SLOs of two selectors each). 16 rows took 720 bytes and summed no
faster on average in ``benchmarks/store_cycle.py``.

Rows are remembered as consecutive buckets of the file from the first one ending
at or after ``t0`` (fewer when the chunk holding it ends first,
:mod:`~exporter.store.chunks`): any later edge's bucket is the first of them ending at
or after it. Appends only add newer rows, and sealing moves rows into chunks unchanged,
so they change nothing remembered.
Whatever else changes rows (merging and pruning old ones, prepending history,
a rolled-back write) tells :class:`Edges`, which forgets what it touched.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from exporter.store.resolution import level_at

EDGE_ROWS = 8
"""Rows fetched from an edge on, for this and the next cycles."""


class _Run:
    """Consecutive rows (start, end, events, cumulative) from the first ending at or
    after ``t0``."""

    __slots__ = ("rows", "t0")

    def __init__(self, t0: int, rows: Sequence[tuple[int, int, float, float]]) -> None:
        self.t0 = t0
        self.rows = array("d", [value for row in rows for value in row])

    def first_end(self) -> float:
        return self.rows[1]

    def level(self, t: int) -> float | None:
        """The level at ``t``, or None when it lies outside the remembered rows."""
        if t < self.t0:
            return None
        rows = self.rows
        for i in range(0, len(rows), 4):
            if rows[i + 1] >= t:
                return level_at(t, int(rows[i]), int(rows[i + 1]), rows[i + 2], rows[i + 3])
        return None


class Edges:
    """Remembered rows at each (selector id, window) edge."""

    def __init__(self) -> None:
        self._runs: dict[int, dict[int, _Run]] = {}

    def level(self, sid: int, window: int, t: int) -> float | None:
        """The level at ``t``, the edge of ``window``, when the remembered rows hold it."""
        run = self._runs.get(sid, {}).get(window)
        return None if run is None else run.level(t)

    def remember(
        self, sid: int, window: int, t: int, rows: Sequence[tuple[int, int, float, float]]
    ) -> None:
        """``rows`` are consecutive rows of ``sid`` from the first ending at or after ``t``."""
        self._runs.setdefault(sid, {})[window] = _Run(t, rows)

    def changed_until(self, sid: int, until: int) -> None:
        """Rows of ``sid`` ending at or before ``until`` were merged or dropped: forget the
        edges whose rows begin there (later rows are untouched)."""
        runs = self._runs.get(sid)
        if runs:
            for window in [w for w, run in runs.items() if run.first_end() <= until]:
                del runs[window]

    def drop(self, sid: int) -> None:
        """Forget every edge of ``sid``."""
        self._runs.pop(sid, None)

    def clear(self) -> None:
        """Forget everything."""
        self._runs.clear()
