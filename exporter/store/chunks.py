"""One selector's buckets in the file: sealed ones packed in chunks, the newest as rows.

A selector's buckets are its chunks (each a run of consecutive buckets packed by
:mod:`~exporter.store.chunk_codec`, keyed by the end of its last bucket) followed by
its open rows in ``buckets``: every chunk's buckets end at or before the start of
every open row. Appends add open rows (one small row each, as cheap as before), and
:data:`SEAL_ROWS` or more at once (a fill) go straight into chunks;
:func:`seal` moves the oldest open rows into the newest chunk (or a new one) once there
are :data:`SEAL_ROWS` of them or a merge needs them; prepended history becomes chunks
in front of the others. Rewriting a chunk never changes a bucket it keeps, so a
bucket's level is the same whether it is read from a chunk or from a row.

Every function here runs inside the caller's transaction or savepoint.
"""

from __future__ import annotations

import math
import sqlite3
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import groupby

from exporter.store.chunk_codec import Row, decode, encode

CHUNK_BUCKETS = 128
"""At most this many buckets in one chunk: a chunk is decoded whole to read a time in it
(about 30 µs), and zlib has enough to work with."""
SEAL_ROWS = 128
"""Open rows a selector keeps before maintenance seals them into a chunk."""

_ROW_COLUMNS = "start, end, events, cumulative"


def following(conn: sqlite3.Connection, sid: int, t: int, limit: int) -> list[Row]:
    """Up to ``limit`` consecutive buckets from the first ending at or after ``t`` (fewer
    when a chunk ends first; none after the newest)."""
    found = conn.execute(
        "SELECT data FROM chunks WHERE selector_id = ? AND end >= ? ORDER BY end LIMIT 1",
        (sid, t),
    ).fetchone()
    if found is not None:
        return decode(found[0], t, limit)
    return conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM buckets WHERE selector_id = ? AND end >= ?"
        " ORDER BY end LIMIT ?",
        (sid, t, limit),
    ).fetchall()


def span(conn: sqlite3.Connection, sid: int, lo: int, hi: int) -> list[Row]:
    """Every bucket ending at or after ``lo``, up to the first ending at or after ``hi``."""
    out: list[Row] = []
    cursor = conn.execute(
        "SELECT end, data FROM chunks WHERE selector_id = ? AND end >= ? ORDER BY end", (sid, lo)
    )
    try:
        for end, data in cursor:
            out += decode(data, lo)
            if end >= hi:
                return out
    finally:
        cursor.close()
    cursor = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM buckets WHERE selector_id = ? AND end >= ? ORDER BY end",
        (sid, lo),
    )
    try:
        for row in cursor:
            out.append(row)
            if row[1] >= hi:
                break
    finally:
        cursor.close()
    return out


def newest(conn: sqlite3.Connection, sid: int) -> tuple[int, float] | None:
    """End and cumulative level of the selector's newest bucket (None: no bucket)."""
    row = conn.execute(
        "SELECT end, cumulative FROM buckets WHERE selector_id = ? ORDER BY end DESC LIMIT 1",
        (sid,),
    ).fetchone()
    if row is not None:
        return int(row[0]), float(row[1])
    found = conn.execute(
        "SELECT data FROM chunks WHERE selector_id = ? ORDER BY end DESC LIMIT 1", (sid,)
    ).fetchone()
    if found is None:
        return None
    last = decode(found[0])[-1]
    return last[1], last[3]


def oldest(conn: sqlite3.Connection, sid: int) -> tuple[int, float] | None:
    """Start of the selector's oldest bucket and the level before it (None: no bucket)."""
    found = conn.execute(
        "SELECT data FROM chunks WHERE selector_id = ? ORDER BY end LIMIT 1", (sid,)
    ).fetchone()
    if found is not None:
        first = decode(found[0])[0]
    else:
        first = conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM buckets WHERE selector_id = ? ORDER BY end LIMIT 1",
            (sid,),
        ).fetchone()
        if first is None:
            return None
    return int(first[0]), float(first[3] - first[2])


def add_rows(conn: sqlite3.Connection, sid: int, rows: Sequence[Row]) -> None:
    """Open rows after the selector's newest bucket."""
    conn.executemany(
        "INSERT INTO buckets (selector_id, start, end, events, cumulative) VALUES (?, ?, ?, ?, ?)",
        ((sid, *row) for row in rows),
    )


def add_sealed(conn: sqlite3.Connection, sid: int, rows: Sequence[Row]) -> None:
    """``rows`` after the selector's newest bucket, straight into chunks (a fill's
    history: as open rows they would grow the file by their size, pages SQLite keeps
    after sealing frees them). The open rows are sealed first, to stay the newest."""
    seal(conn, sid)
    write(conn, sid, _last_open_chunk(conn, sid) + list(rows))


def write(conn: sqlite3.Connection, sid: int, rows: Sequence[Row]) -> None:
    """``rows`` (consecutive, oldest first, none inside an existing chunk) as new chunks."""
    for first in range(0, len(rows), CHUNK_BUCKETS):
        part = rows[first : first + CHUNK_BUCKETS]
        conn.execute(
            "INSERT INTO chunks (selector_id, end, start, buckets, data) VALUES (?, ?, ?, ?, ?)",
            (sid, part[-1][1], part[0][0], len(part), encode(part)),
        )


