"""Reading a selector's history: window sums, and the series' last values.

A window (at - w, at] is the cumulative level at ``at`` minus the level at
``at - w``; inside a bucket the level rises linearly
(:func:`~exporter.store.resolution.level_at`). The level at ``at`` is the
newest bucket's, which the catalog remembers; the level at an edge comes from
the rows remembered there (:mod:`~exporter.store.edges`), one index lookup
when they do not hold it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from exporter.store.edges import EDGE_ROWS
from exporter.store.remembered import Catalog
from exporter.store.resolution import level_at

_LEVELS = """
SELECT p.value, b.start, b.end, b.events, b.cumulative
FROM json_each(?) AS p
LEFT JOIN buckets AS b ON b.selector_id = ? AND b.end = (
    SELECT min(end) FROM buckets WHERE selector_id = ? AND end >= p.value)
ORDER BY p.key
"""
"""The bucket holding each point of a JSON array (the first to end at or after it), in
the array's order; NULLs after the last bucket."""


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
        rows = self._conn.execute(
            "SELECT start, end, events, cumulative FROM buckets"
            " WHERE selector_id = ? AND end >= ? ORDER BY end LIMIT ?",
            (sid, t, EDGE_ROWS),
        ).fetchall()
        if not rows:
            return self._level(sid, t)
        edges.remember(sid, window, t, rows)
        return level_at(t, *rows[0])

    def levels(self, selector: str, points: Sequence[int]) -> list[float]:
        """Cumulative events of ``selector`` at each of ``points`` (0 for an unknown one).

        One statement for all points (a month of hours is 720 index look-ups, which one
        statement each made ten times slower); each level is :meth:`_level`'s."""
        sid = self._catalog.id(selector)
        if sid is None:
            return [0.0 for _ in points]
        rows = self._conn.execute(_LEVELS, (json.dumps([int(t) for t in points]), sid, sid))
        out, last = [], None
        for t, start, end, events, cumulative in rows:
            if end is None:  # after the last bucket: its level
                if last is None:
                    last = self._level(sid, t)
                out.append(last)
            else:
                out.append(level_at(t, start, end, events, cumulative))
        return out

    def widest_bucket(self, selector: str, after: int, until: int) -> int:
        """The longest bucket of ``selector`` that overlaps (after, until] (0: none)."""
        sid = self._catalog.id(selector)
        if sid is None:
            return 0
        row = self._conn.execute(
            "SELECT max(end - start) FROM buckets WHERE selector_id = ? AND end > ? AND start < ?",
            (sid, after, until),
        ).fetchone()
        return int(row[0] or 0)

    def _level(self, sid: int, t: int) -> float:
        """Cumulative events at ``t``: linear inside the bucket that holds it."""
        row = self._conn.execute(
            "SELECT start, end, events, cumulative FROM buckets"
            " WHERE selector_id = ? AND end >= ? ORDER BY end LIMIT 1",
            (sid, t),
        ).fetchone()
        if row is None:
            last = self._conn.execute(
                "SELECT cumulative FROM buckets WHERE selector_id = ? ORDER BY end DESC LIMIT 1",
                (sid,),
            ).fetchone()
            return 0.0 if last is None else float(last[0])
        return level_at(t, *row)
