"""The history store: per-selector event buckets and counter last values in SQLite.

One :class:`HistoryStore` owns ``<data-dir>/history.sqlite3`` (layout in
:mod:`exporter.store.schema`) and a lock file that keeps a second process
off the same directory. Every write is one transaction; windows are summed
in SQL, boundaries apportioned as :mod:`exporter.store.tiers` describes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from exporter.sources.base import SeriesKey
from exporter.store import schema
from exporter.store.catalog import Catalog
from exporter.store.directory import open_directory
from exporter.store.maintenance import Maintenance, MaintenanceRow, Retention
from exporter.store.plan import StreamState
from exporter.store.schema import FILE_NAME, StoreError
from exporter.store.stats import StoreStats, store_stats
from exporter.store.tiers import level_at
from exporter.store.transactions import Transactions

__all__ = ["Bucket", "HistoryStore", "Retention", "StoreStats", "label_key"]


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


class HistoryStore:
    """Buckets, last values and fill state of every stored selector."""

    def __init__(self, conn: sqlite3.Connection, path: Path, lock: int | None) -> None:
        self._conn = conn
        self.path = path
        self._lock = lock
        self._catalog = Catalog(conn)
        self._transactions = Transactions(conn, path, self._catalog.forget)
        self._maintenance = Maintenance(conn, path, self._catalog, self._transactions)

    @classmethod
    def open(cls, data_dir: Path, *, deep_check: bool = True) -> HistoryStore:
        """Open (or create) the store in ``data_dir``; ``StoreError`` (one line) if unusable.

        ``deep_check=False`` defers the page-by-page check to :meth:`verify`.
        """
        conn, lock = open_directory(data_dir, deep_check=deep_check)
        return cls(conn, data_dir / FILE_NAME, lock)

    def verify(self) -> None:
        """Check every page of the file (safe in another thread); ``StoreError`` if damaged."""
        schema.deep_check(self.path)

    def close(self) -> None:
        """Close the database and release the directory."""
        self._conn.close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """Make the writes inside one transaction, each in a savepoint of its own (see
        :meth:`Transactions.batch <exporter.store.transactions.Transactions.batch>`)."""
        return self._transactions.batch()

    def state(self, selector: str) -> StreamState | None:
        """What the store holds for ``selector``, or None when it never saw it."""
        return self._catalog.state(selector)

    def last_values(self, selector: str) -> dict[str, float]:
        """The last value of every series ``selector`` matched, by :func:`label_key`."""
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
        """Add ``buckets`` and move the selector to ``state``, in one transaction.

        ``expect`` is the state the caller planned from (None: the selector
        is new); anything else in the file is a ``StoreError``, so two writers
        can never count the same increments twice. ``values`` are series'
        new last values; ``replace_values`` drops the other series' ones.
        Buckets without events are not written.
        """
        with self._transactions.write() as conn:
            current = self._catalog.state(selector)
            if current != expect:
                raise StoreError(
                    f"{self.path}: {selector} changed under this process "
                    f"(expected {expect}, found {current})"
                )
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
            self._insert(conn, sid, sorted((b for b in buckets if b.events), key=lambda b: b.end))
            if replace_values:
                conn.execute("DELETE FROM series WHERE selector_id = ?", (sid,))
            if values:
                conn.executemany(
                    "INSERT INTO series (selector_id, labels, value, seen_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (selector_id, labels)"
                    " DO UPDATE SET value = excluded.value, seen_at = excluded.seen_at",
                    ((sid, key, value, seen) for key, (value, seen) in values.items()),
                )
            self._catalog.set_state(selector, state)  # a failed commit forgets it again

    def _insert(self, conn: sqlite3.Connection, sid: int, buckets: list[Bucket]) -> None:
        """Insert buckets that all follow, or all precede, the selector's others."""
        if not buckets:
            return
        last = self._catalog.top(sid)
        if last is None:
            last = conn.execute(
                "SELECT end, cumulative FROM buckets WHERE selector_id = ?"
                " ORDER BY end DESC LIMIT 1",
                (sid,),
            ).fetchone()
        rows: list[tuple[int, int, int, float, float]] = []
        if last is None or buckets[0].start >= last[0]:
            level = 0.0 if last is None else last[1]
            for b in buckets:
                level += b.events
                rows.append((sid, b.start, b.end, b.events, level))
            self._catalog.set_top(sid, buckets[-1].end, level)
        else:
            first = conn.execute(
                "SELECT start, cumulative - events FROM buckets WHERE selector_id = ?"
                " ORDER BY end LIMIT 1",
                (sid,),
            ).fetchone()
            if buckets[-1].end > first[0]:
                raise sqlite3.IntegrityError("new buckets overlap stored ones")
            level = first[1]
            for b in reversed(buckets):
                rows.append((sid, b.start, b.end, b.events, level))
                level -= b.events
        conn.executemany(
            "INSERT INTO buckets (selector_id, start, end, events, cumulative)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )

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

    def window_sums(self, selector: str, at: int, windows: Sequence[int]) -> dict[int, float]:
        """Events of ``selector`` in (at - w, at] for each window ``w``.

        The difference of two cumulative levels; a bucket the window cuts
        counts with the share of its length inside.
        """
        sid = self._catalog.id(selector)
        if sid is None:
            return dict.fromkeys(windows, 0.0)
        top = self._level(sid, at)
        return {w: top - self._level(sid, at - w) for w in windows}

    def maintenance_rows(self) -> list[MaintenanceRow]:
        """Every stored selector as ``(id, selector, known_until)``, for :meth:`maintain`."""
        return self._maintenance.rows()

    def maintain(
        self,
        policies: Mapping[str, Retention],
        at: int,
        rows: Sequence[MaintenanceRow] | None = None,
    ) -> None:
        """Merge aged fine buckets into coarse ones, drop what is past retention, forget
        the unused, in one transaction: for ``rows`` of :meth:`maintenance_rows` (a
        caller may go through them in slices), or every selector.

        ``policies`` names every selector the current SLOs use. Each selector is
        merged from where its last merge stopped (kept in the file), so only new
        buckets are looked at.
        """
        self._maintenance.maintain(policies, at, rows)

    def mark_compacted(self, selector: str, until: int) -> None:
        """Say that ``selector``'s buckets ending at or before ``until`` are already as
        coarse as they get (a cold fill writes them aligned), so no merge rescans them."""
        self._maintenance.mark_compacted(selector, until)

    def stats(self) -> StoreStats:
        """File size (with the write-ahead log) and row counts."""
        return store_stats(self._conn, self.path)
