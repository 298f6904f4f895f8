"""Keeping the store's size bounded: merging aged buckets, dropping old and unused ones.

Each selector's fine buckets older than its fine span are merged into
coarse ones (:mod:`exporter.store.resolution`), from where its last merge
stopped (kept in the ``compaction`` table), so only new buckets are looked
at (the chunks holding them, decoded, merged and packed again); open rows are sealed
into chunks once there are :data:`~exporter.store.chunks.SEAL_ROWS` of them;
buckets past retention are dropped, and so are selectors no SLO used
for :data:`UNUSED_GRACE` and series not seen for :data:`STALE_SERIES`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from exporter.store import chunks
from exporter.store.file_format import StoreError
from exporter.store.remembered import Catalog
from exporter.store.resolution import HOUR, floor_to, tier_cuts
from exporter.store.transactions import Transactions

UNUSED_GRACE = 7 * 86400
"""A selector no SLO has used for this long is dropped."""
STALE_SERIES = 86400
"""A series not seen for this long loses its last value (it is treated as new if it returns)."""

MaintenanceRow = tuple[int, str, int]
"""A stored selector as ``(id, selector, known_until)``."""


@dataclass(frozen=True)
class Retention:
    """How one selector's buckets age: fine for ``fine_span``, then merged into each
    middle tier's ``(width, span)`` of ``tiers`` and at last into buckets of ``coarse``
    seconds, kept for ``retention``."""

    fine_span: int
    retention: int
    coarse: int = HOUR
    tiers: tuple[tuple[int, int], ...] = ()


class Maintenance:
    """Merges, prunes and forgets, each run one write."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        catalog: Catalog,
        transactions: Transactions,
    ) -> None:
        self._conn = conn
        self._path = path
        self._catalog = catalog
        self._transactions = transactions

    def rows(self) -> list[MaintenanceRow]:
        """Every stored selector as ``(id, selector, known_until)``."""
        rows = self._conn.execute("SELECT id, selector, known_until FROM selectors")
        return [(int(a), str(b), int(c)) for a, b, c in rows.fetchall()]

    def maintain(
        self,
        policies: Mapping[str, Retention],
        at: int,
        rows: Sequence[MaintenanceRow] | None = None,
    ) -> None:
        """Merge, prune and forget for ``rows`` (or every selector) in one write.

        ``policies`` names every selector the current SLOs use; the others are
        dropped once unused for :data:`UNUSED_GRACE`.
        """
        with self._transactions.write() as conn:
            if rows is None:
                rows = self.rows()
            for sid, selector, until in rows:
                policy = policies.get(selector)
                if policy is None:
                    if until < at - UNUSED_GRACE:
                        self._drop(conn, sid, selector)
                    continue
                self._merge(conn, sid, until, policy)
                if chunks.open_rows(conn, sid)[0] >= chunks.SEAL_ROWS:
                    chunks.seal(conn, sid)
                if _prune(conn, sid, floor_to(at - policy.retention, policy.coarse)):
                    self._catalog.pruned(selector, sid)
                conn.execute(
                    "DELETE FROM series WHERE selector_id = ? AND seen_at < ?",
                    (sid, until - STALE_SERIES),
                )

    def mark_compacted(self, selector: str, until: int) -> None:
        """Say that ``selector``'s buckets ending at or before ``until`` are already as
        coarse as they get (a cold fill writes them aligned), so no merge rescans them."""
        with self._transactions.write() as conn:
            sid = self._catalog.id(selector)
            if sid is None:
                raise StoreError(f"{self._path}: {selector} is not in the store")
            self._set_mark(conn, sid, until)

    def _drop(self, conn: sqlite3.Connection, sid: int, selector: str) -> None:
        """Delete the selector with its buckets, series and merge mark."""
        chunks.drop(conn, sid)
        conn.execute("DELETE FROM series WHERE selector_id = ?", (sid,))
        conn.execute("DELETE FROM compaction WHERE selector_id = ?", (sid,))
        conn.execute("DELETE FROM selectors WHERE id = ?", (sid,))
        self._catalog.dropped(selector, sid)

    def _merge(self, conn: sqlite3.Connection, sid: int, until: int, policy: Retention) -> None:
        """Merge the buckets that aged out of each tier since the last merge.

        The mark is the ``known_until`` of the last merge (of a version-1 file: an older
        time, so the first merge looks at more than it needs, never at less)."""
        since = self._catalog.marks().get(sid)
        if since is not None and since >= until:
            return
        now = tier_cuts(until, policy.fine_span, policy.tiers, policy.coarse)
        before = (
            None
            if since is None
            else tier_cuts(since, policy.fine_span, policy.tiers, policy.coarse)
        )
        if before == now:
            return  # no tier's cut moved: nothing to merge, and the old mark still says so
        for k, (width, cutoff) in enumerate(now):
            lo = None if before is None else before[k][1] - width
            if lo is None or lo + width < cutoff:
                _compact(conn, sid, lo, cutoff, width)
                self._catalog.merged(sid, cutoff)
        self._set_mark(conn, sid, until)

    def _set_mark(self, conn: sqlite3.Connection, sid: int, until: int) -> None:
        conn.execute(
            "INSERT INTO compaction (selector_id, until) VALUES (?, ?)"
            " ON CONFLICT (selector_id) DO UPDATE SET until = excluded.until",
            (sid, until),
        )
        self._catalog.set_mark(sid, until)


def _compact(
    conn: sqlite3.Connection, sid: int, since: int | None, cutoff: int, width: int
) -> None:
    """Join the buckets ending in (since, cutoff] whose ends share a ``width`` slot.

    Buckets are disjoint and follow each other, so a group's buckets span
    (first start, last end] and no other bucket lies in between: the joined
    bucket keeps every event where it was (and the last one's cumulative
    level), only with less resolution. ``since`` None looks at everything.
    The open rows ending by ``cutoff`` are sealed first, so the merge works on
    decoded chunks only.
    """
    lo = -(2**62) if since is None else since
    chunks.seal(conn, sid, cutoff)
    chunks.rewrite(conn, sid, lo, cutoff, lambda rows: chunks.merge_slots(rows, lo, cutoff, width))


def _prune(conn: sqlite3.Connection, sid: int, keep_from: int) -> bool:
    """Drop the buckets ending at or before ``keep_from``; whether there were any."""
    if not chunks.prune(conn, sid, keep_from):
        return False
    conn.execute(
        "UPDATE selectors SET known_from = max(known_from, ?) WHERE id = ?", (keep_from, sid)
    )
    return True
