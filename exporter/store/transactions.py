"""How the store writes: each write one transaction, or one savepoint inside a batch."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from exporter.store.file_format import StoreError


class Transactions:
    """The writes over one connection; ``on_rollback`` runs whenever one is undone."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, on_rollback: Callable[[], None]
    ) -> None:
        self._conn = conn
        self._path = path
        self._on_rollback = on_rollback
        self._batched = False

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Make the writes inside one transaction (a cycle's thousands of small appends
        cost one commit). Each write keeps its own savepoint: one that fails leaves the
        others in; a failed commit is a ``StoreError`` and keeps none."""
        if self._batched:
            raise RuntimeError("store batches do not nest")
        with self.write():
            self._batched = True
            try:
                yield
            finally:
                self._batched = False

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write: committed at the end, or kept with its batch; undone if it raises.
        A SQLite error is a ``StoreError`` naming the file."""
        if self._batched:
            with self._savepoint() as conn:
                yield conn
            return
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                self._on_rollback()
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise self._error(err) from None

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        try:
            conn.execute("SAVEPOINT write")
            try:
                yield conn
                conn.execute("RELEASE write")
            except BaseException:
                self._on_rollback()
                conn.execute("ROLLBACK TO write")
                conn.execute("RELEASE write")
                raise
        except sqlite3.Error as err:
            raise self._error(err) from None

    def _error(self, err: sqlite3.Error) -> StoreError:
        return StoreError(f"{self._path}: cannot write the history store: {err}")
