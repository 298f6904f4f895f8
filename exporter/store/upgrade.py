"""A version-1 history store brought to version 2 when it is opened.

Version 1 kept every bucket as a row of ``buckets``; version 2 packs sealed buckets
into ``chunks`` (:mod:`exporter.store.chunks`). The upgrade adds the table, seals every
selector's rows and sets the version, in one transaction: a crash leaves the file at
version 1, untouched, and the next start upgrades it again. Nothing is recomputed, so
every window sums what it did, history the backend no longer holds included. The space
the rows took is given back afterwards (``VACUUM``; a crash there leaves a sound file).
"""

from __future__ import annotations

import sqlite3

from exporter.store import chunks


def from_version_1(conn: sqlite3.Connection, chunks_ddl: str) -> None:
    """Upgrade the version-1 store open on ``conn`` (``chunks_ddl`` creates the table)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(chunks_ddl)
        for (sid,) in conn.execute("SELECT id FROM selectors").fetchall():
            chunks.seal(conn, int(sid))
        conn.execute("UPDATE schema_version SET version = 2")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("VACUUM")
