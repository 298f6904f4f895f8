"""How big the store is and what it holds, for the exporter's own metrics."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from exporter.store import chunks


@dataclass(frozen=True)
class StoreStats:
    """Size and contents of the store."""

    size_bytes: int
    selectors: int
    buckets: int
    series: int


def store_stats(conn: sqlite3.Connection, path: Path) -> StoreStats:
    """The size of the file at ``path`` (with the write-ahead log) and its row counts."""
    size = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            size += os.stat(f"{path}{suffix}").st_size
    return StoreStats(
        size_bytes=size,
        selectors=conn.execute("SELECT count(*) FROM selectors").fetchone()[0],
        buckets=chunks.count(conn),
        series=conn.execute("SELECT count(*) FROM series").fetchone()[0],
    )
