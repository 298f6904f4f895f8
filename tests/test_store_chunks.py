"""Sealed buckets packed into chunks: lossless, read the same as open rows, compact, and a
version-1 file upgraded on open with every window sum it had.

The store is real SQLite in a temporary directory; the expected sums are computed here
from the buckets written, not by the store.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_files import stored_buckets

from exporter.store.appends import Bucket
from exporter.store.chunk_codec import decode, encode
from exporter.store.file_format import FILE_NAME
from exporter.store.history import HistoryStore
from exporter.store.maintenance import Retention
from exporter.store.plan import StreamState
from exporter.store.upgrade import BATCH

_EVENTS = st.one_of(
    st.integers(1, 2**40).map(float),
    st.floats(1e-9, 1e15, allow_nan=False, allow_infinity=False),
    st.sampled_from([2.0**53, 2.0**60, 0.5, 1e300]),
)


@st.composite
def _runs(draw: st.DrawFn) -> list[tuple[int, int, float, float]]:
    """Consecutive buckets as the store keeps them: gaps allowed, levels running on."""
    t = draw(st.integers(-(2**40), 2**40))
    level = draw(st.sampled_from([0.0, 1e6, 12.5, -3.0, 2.0**52]))
    rows = []
    for _ in range(draw(st.integers(1, 300))):
        t += draw(st.sampled_from([0, 0, 0, 30, 3600, 2**33]))
        width = draw(st.sampled_from([30, 60, 1200, 7, 2**35]))
        events = draw(_EVENTS)
        level += events
        rows.append((t, t + width, events, level))
        t += width
    return rows


@settings(max_examples=300, deadline=None)
@given(_runs(), st.integers(-(2**41), 2**41), st.integers(1, 20))
def test_a_chunk_gives_back_every_bucket_bit_for_bit(rows, since, limit):
    """Packing loses nothing: whole numbers and floats, huge and fractional, come back
    exactly, and so does the slice read from any time at an edge."""
    blob = encode(rows)
    assert decode(blob) == rows
    assert [r[3].hex() for r in decode(blob)] == [r[3].hex() for r in rows]
    expected = [row for row in rows if row[1] >= since][:limit]
    assert decode(blob, since, limit) == expected


def _truth(buckets: list[Bucket], at: int, window: int) -> float:
    """Events of the buckets that lie inside (at - window, at] (whole buckets only)."""
    return sum(b.events for b in buckets if at - window <= b.start and b.end <= at)


def _minutes(count: int, rng: random.Random, *, whole: bool) -> list[Bucket]:
    out = []
    for k in range(count):
        events = float(rng.randint(1, 500)) if whole else rng.uniform(0.1, 50.0)
        if rng.random() < 0.1:
            continue  # a minute without events is not written
        out.append(Bucket(k * 60, k * 60 + 60, events))
    return out


@pytest.mark.parametrize("whole", [True, False], ids=["whole-events", "fractional-events"])
def test_sealed_buckets_sum_as_open_rows_did(tmp_path: Path, whole: bool):
    """Once maintenance seals a selector's rows into chunks, every window sums what it
    did before, to the bit, and what the buckets add up to."""
    buckets = _minutes(3000, random.Random(7), whole=whole)
    store = HistoryStore.open(tmp_path)
    for first in range(0, len(buckets), 100):  # as cycles write them: open rows
        part = buckets[first : first + 100]
        state = StreamState(0, part[-1].end, None)
        store.record("s", part, expect=store.state("s"), state=state)
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        assert conn.execute("SELECT count(*) FROM buckets").fetchone() == (len(buckets),)
    windows = [60, 300, 3600, 21_600, 86_400, 180_000]
    before = store.window_sums("s", 180_000, windows)
    points = [0, 59, 90, 3600, 100_000, 180_000, 200_000]
    levels = store.levels("s", points)
    forever = Retention(fine_span=10**9, retention=10**9, coarse=3600)
    store.maintain({"s": forever}, 180_000)
    store.close()
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        assert conn.execute("SELECT count(*) FROM buckets").fetchone() == (0,), "all sealed"
    store = HistoryStore.open(tmp_path)
    after = store.window_sums("s", 180_000, windows)
    assert after == before
    for window in windows:
        assert after[window] == pytest.approx(_truth(buckets, 180_000, window), rel=1e-12)
    assert store.levels("s", points) == levels
    assert store.widest_bucket("s", 0, 180_000) == 60
    store.close()


@pytest.mark.parametrize("cycles", [False, True], ids=["filled", "appended-and-maintained"])
def test_a_day_of_30_s_buckets_takes_a_few_bytes_each(tmp_path: Path, cycles: bool):
    """A selector's fine buckets of whole events cost a few bytes each on disk, not the 25
    or so a row took: written by a fill (packed as they are written) or appended a cycle
    at a time and sealed by maintenance."""
    rng = random.Random(3)
    store = HistoryStore.open(tmp_path)
    selectors = 40
    count = 2880  # a day of 30 s buckets
    keep = Retention(fine_span=10**9, retention=10**9, coarse=3600)
    for i in range(selectors):
        buckets = [Bucket(k * 30, k * 30 + 30, float(rng.randint(5, 15))) for k in range(count)]
        if not cycles:
            store.record(f"s{i}", buckets, expect=None, state=StreamState(0, count * 30, None))
            continue
        with store.batch():
            for b in buckets:
                state = store.state(f"s{i}")
                store.record(f"s{i}", [b], expect=state, state=StreamState(0, b.end, None))
                if b.end % 3000 == 0:
                    store.maintain({f"s{i}": keep}, b.end)
    assert store.stats().buckets == selectors * count
    store.close()
    size = sum(f.stat().st_size for f in tmp_path.iterdir() if f.name.startswith(FILE_NAME))
    assert size / (selectors * count) < 4.0


_VERSION_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE selectors (
    id INTEGER PRIMARY KEY, selector TEXT NOT NULL UNIQUE, known_from INTEGER NOT NULL,
    known_until INTEGER NOT NULL, values_at INTEGER
);
CREATE TABLE buckets (
    selector_id INTEGER NOT NULL REFERENCES selectors (id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL, events REAL NOT NULL,
    cumulative REAL NOT NULL, PRIMARY KEY (selector_id, end), CHECK (start < end)
) WITHOUT ROWID;
CREATE TABLE series (
    selector_id INTEGER NOT NULL REFERENCES selectors (id) ON DELETE CASCADE,
    labels TEXT NOT NULL, value REAL NOT NULL, seen_at INTEGER NOT NULL,
    PRIMARY KEY (selector_id, labels)
) WITHOUT ROWID;
CREATE TABLE compaction (
    selector_id INTEGER PRIMARY KEY REFERENCES selectors (id) ON DELETE CASCADE,
    until INTEGER NOT NULL
);
INSERT INTO schema_version (version) VALUES (1);
PRAGMA application_id = 1397509960;
"""
"""A version-1 store's layout, as slo-exporter wrote it before chunks."""


