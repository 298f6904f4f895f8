"""The history store: per-selector event buckets and counter last values in SQLite.

One :class:`HistoryStore` owns ``<data-dir>/history.sqlite3`` (layout in
:mod:`exporter.store.file_format`) and a lock file that keeps a second process
off the same directory. It puts together the pieces that do the work:

* :mod:`~exporter.store.directory`: locking the directory, opening the file;
* :mod:`~exporter.store.transactions`: every write one transaction, or one
  savepoint of a batch;
* :mod:`~exporter.store.remembered`: what this process remembers of the file;
* :mod:`~exporter.store.appends`: buckets, state and last values, written
  against the state the writer expects;
* :mod:`~exporter.store.chunks`: a selector's buckets, sealed ones packed in chunks
  (:mod:`~exporter.store.chunk_codec`), the newest as open rows;
* :mod:`~exporter.store.reads`: window sums and last values;
* :mod:`~exporter.store.maintenance`: merging, pruning, forgetting;
* :mod:`~exporter.store.stats`: size and row counts;
* :mod:`~exporter.store.upgrade`: a version-1 file brought to version 2 on open.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from exporter.store import file_format
from exporter.store.appends import Appender, Bucket, label_key
from exporter.store.directory import open_directory
from exporter.store.file_format import FILE_NAME
from exporter.store.maintenance import Maintenance, MaintenanceRow, Retention
from exporter.store.plan import StreamState
from exporter.store.reads import Reads
from exporter.store.remembered import Catalog
from exporter.store.stats import StoreStats, store_stats
from exporter.store.transactions import Transactions

__all__ = ["Bucket", "HistoryStore", "Retention", "StoreStats", "label_key"]


class HistoryStore:
    """Buckets, last values and fill state of every stored selector."""

    def __init__(self, conn: sqlite3.Connection, path: Path, lock: int | None) -> None:
        self._conn = conn
        self.path = path
        self._lock = lock
        self._catalog = Catalog(conn)
        self._transactions = Transactions(conn, path, self._catalog.forget)
        self._appender = Appender(path, self._catalog, self._transactions)
        self._reads = Reads(conn, self._catalog)
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
        file_format.deep_check(self.path)

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
        return self._reads.last_values(selector)

    def series_count(self, selector: str) -> int:
        """How many series the store knows for ``selector``."""
        return self._reads.series_count(selector)

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
        """Add ``buckets`` and move the selector to ``state``, in one write (a transaction,
        or a savepoint inside :meth:`batch`).

        ``expect`` is the state the caller planned from (None: the selector
        is new); anything else in the file is a ``StoreError``, so two writers
        can never count the same increments twice. ``values`` are series'
        new last values; ``replace_values`` drops the other series' ones.
        Buckets without events are not written.
        """
        self._appender.record(
            selector,
            buckets,
            expect=expect,
            state=state,
            values=values,
            replace_values=replace_values,
        )

    def window_sums(self, selector: str, at: int, windows: Sequence[int]) -> dict[int, float]:
        """Events of ``selector`` in (at - w, at] for each window ``w``; a bucket the
        window cuts counts with the share of its length inside."""
        return self._reads.window_sums(selector, at, windows)

    def levels(self, selector: str, points: Sequence[int]) -> list[float]:
        """Cumulative events of ``selector`` at each of ``points``: differences of two are
        the events between them (the report's per-window events)."""
        return self._reads.levels(selector, points)

    def widest_bucket(self, selector: str, after: int, until: int) -> int:
        """The longest bucket of ``selector`` overlapping (after, until], in seconds."""
        return self._reads.widest_bucket(selector, after, until)

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
        the unused, in one write: for ``rows`` of :meth:`maintenance_rows` (a
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
