"""A version-1 history store brought to version 2 when it is opened.

Version 1 kept every bucket as a row of ``buckets``; version 2 packs sealed buckets
into ``chunks`` (:mod:`exporter.store.chunks`), and reads open rows as well, however
many a selector has. So the upgrade is, first, one transaction that adds the table,
lists every selector in ``unsealed`` and sets the version: from then on the file is a
sound version-2 store that older slo-exporters refuse. Then the listed selectors' rows
are sealed, :data:`BATCH` selectors per transaction, each batch crossed off the list;
last, the file is vacuumed to give the rows' space back and the list dropped. A crash
or a kill at any moment leaves a consistent store, and the next open carries on from the
list: a restart (a liveness probe losing patience with a large store) loses no work.
Nothing is recomputed, so every window sums what it did, history the backend no longer
holds included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from exporter.store import chunks

BATCH = 100
"""Selectors sealed per transaction."""


def _transaction(conn: sqlite3.Connection, body: Callable[[], None]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        body()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def from_version_1(conn: sqlite3.Connection, chunks_ddl: str) -> None:
    """Upgrade the version-1 store open on ``conn`` (``chunks_ddl`` creates the table)."""

    def start() -> None:
        conn.execute(chunks_ddl)
        conn.execute("CREATE TABLE unsealed (selector_id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO unsealed (selector_id) SELECT id FROM selectors")
        conn.execute("UPDATE schema_version SET version = 2")

    _transaction(conn, start)
    finish(conn)


def finish(conn: sqlite3.Connection) -> None:
    """Seal what an upgrade left unsealed, if anything, then vacuum."""
    listed = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'unsealed'"
    ).fetchone()[0]
    if not listed:
        return
    while ids := [
        int(sid)
        for (sid,) in conn.execute(
            "SELECT selector_id FROM unsealed ORDER BY selector_id LIMIT ?", (BATCH,)
        ).fetchall()
    ]:

        def seal(batch: list[int] = ids) -> None:
            for sid in batch:
                chunks.seal(conn, sid)
            conn.executemany(
                "DELETE FROM unsealed WHERE selector_id = ?", ((sid,) for sid in batch)
            )

        _transaction(conn, seal)
    conn.execute("VACUUM")
    conn.execute("DROP TABLE unsealed")  # one statement: a transaction of its own