def _take(conn: sqlite3.Connection, sid: int, ends: Sequence[int]) -> None:
    conn.executemany(
        "DELETE FROM chunks WHERE selector_id = ? AND end = ?", ((sid, end) for end in ends)
    )


def _last_open_chunk(conn: sqlite3.Connection, sid: int) -> list[Row]:
    """The buckets of the selector's newest chunk when it has room, taken out of the file."""
    found = conn.execute(
        "SELECT end, buckets, data FROM chunks WHERE selector_id = ? ORDER BY end DESC LIMIT 1",
        (sid,),
    ).fetchone()
    if found is None or found[1] >= CHUNK_BUCKETS:
        return []
    _take(conn, sid, [found[0]])
    return decode(found[2])


def open_rows(conn: sqlite3.Connection, sid: int) -> tuple[int, int | None]:
    """How many open rows the selector has, and the end of the oldest."""
    count, first = conn.execute(
        "SELECT count(*), min(end) FROM buckets WHERE selector_id = ?", (sid,)
    ).fetchone()
    return int(count), first


def seal(conn: sqlite3.Connection, sid: int, upto: int | None = None) -> bool:
    """Move the open rows ending at or before ``upto`` (None: all) into chunks, filling
    the newest chunk first; whether there were any."""
    bound = 2**62 if upto is None else upto
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM buckets WHERE selector_id = ? AND end <= ? ORDER BY end",
        (sid, bound),
    ).fetchall()
    if not rows:
        return False
    write(conn, sid, _last_open_chunk(conn, sid) + rows)
    conn.execute("DELETE FROM buckets WHERE selector_id = ? AND end <= ?", (sid, bound))
    return True


def rewrite(
    conn: sqlite3.Connection,
    sid: int,
    lo: int,
    hi: int,
    change: Callable[[list[Row]], list[Row]],
) -> bool:
    """Replace the chunks holding buckets ending in (lo, hi] by ``change`` of their
    buckets (with the chunk before them when it has room, so merged tiers do not
    splinter into small chunks); whether anything changed."""
    found = conn.execute(
        "SELECT end, data FROM chunks WHERE selector_id = ? AND end > ? AND start < ? ORDER BY end",
        (sid, lo, hi),
    ).fetchall()
    if not found:
        return False
    rows = [row for _, data in found for row in decode(data)]
    changed = change(rows)
    if changed == rows:
        return False
    before = conn.execute(
        "SELECT end, buckets, data FROM chunks WHERE selector_id = ? AND end < ?"
        " ORDER BY end DESC LIMIT 1",
        (sid, found[0][0]),
    ).fetchone()
    ends = [end for end, _ in found]
    if before is not None and before[1] < CHUNK_BUCKETS:
        changed = decode(before[2]) + changed
        ends.append(before[0])
    _take(conn, sid, ends)
    write(conn, sid, changed)
    return True


def merge_slots(rows: list[Row], lo: int, hi: int, width: int) -> list[Row]:
    """``rows`` with those ending in (lo, hi] whose ends share a ``width`` slot joined:
    (first start, last end, their events, the last one's level)."""
    first = bisect_right(rows, lo, key=_end)
    last = bisect_right(rows, hi, key=_end)
    out = rows[:first]
    for _, group in groupby(rows[first:last], key=lambda row: -(-row[1] // width)):
        joined = list(group)
        if len(joined) == 1:
            out.append(joined[0])
        else:
            events = math.fsum(row[2] for row in joined)
            out.append((joined[0][0], joined[-1][1], events, joined[-1][3]))
    out += rows[last:]
    return out


def _end(row: Row) -> int:
    return row[1]


def prune(conn: sqlite3.Connection, sid: int, keep_from: int) -> bool:
    """Drop the buckets ending at or before ``keep_from``; whether there were any."""
    gone = conn.execute(
        "DELETE FROM chunks WHERE selector_id = ? AND end <= ?", (sid, keep_from)
    ).rowcount
    gone += conn.execute(
        "DELETE FROM buckets WHERE selector_id = ? AND end <= ?", (sid, keep_from)
    ).rowcount
    cut = rewrite(conn, sid, -(2**62), keep_from + 1, lambda rows: _after(rows, keep_from))
    return bool(gone) or cut


def _after(rows: list[Row], t: int) -> list[Row]:
    return [row for row in rows if row[1] > t]


def drop(conn: sqlite3.Connection, sid: int) -> None:
    """Delete every bucket of the selector."""
    conn.execute("DELETE FROM chunks WHERE selector_id = ?", (sid,))
    conn.execute("DELETE FROM buckets WHERE selector_id = ?", (sid,))


def count(conn: sqlite3.Connection) -> int:
    """Buckets in the file, sealed or open."""
    sealed = conn.execute("SELECT coalesce(sum(buckets), 0) FROM chunks").fetchone()[0]
    return int(sealed) + int(conn.execute("SELECT count(*) FROM buckets").fetchone()[0])
