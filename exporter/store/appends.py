"""Appending to a selector's history: buckets, the new state and series' last values.

A write names the state it was planned from; the file holding anything
else is a ``StoreError``, so two writers never count the same increments
twice. Buckets carry the selector's cumulative level at their end, kept
going from the newest bucket (the catalog remembers it between cycles). A cycle's new
buckets are open rows; a fill's many go straight into chunks, and older history written
later into chunks in front.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from exporter.samples import SeriesKey
from exporter.store import chunks
from exporter.store.chunk_codec import Row
from exporter.store.file_format import StoreError
from exporter.store.plan import StreamState
from exporter.store.remembered import Catalog
from exporter.store.transactions import Transactions


@dataclass(frozen=True)
class Bucket:
    """``events`` counted in (start, end]."""

    start: int
    end: int
    events: float


@functools.lru_cache(maxsize=1 << 18)
def label_key(labels: SeriesKey) -> str:
    """A series' label set as the store writes it: sorted ``[name, value]`` pairs in JSON
    (remembered: the same series come back every cycle)."""
    return json.dumps(sorted(labels), separators=(",", ":"), ensure_ascii=False)


class Appender:
    """Records what a fill or a cycle read for a selector, in one write."""

    def __init__(self, path: Path, catalog: Catalog, transactions: Transactions) -> None:
        self._path = path
        self._catalog = catalog
        self._transactions = transactions

    def record(
        self,
        selector: str,
        buckets: Iterable[Bucket],
        *,
        expect: StreamState | None,
        state: StreamState,
        values: Mapping[str, tuple[float, int]] | None = None,
        replace_values: bool = False,
    ) -> None:
        """Add ``buckets`` and move the selector to ``state``, in one write.

        ``expect`` is the state the caller planned from (None: the selector
        is new); anything else in the file is a ``StoreError``. ``values`` are
        series' new last values (with the time they were read);
        ``replace_values`` drops the other series' ones. Buckets without
        events are not written.
        """
        with self._transactions.write() as conn:
            current = self._catalog.state(selector)
            if current != expect:
                raise StoreError(
                    f"{self._path}: {selector} changed under this process "
                    f"(expected {expect}, found {current})"
                )
            sid = self._move(conn, selector, current, state)
            self._insert(conn, sid, sorted((b for b in buckets if b.events), key=lambda b: b.end))
            _set_values(conn, sid, values, replace=replace_values)
            self._catalog.set_state(selector, state)  # a failed commit forgets it again

    def _move(
        self,
        conn: sqlite3.Connection,
        selector: str,
        current: StreamState | None,
        state: StreamState,
    ) -> int:
        """Write the selector's new state (adding the selector when new); its id."""
        if current is None:
            conn.execute(
                "INSERT INTO selectors (selector, known_from, known_until, values_at)"
                " VALUES (?, ?, ?, ?)",
                (selector, state.known_from, state.known_until, state.values_at),
            )
        else:
            conn.execute(
                "UPDATE selectors SET known_from = ?, known_until = ?, values_at = ?"
                " WHERE selector = ?",
                (state.known_from, state.known_until, state.values_at, selector),
            )
        sid = self._catalog.id(selector)
        assert sid is not None
        return sid

    def _insert(self, conn: sqlite3.Connection, sid: int, buckets: list[Bucket]) -> None:
        """Insert buckets that all follow, or all precede, the selector's others: open rows
        after them, chunks before them (:mod:`~exporter.store.chunks`)."""
        if not buckets:
            return
        last = self._catalog.top(sid)
        if last is None:
            last = chunks.newest(conn, sid)
        if last is None or buckets[0].start >= last[0]:
            rows, level = _following(buckets, 0.0 if last is None else last[1])
            if len(rows) >= chunks.SEAL_ROWS:
                chunks.add_sealed(conn, sid, rows)
            else:
                chunks.add_rows(conn, sid, rows)
            self._catalog.set_top(sid, buckets[-1].end, level)
        else:
            chunks.write(conn, sid, _preceding(conn, sid, buckets))
            self._catalog.prepended(sid)


def _following(buckets: list[Bucket], level: float) -> tuple[list[Row], float]:
    """Rows for buckets after the newest one, whose level is ``level``; and the new level."""
    rows: list[Row] = []
    for b in buckets:
        level += b.events
        rows.append((b.start, b.end, b.events, level))
    return rows, level


def _preceding(conn: sqlite3.Connection, sid: int, buckets: list[Bucket]) -> list[Row]:
    """Rows for buckets before the oldest one, levels counted down from it; oldest first."""
    first = chunks.oldest(conn, sid)
    assert first is not None
    if buckets[-1].end > first[0]:
        raise sqlite3.IntegrityError("new buckets overlap stored ones")
    level = first[1]
    rows: list[Row] = []
    for b in reversed(buckets):
        rows.append((b.start, b.end, b.events, level))
        level -= b.events
    rows.reverse()
    return rows


def _set_values(
    conn: sqlite3.Connection,
    sid: int,
    values: Mapping[str, tuple[float, int]] | None,
    *,
    replace: bool,
) -> None:
    """Upsert series' last values (and when read); ``replace`` drops the others first."""
    if replace:
        conn.execute("DELETE FROM series WHERE selector_id = ?", (sid,))
    if values:
        conn.executemany(
            "INSERT INTO series (selector_id, labels, value, seen_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (selector_id, labels)"
            " DO UPDATE SET value = excluded.value, seen_at = excluded.seen_at",
            ((sid, key, value, seen) for key, (value, seen) in values.items()),
        )
