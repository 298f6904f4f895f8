"""The history store's file: SQLite in WAL mode, schema version 2.

The file is ``<data-dir>/history.sqlite3`` (SQLite adds ``-wal`` and
``-shm`` files next to it while it is open). Its header carries
``PRAGMA application_id = 0x534C4F48`` ("SLOH"), so a SQLite file some other
program wrote is recognised and left alone. Every time is whole Unix
seconds; every count of events is a float.

::

    schema_version(version INTEGER)      one row: 2

    selectors(                           one row per stored selector (shared by SLOs)
      id          INTEGER PRIMARY KEY,
      selector    TEXT UNIQUE,           the rendered PromQL selector, e.g.
                                         http_requests_total{service="checkout"};
                                         a 0/1 gauge's good and total events are
                                         sum_over_time(<sel>) and count_over_time(<sel>)
      known_from  INTEGER,               buckets cover (known_from, known_until] ...
      known_until INTEGER,               ... without holes; the next cycle fills from here
      values_at   INTEGER NULL)          time the series' last values describe
                                         (NULL until raw values were read: always
                                         for a 0/1 gauge's streams)

    chunks(                              sealed buckets: 1 to 128 consecutive ones
      selector_id INTEGER, end INTEGER,  end of the chunk's last bucket
      start INTEGER,                     start of its first bucket
      buckets INTEGER,                   how many it holds
      data BLOB,                         the buckets, packed: layout in
                                         exporter.store.chunk_codec
      PRIMARY KEY (selector_id, end)) WITHOUT ROWID

    buckets(                             open buckets (the newest): events in (start, end]
      selector_id INTEGER, start INTEGER, end INTEGER, events REAL,
      cumulative  REAL,                  events of the selector up to this bucket's end,
                                         from an arbitrary origin
      PRIMARY KEY (selector_id, end)) WITHOUT ROWID

    compaction(                          how far each selector's buckets are merged
      selector_id INTEGER PRIMARY KEY,   buckets ending at or before ``until`` need no
      until INTEGER)                     merging, so a restart does not rescan every
                                         selector's history

    series(                              last value of each series a counter matched,
      selector_id INTEGER, labels TEXT,  for reset-aware deltas; labels are the
      value REAL, seen_at INTEGER,       series' label set as sorted JSON pairs
      PRIMARY KEY (selector_id, labels)) WITHOUT ROWID

A selector's buckets are its chunks, oldest first, then its open rows: every
chunk's buckets end at or before the start of every open row. A chunk's BLOB
is zlib-compressed arrays (:mod:`exporter.store.chunk_codec`): the steps
between bucket ends and the widths in the narrowest integer type that holds
them, whole-number events likewise, each bucket's ``cumulative`` the level
before the chunk plus the running sum of the events (kept as 8-byte floats,
events and levels both, when that would not give them back exactly). So a
packed bucket reads exactly as its row did; a bucket of a 30 s tier with
whole events costs 1 to 2 bytes instead of about 26 as a row. New buckets
are appended as open rows; maintenance seals them into chunks (see
:mod:`exporter.store.chunks`).

Buckets of one selector never overlap. Recent ones are one evaluation
interval wide (the fine tier); older ones are merged into coarse buckets of
5 to 60 minutes (see :mod:`exporter.store.resolution`). Buckets with no events
are not written. A window (T - W, T] is the difference of the cumulative
level at T and at T - W, each one index lookup (and one chunk decoded; inside
a bucket the level rises linearly); merging buckets keeps the last one's
``cumulative`` and dropping old ones changes no other, so levels never need
rewriting.

Each write for a selector (its buckets, last values and ``known_until``)
is one transaction, or one savepoint of a batch that commits as a whole, so
a crash (``kill -9``) at any moment leaves buckets, last values and
``known_until`` consistent; the next start fills the gap from the backend.

**Version 1** had no ``chunks`` (every bucket a row of ``buckets``). Opening
one upgrades it (:mod:`exporter.store.upgrade`): one transaction adds the
table, lists every selector in ``unsealed(selector_id INTEGER PRIMARY KEY)``
and sets the version; the listed selectors' rows are then sealed, a batch per
transaction, each batch crossed off; the file is vacuumed and the list dropped.
While ``unsealed`` exists, opening the file carries on with it. The
``compaction`` table was added to version-1 files when opened and is still
created when missing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from exporter.errors import SLOExporterError
from exporter.store import upgrade

APPLICATION_ID = 0x534C4F48
"""``PRAGMA application_id`` of a history store: "SLOH"."""
SCHEMA_VERSION = 2
FILE_NAME = "history.sqlite3"

_DDL = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE selectors (
    id INTEGER PRIMARY KEY,
    selector TEXT NOT NULL UNIQUE,
    known_from INTEGER NOT NULL,
    known_until INTEGER NOT NULL,
    values_at INTEGER
);
CREATE TABLE chunks (
    selector_id INTEGER NOT NULL REFERENCES selectors (id) ON DELETE CASCADE,
    end INTEGER NOT NULL,
    start INTEGER NOT NULL,
    buckets INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (selector_id, end),
    CHECK (start < end AND buckets > 0)
) WITHOUT ROWID;
CREATE TABLE buckets (
    selector_id INTEGER NOT NULL REFERENCES selectors (id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    events REAL NOT NULL,
    cumulative REAL NOT NULL,
    PRIMARY KEY (selector_id, end),
    CHECK (start < end)
) WITHOUT ROWID;
CREATE TABLE series (
    selector_id INTEGER NOT NULL REFERENCES selectors (id) ON DELETE CASCADE,
    labels TEXT NOT NULL,
    value REAL NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (selector_id, labels)
) WITHOUT ROWID;
"""
CHUNKS_DDL = _DDL[_DDL.index("CREATE TABLE chunks") : _DDL.index("CREATE TABLE buckets")]
"""The table version 2 added."""
_COMPACTION_DDL = """
CREATE TABLE IF NOT EXISTS compaction (
    selector_id INTEGER PRIMARY KEY REFERENCES selectors (id) ON DELETE CASCADE,
    until INTEGER NOT NULL
);
"""


