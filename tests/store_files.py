"""Store files made unusable on purpose, for the tests of how they are refused."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from exporter.store.appends import Bucket
from exporter.store.history import HistoryStore
from exporter.store.plan import StreamState


def damage_store(path: Path) -> None:
    """Write a real store at ``path`` and overwrite part of every third page with noise."""
    store = HistoryStore.open(path.parent)
    store.record(
        "x",
        [Bucket(t, t + 60, 1.0) for t in range(0, 600_000, 60)],
        expect=None,
        state=StreamState(0, 600_000, None),
    )
    store.close()
    with sqlite3.connect(path) as conn:  # fold the write-ahead log into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):
        data[offset + 16 : offset + 400] = os.urandom(384)
    path.write_bytes(bytes(data))
