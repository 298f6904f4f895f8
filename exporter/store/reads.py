"""Reading a selector's history: window sums, and the series' last values.

A window (at - w, at] is the cumulative level at ``at`` minus the level at
``at - w``; inside a bucket the level rises linearly
(:func:`~exporter.store.resolution.level_at`). The level at ``at`` is the
newest bucket's, which the catalog remembers; the level at an edge comes from
the rows remembered there (:mod:`~exporter.store.edges`), one index lookup
(and one chunk decoded, :mod:`~exporter.store.chunks`) when they do not hold it.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Sequence

from exporter.store import chunks
from exporter.store.edges import EDGE_ROWS
from exporter.store.remembered import Catalog
from exporter.store.resolution import level_at


class Reads:
    """Sums and last values of the stored selectors."""

    def __init__(self, conn: sqlite3.Connection, catalog: Catalog) -> None:
        self._conn = conn
        self._catalog = catalog

    def last_values(self, selector: str) -> dict[str, float]:
        """The last value of every series ``selector`` matched, by label key."""
        sid = self._catalog.id(selector)
        if sid is None:
            return {}
        rows = self._conn.execute("SELECT labels, value FROM series WHERE selector_id = ?", (sid,))
        return dict(rows.fetchall())

    def series_count(self, selector: str) -> int:
        """How many series the store knows for ``selector``."""
        sid = self._catalog.id(selector)
        if sid is None:
            return 0
        return int(
            self._conn.execute(
                "SELECT count(*) FROM series WHERE selector_id = ?", (sid,)
            ).fetchone()[0]
        )

    def window_sums(self, selector: str, at: int, windows: Sequence[int]) -> dict[int, float]:
        """Events of ``selector`` in (at - w, at] for each window ``w``.

        The difference of two cumulative levels; a bucket the window cuts
        counts with the share of its length inside.
        """
        sid = self._catalog.id(selector)
        if sid is None:
            return dict.fromkeys(windows, 0.0)
        newest = self._catalog.top(sid)
        top = float(newest[1]) if newest is not None and at >= newest[0] else self._level(sid, at)
        return {w: top - self._edge(sid, w, at - w) for w in windows}

    def _edge(self, sid: int, window: int, t: int) -> float:
        """The level at ``t``, the oldest edge of ``window``: from the remembered rows, or
        one lookup that remembers the next :data:`~exporter.store.edges.EDGE_ROWS`."""
        edges = self._catalog.edges
        level = edges.level(sid, window, t)
        if level is not None:
            return level
        rows = chunks.following(self._conn, sid, t, EDGE_ROWS)
        if not rows:
            return self._level(sid, t)
        edges.remember(sid, window, t, rows)
        return level_at(t, *rows[0])

    def levels(self, selector: str, points: Sequence[int]) -> list[float]:
        """Cumulative events of ``selector`` at each of ``points`` (0 for an unknown one).

        The buckets from the earliest point to the latest are read once (a month of
        hours is a few dozen chunks); each level is :meth:`_level`'s."""
        sid = self._catalog.id(selector)
        if sid is None or not points:
            return [0.0 for _ in points]
        rows = chunks.span(self._conn, sid, min(points), max(points))
        ends = [row[1] for row in rows]
        last: float | None = None
        out: list[float] = []
        for t in points:
            i = bisect_left(ends, t)
            if i < len(rows):
                out.append(level_at(t, *rows[i]))
                continue
            if last is None:  # after the last bucket: its level
                last = self._level(sid, t)
            out.append(last)
        return out

    def widest_bucket(self, selector: str, after: int, until: int) -> int:
        """The longest bucket of ``selector`` that overlaps (after, until] (0: none)."""
        sid = self._catalog.id(selector)
        if sid is None:
            return 0
        rows = chunks.span(self._conn, sid, after + 1, until)
        return max((end - start for start, end, _, _ in rows if start < until), default=0)

    def _level(self, sid: int, t: int) -> float:
        """Cumulative events at ``t``: linear inside the bucket that holds it."""
        rows = chunks.following(self._conn, sid, t, 1)
        if not rows:
            last = chunks.newest(self._conn, sid)
            return 0.0 if last is None else last[1]
        return level_at(t, *rows[0])
