"""The selectors the store holds, as this process last read or wrote them.

The directory lock keeps other writers out, so what one process read or
wrote stays true until it changes the file itself: a steady cycle would
otherwise read each selector's state three times and its newest bucket once
more, for every selector. Whatever changes the file tells the catalog, and a
rolled-back write makes it forget everything (:meth:`Catalog.forget`).
"""

from __future__ import annotations

import sqlite3

from exporter.store.edges import Edges
from exporter.store.plan import StreamState


class Catalog:
    """Each selector's id and state, its newest bucket, how far it is merged, and the
    rows at its windows' edges (:mod:`~exporter.store.edges`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._ids: dict[str, int] = {}
        self._states: dict[str, StreamState | None] = {}
        self._tops: dict[int, tuple[int, float]] = {}
        self._marks: dict[int, int] | None = None
        self.edges = Edges()

    def id(self, selector: str) -> int | None:
        """The selector's row id, or None when the file does not hold it."""
        cached = self._ids.get(selector)
        if cached is not None:
            return cached
        row = self._conn.execute("SELECT id FROM selectors WHERE selector = ?", (selector,))
        found = row.fetchone()
        if found is not None:
            self._ids[selector] = found[0]
            return int(found[0])
        return None

    def state(self, selector: str) -> StreamState | None:
        """What the store holds for ``selector``, or None when it never saw it."""
        if selector in self._states:
            return self._states[selector]
        row = self._conn.execute(
            "SELECT known_from, known_until, values_at FROM selectors WHERE selector = ?",
            (selector,),
        ).fetchone()
        state = None if row is None else StreamState(*row)
        self._states[selector] = state
        return state

    def set_state(self, selector: str, state: StreamState) -> None:
        """``selector`` was moved to ``state``."""
        self._states[selector] = state

    def top(self, sid: int) -> tuple[int, float] | None:
        """End and cumulative level of the selector's newest bucket, when remembered."""
        return self._tops.get(sid)

    def set_top(self, sid: int, end: int, level: float) -> None:
        """The selector's newest bucket now ends at ``end`` with level ``level``."""
        self._tops[sid] = (end, level)

    def marks(self) -> dict[int, int]:
        """How far each selector's buckets are merged (the compaction table), by id."""
        if self._marks is None:
            found = self._conn.execute("SELECT selector_id, until FROM compaction").fetchall()
            self._marks = {int(sid): int(until) for sid, until in found}
        return self._marks

    def set_mark(self, sid: int, until: int) -> None:
        """The selector's buckets up to ``until`` are merged."""
        if self._marks is not None:
            self._marks[sid] = until

    def merged(self, sid: int, until: int) -> None:
        """Buckets of the selector ending at or before ``until`` were merged."""
        self.edges.changed_until(sid, until)

    def prepended(self, sid: int) -> None:
        """Buckets older than the selector's others were added."""
        self.edges.drop(sid)

    def pruned(self, selector: str, sid: int) -> None:
        """Old buckets of the selector were dropped: its state moved on."""
        self._states.pop(selector, None)
        self._tops.pop(sid, None)
        self.edges.drop(sid)

    def dropped(self, selector: str, sid: int) -> None:
        """The selector is no longer in the file."""
        self._ids.pop(selector, None)
        self.pruned(selector, sid)
        if self._marks is not None:
            self._marks.pop(sid, None)

    def forget(self) -> None:
        """Drop everything remembered: a rolled-back write may have changed it."""
        self._ids.clear()
        self._states.clear()
        self._tops.clear()
        self._marks = None
        self.edges.clear()
