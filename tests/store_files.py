"""Store files made unusable on purpose, for the tests of how they are refused."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from exporter.store.appends import Bucket
from exporter.store.chunk_codec import decode
from exporter.store.file_format import FILE_NAME
from exporter.store.history import HistoryStore
from exporter.store.plan import StreamState


def damage_store(path: Path) -> None:
    """Write a real store at ``path`` and overwrite part of every third page with noise."""
    store = HistoryStore.open(path.parent)
    for first in range(0, 600_000, 6000):  # 100 buckets a write: open rows, many pages
        store.record(
            "x",
            [Bucket(t, t + 60, 1.0) for t in range(first, first + 6000, 60)],
            expect=store.state("x"),
            state=StreamState(0, first + 6000, None),
        )
    store.close()
    with sqlite3.connect(path) as conn:  # fold the write-ahead log into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):
        data[offset + 16 : offset + 400] = os.urandom(384)
    path.write_bytes(bytes(data))


def stored_buckets(data_dir: Path) -> list[tuple[int, int, float, float]]:
    """Every bucket the store in ``data_dir`` holds, sealed or open, as ``(start, end,
    events, cumulative)`` in the order of the file (selector, then end)."""
    with contextlib.closing(sqlite3.connect(data_dir / FILE_NAME)) as conn:
        sealed = conn.execute("SELECT selector_id, data FROM chunks ORDER BY 1, end").fetchall()
        open_rows = conn.execute(
            "SELECT selector_id, start, end, events, cumulative FROM buckets ORDER BY 1, end"
        ).fetchall()
    rows = [(sid, *row) for sid, data in sealed for row in decode(data)]
    rows += [tuple(row) for row in open_rows]
    return [row[1:] for row in sorted(rows, key=lambda row: (row[0], row[2]))]