class StoreError(SLOExporterError):
    """The history store cannot be used; the message is one line naming the file."""


def _unusable(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{path}: {why}; move it away (or delete it) and slo-exporter starts a new store, "
        "filled again from the backend"
    )


def _create(conn: sqlite3.Connection) -> None:
    # One transaction: a crash while creating leaves an empty file, not half a schema.
    conn.executescript(
        f"BEGIN IMMEDIATE;{_DDL}"
        f"INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION});"
        f"PRAGMA application_id = {APPLICATION_ID};"
        "COMMIT;"
    )


def _check(conn: sqlite3.Connection, path: Path, *, deep: bool) -> None:
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    if len(rows) != 1:
        raise _unusable(path, "history store without a schema version")
    version = rows[0][0]
    if deep and version in (1, SCHEMA_VERSION):
        _quick_check(conn, path)
    if version == 1:
        upgrade.from_version_1(conn, CHUNKS_DDL)
    elif version == SCHEMA_VERSION:
        upgrade.finish(conn)  # an upgrade a crash cut short
    else:
        raise StoreError(
            f"{path}: history store schema version {version}, this slo-exporter reads "
            f"version {SCHEMA_VERSION}; use the matching slo-exporter, or move the file away "
            "to start a new store"
        )


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        words = " ".join(" ".join(problems).replace("*** in database main ***", "").split())
        clipped = words if len(words) <= 120 else words[:120] + "…"
        raise _unusable(path, f"damaged history store ({clipped})")


def deep_check(path: Path) -> None:
    """Check every page of the store at ``path`` (``PRAGMA quick_check``) over a read-only
    connection of its own, so it may run in a thread while the store is in use: about
    10 s per GB. ``StoreError`` (one line) for a damaged file."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise StoreError(f"{path}: cannot open the history store: {err}") from None
    try:
        _quick_check(conn, path)
    except sqlite3.DatabaseError as err:
        raise _unusable(path, f"not a usable history store ({err})") from None
    finally:
        conn.close()


def connect(path: Path, *, deep: bool = True) -> sqlite3.Connection:
    """Open (or create) the store at ``path``, checked; ``StoreError`` if unusable.

    A file that is not SQLite, a SQLite file of another program, a store of
    another schema version and a damaged store are all refused with one line
    that names the file. ``deep=False`` leaves out the page-by-page check
    (:func:`deep_check`), whose time grows with the file.
    """
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as err:
        raise StoreError(f"{path}: cannot open the history store: {err}") from None
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application_id == 0 and tables == 0:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"{path}: cannot use write-ahead logging here (got {mode})")
            _create(conn)
        elif application_id != APPLICATION_ID:
            raise _unusable(path, "not a slo-exporter history store (another program's SQLite)")
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            _check(conn, path, deep=deep)
        conn.execute(_COMPACTION_DDL)
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable against a process crash
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as err:
        conn.close()
        raise _unusable(path, f"not a usable history store ({err})") from None
    except StoreError:
        conn.close()
        raise
    return conn