def _write_version_1(path: Path, streams: dict[str, list[Bucket]]) -> None:
    """A version-1 file holding ``streams``: one row per bucket, levels running on."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_VERSION_1)
        for sid, (selector, buckets) in enumerate(streams.items(), start=1):
            conn.execute(
                "INSERT INTO selectors VALUES (?, ?, ?, ?, ?)",
                (sid, selector, buckets[0].start, buckets[-1].end, buckets[-1].end),
            )
            rows, level = [], 1000.0
            for b in buckets:
                level += b.events
                rows.append((sid, b.start, b.end, b.events, level))
            conn.executemany("INSERT INTO buckets VALUES (?, ?, ?, ?, ?)", rows)
            conn.execute(
                "INSERT INTO series VALUES (?, ?, ?, ?)",
                (sid, '[["__name__","x"]]', 42.0, buckets[-1].end),
            )


def test_a_version_1_store_is_upgraded_with_every_sum_it_had(tmp_path: Path):
    """A store written before chunks opens with the new code as version 2 and sums every
    window as the buckets it held do, history the backend may no longer have included;
    its series' last values stay and it carries on appending."""
    rng = random.Random(11)
    coarse = [Bucket(t, t + 1200, float(rng.randint(100, 900))) for t in range(0, 86_400, 1200)]
    fine = [Bucket(t, t + 30, float(rng.randint(1, 9))) for t in range(86_400, 93_600, 30)]
    streams = {"good": coarse + fine, "total": [Bucket(0, 60, 0.5), Bucket(93_540, 93_600, 2.5)]}
    _write_version_1(tmp_path / FILE_NAME, streams)
    store = HistoryStore.open(tmp_path)
    windows = [30, 300, 3600, 7200, 50_400, 93_600]
    sums = store.window_sums("good", 93_600, windows)
    assert sums == pytest.approx({w: _truth(streams["good"], 93_600, w) for w in windows})
    assert store.window_sums("total", 93_600, [93_600]) == {93_600: 3.0}
    assert store.last_values("good") == {'[["__name__","x"]]': 42.0}
    assert store.stats().buckets == len(coarse) + len(fine) + 2
    state = store.state("good")
    assert state is not None
    store.record(
        "good", [Bucket(93_600, 93_630, 4.0)], expect=state, state=StreamState(0, 93_630, 93_630)
    )
    assert store.window_sums("good", 93_630, [60]) == {60: fine[-1].events + 4.0}
    store.close()
    with contextlib.closing(sqlite3.connect(tmp_path / FILE_NAME)) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    assert [(s, e) for s, e, _, _ in stored_buckets(tmp_path)] == [
        *((b.start, b.end) for b in [*coarse, *fine, Bucket(93_600, 93_630, 4.0)]),
        (0, 60),
        (93_540, 93_600),
    ]


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_upgrade_killed_at_any_moment_loses_nothing(tmp_path: Path, seed: int):
    """Processes killed with SIGKILL while they upgrade a version-1 store each leave a
    consistent file and keep the work done (each restart has fewer selectors left to
    seal); the next open finishes with every window sum the buckets had."""
    rng = random.Random(seed)
    streams = {  # 4 batches of selectors to seal, about 0.4 s each
        f"s{i}": [Bucket(t, t + 60, float(1 + (t // 60 + i) % 7)) for t in range(0, 60_000, 60)]
        for i in range(4 * BATCH)
    }
    _write_version_1(tmp_path / FILE_NAME, streams)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    left = [len(streams)]
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", _OPEN, str(tmp_path)], env=env, stdout=subprocess.PIPE
        )
        assert child.stdout is not None
        child.stdout.readline()  # it is about to open the store
        time.sleep(rng.uniform(0.0, 1.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        left.append(_unsealed(tmp_path / FILE_NAME, left[-1]))
    assert left == sorted(left, reverse=True), f"work was lost: {left}"
    store = HistoryStore.open(tmp_path)
    try:
        for selector, buckets in streams.items():
            sums = store.window_sums(selector, 60_000, [3600, 60_000])
            assert sums == {w: _truth(buckets, 60_000, w) for w in (3600, 60_000)}
        assert store.stats().buckets == sum(map(len, streams.values()))
    finally:
        store.close()
    assert _unsealed(tmp_path / FILE_NAME, 0) == 0


def _unsealed(path: Path, before: int) -> int:
    """Selectors a version-1 upgrade has still to seal (``before`` while the file is
    still version 1; 0 once done), read without opening the store (that would finish)."""
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        (version,) = conn.execute("SELECT version FROM schema_version").fetchone()
        listed = conn.execute("SELECT name FROM sqlite_master WHERE name = 'unsealed'")
        if version == 1:
            return before
        if listed.fetchone() is None:
            return 0
        return int(conn.execute("SELECT count(*) FROM unsealed").fetchone()[0])


_OPEN = """
import sys
from pathlib import Path
from exporter.store.history import HistoryStore
print("opening", flush=True)
HistoryStore.open(Path(sys.argv[1]), deep_check=False).close()
"""
