"""The history store's file: what it refuses, what it sums, and that it survives kill -9.

The store is real SQLite in a temporary directory; nothing is faked.
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
from collections import Counter
from pathlib import Path

import pytest
from store_files import damage_store, stored_buckets

from exporter.store.appends import Bucket
from exporter.store.file_format import FILE_NAME, StoreError
from exporter.store.history import HistoryStore
from exporter.store.maintenance import Retention
from exporter.store.plan import StreamState

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")


def _newer(path: Path) -> None:
    HistoryStore.open(path.parent).close()
    # Closed here, not whenever the garbage collector gets to it (a sqlite3 connection
    # sits in a reference cycle): its close folds the write-ahead log into the file,
    # which would otherwise change the bytes the test compares.
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE schema_version SET version = 99")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_garbage, "not a usable history store (file is not a database)"),
        (_foreign, "not a slo-exporter history store"),
        (_newer, "schema version 99"),
        (damage_store, "history store"),
    ],
    ids=["garbage", "foreign-sqlite", "newer-schema", "damaged"],
)
def test_an_unusable_file_is_one_line_naming_it(tmp_path: Path, make, says):
    """A file that is no store (or a damaged one) is refused in one line naming it, with advice."""
    path = tmp_path / FILE_NAME
    make(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        HistoryStore.open(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert says in message
    assert "move it away" in message or "use the matching slo-exporter" in message
    assert path.read_bytes() == before, "an unusable file is left untouched"


def test_a_second_process_on_the_same_directory_is_refused(tmp_path: Path):
    """Two exporters on one data directory would count twice: the second is refused."""
    first = HistoryStore.open(tmp_path)
    try:
        with pytest.raises(StoreError, match="in use by another slo-exporter"):
            HistoryStore.open(tmp_path)
    finally:
        first.close()
    HistoryStore.open(tmp_path).close()


def test_a_new_store_is_wal_sqlite_with_a_schema_version(tmp_path: Path):
    """The file is SQLite in WAL mode, marked as a history store of schema version 2."""
    HistoryStore.open(tmp_path / "nested" / "dir").close()
    with sqlite3.connect(tmp_path / "nested" / "dir" / FILE_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x534C4F48
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]


@pytest.fixture
def store(tmp_path: Path):
    opened = HistoryStore.open(tmp_path)
    yield opened
    opened.close()


def _fill(store: HistoryStore, buckets: list[Bucket]) -> None:
    store.record(
        "s",
        buckets,
        expect=store.state("s"),
        state=StreamState(buckets[0].start, buckets[-1].end, None),
    )


@pytest.mark.parametrize(
    ("window", "at", "expected"),
    [
        (60, 600, 10.0),  # the last minute
        (300, 600, 50.0),  # five whole minutes
        (600, 600, 100.0),  # everything
        (330, 600, 50.0 + 5.0),  # half of one more minute
        (120, 570, 20.0),  # (450, 570]: half of (420, 480], all of (480, 540], half of the last
        (3600, 600, 100.0),  # reaches before the first bucket
    ],
)
def test_windows_sum_buckets_and_share_the_cut_ones(store, window, at, expected):
    """A window adds whole buckets and the share of its length in a bucket it cuts."""
    _fill(store, [Bucket(t, t + 60, 10.0) for t in range(0, 600, 60)])
    assert store.window_sums("s", at, [window])[window] == pytest.approx(expected)


def test_unknown_selector_has_no_events(store):
    """A selector the store never saw counts 0 in every window."""
    assert store.window_sums("nope", 600, [60, 300]) == {60: 0.0, 300: 0.0}


def test_compaction_keeps_every_event_and_the_fine_tier(store):
    """Old fine buckets merge into 5-minute ones; sums stay, the recent ones stay fine."""
    _fill(store, [Bucket(t + 30, t + 90, float(t // 60)) for t in range(0, 7200, 60)])
    windows = [60, 600, 1800, 3600, 7200]
    before = store.window_sums("s", 7230, windows)
    rows_before = store.stats().buckets
    store.maintain({"s": Retention(fine_span=1800, retention=86400, coarse=300)}, 7230)
    after = store.window_sums("s", 7230, windows)
    fine_after_cutoff = (7230 - 5400) // 60  # the cutoff is floor(7230 - 1800) to 5 minutes
    assert store.stats().buckets <= fine_after_cutoff + 5400 // 300 + 1 < rows_before
    assert after[60] == before[60]
    assert after[600] == before[600]
    assert after[1800] == before[1800], "the fine tier is untouched"
    assert after[7200] == before[7200], "merging adds, it never loses"


FIVE_MIN = Retention(fine_span=1800, retention=86400, coarse=300)


def _rows(path: Path, sql: str) -> list[tuple[int, ...]]:
    with sqlite3.connect(path / FILE_NAME) as conn:
        return conn.execute(sql).fetchall()


def test_merging_resumes_where_it_stopped_across_a_restart(tmp_path: Path):
    """How far a selector is merged is kept in the file: after a restart only buckets that
    aged since are merged, and the sums are those of a store that never restarted."""
    minute = [Bucket(t, t + 60, float(1 + t % 7)) for t in range(0, 14400, 60)]
    control = HistoryStore.open(tmp_path / "control")
    store = HistoryStore.open(tmp_path / "restarted")
    for opened in (control, store):
        _fill(opened, minute[:120])
        opened.maintain({"s": FIVE_MIN}, 7200)
    assert _rows(tmp_path / "restarted", "SELECT until FROM compaction") == [(7200,)]
    store.close()
    store = HistoryStore.open(tmp_path / "restarted")
    for opened in (control, store):
        _fill(opened, minute[120:])
        opened.maintain({"s": FIVE_MIN}, 14400)
    windows = [60, 1800, 3600, 7200, 14400]
    assert store.window_sums("s", 14400, windows) == control.window_sums("s", 14400, windows)
    assert store.stats().buckets == control.stats().buckets == 30 + 12600 // 300
    assert _rows(tmp_path / "restarted", "SELECT until FROM compaction") == [(14400,)]
    store.close()
    control.close()


def test_a_store_from_before_the_merge_marks_opens_and_merges(tmp_path: Path):
    """A version-1 file written before the compaction table existed is opened as is, gets
    the table, and its selectors are merged from the start once."""
    store = HistoryStore.open(tmp_path)
    _fill(store, [Bucket(t, t + 60, 1.0) for t in range(0, 7200, 60)])
    store.close()
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:
        conn.execute("DROP TABLE compaction")
    store = HistoryStore.open(tmp_path)
    store.maintain({"s": FIVE_MIN}, 7200)
    assert store.stats().buckets == 30 + 5400 // 300
    assert store.window_sums("s", 7200, [7200]) == {7200: 120.0}
    store.close()


def test_middle_tiers_merge_by_age_and_keep_every_event(store):
    """With a middle tier, buckets past the fine span merge into its width and those past
    its span into the coarse width; every whole-window sum stays, the recent ones exact."""
    _fill(store, [Bucket(t, t + 60, float(1 + t % 7)) for t in range(0, 14400, 60)])
    windows = [60, 1800, 3600, 7200, 14400]
    before = store.window_sums("s", 14400, windows)
    policy = Retention(fine_span=1800, retention=86400, coarse=900, tiers=((300, 5400),))
    store.maintain({"s": policy}, 14400)
    assert store.window_sums("s", 14400, windows) == before
    widths = Counter(end - start for start, end, _, _ in stored_buckets(store.path.parent))
    # fine after 12600, 5-minute buckets over (9000, 12600], 15-minute ones before 9000
    assert widths == {60: 30, 300: 12, 900: 10}


def test_a_maintenance_pass_that_moves_no_cut_writes_nothing(store):
    """Maintenance runs every 5 minutes per selector; when no tier's cut moved since the
    last merge (cuts move by whole tier widths) it neither merges nor rewrites the mark."""
    _fill(store, [Bucket(t, t + 60, 1.0) for t in range(0, 7200, 60)])
    store.maintain({"s": FIVE_MIN}, 7200)
    _fill(store, [Bucket(7200, 7260, 1.0)])
    store.maintain({"s": FIVE_MIN}, 7260)  # floor(7260 - 1800, 300) == floor(7200 - 1800, 300)
    assert _rows(store.path.parent, "SELECT until FROM compaction") == [(7200,)]
    _fill(store, [Bucket(t, t + 60, 1.0) for t in range(7260, 7500, 60)])
    store.maintain({"s": FIVE_MIN}, 7500)
    assert _rows(store.path.parent, "SELECT until FROM compaction") == [(7500,)]


def test_a_merge_mark_of_an_older_release_merges_everything_it_must(tmp_path: Path):
    """An older release kept in the mark where its merge stopped (a time before the
    history's end); read as the end of the last merge it makes the next merge look further
    back, never less far: the result is the same as a store merged only now."""
    minute = [Bucket(t, t + 60, 1.0) for t in range(0, 14400, 60)]
    old = HistoryStore.open(tmp_path / "old")
    new = HistoryStore.open(tmp_path / "new")
    _fill(old, minute)
    _fill(new, minute)
    old.mark_compacted("s", 600)  # what an older release wrote after merging up to 600
    for opened in (old, new):
        opened.maintain({"s": FIVE_MIN}, 14400)
    assert old.stats().buckets == new.stats().buckets == 30 + 12600 // 300
    assert old.window_sums("s", 14400, [14400]) == {14400: 240.0}
    old.close()
    new.close()


def test_a_failed_write_in_a_batch_keeps_the_others(store):
    """In a batch (one commit for a cycle's appends) a write that is refused leaves the
    batch's other writes in place; batches do not nest."""
    store.record("s", [Bucket(0, 60, 1.0)], expect=None, state=StreamState(0, 60, 60))
    with store.batch():
        store.record("a", [Bucket(0, 60, 2.0)], expect=None, state=StreamState(0, 60, 60))
        with pytest.raises(StoreError, match="changed under this process"):
            store.record("s", [Bucket(60, 120, 5.0)], expect=None, state=StreamState(0, 120, 120))
        store.record("b", [Bucket(0, 60, 3.0)], expect=None, state=StreamState(0, 60, 60))
        with pytest.raises(RuntimeError), store.batch():
            pass
    sums = {k: store.window_sums(k, 120, [120])[120] for k in ("s", "a", "b")}
    assert sums == {"s": 1.0, "a": 2.0, "b": 3.0}
    assert store.state("s") == StreamState(0, 60, 60)


def test_a_rolled_back_batch_is_not_remembered(store):
    """The store remembers each selector's state and newest bucket between cycles; when a
    batch is rolled back as a whole, what it wrote is forgotten with it, so the next write
    continues from what the file holds (else a window would count undone events)."""
    store.record("s", [Bucket(0, 60, 1.0)], expect=None, state=StreamState(0, 60, 60))

    def undone() -> None:
        with store.batch():
            store.record(
                "s", [Bucket(60, 120, 5.0)], expect=store.state("s"), state=StreamState(0, 120, 120)
            )
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        undone()
    assert store.state("s") == StreamState(0, 60, 60)
    store.record(
        "s", [Bucket(60, 120, 2.0)], expect=store.state("s"), state=StreamState(0, 120, 120)
    )
    assert store.window_sums("s", 120, [60, 120]) == {60: 2.0, 120: 3.0}
    assert _rows(store.path.parent, "SELECT end, cumulative FROM buckets") == [
        (60, 1.0),
        (120, 3.0),
    ]


def test_retention_drops_old_buckets_and_unused_selectors(store):
    """Buckets past retention go; a selector no SLO used for a week goes entirely."""
    _fill(store, [Bucket(t, t + 3600, 1.0) for t in range(0, 10 * 3600, 3600)])
    store.record("old", [Bucket(0, 60, 1.0)], expect=None, state=StreamState(0, 60, 60))
    policies = {"s": Retention(fine_span=3600, retention=5 * 3600, coarse=3600)}
    store.maintain(policies, 10 * 3600)
    assert store.window_sums("s", 10 * 3600, [10 * 3600])[10 * 3600] == 5.0
    state = store.state("s")
    assert state is not None
    assert state.known_from == 5 * 3600
    assert store.state("old") is not None, "unused for less than a week: kept"
    store.maintain(policies, 8 * 86400)
    assert store.state("old") is None


def test_a_write_from_a_stale_state_is_refused(store):
    """Writing with an outdated expected state fails instead of counting twice."""
    store.record("s", [Bucket(0, 60, 1.0)], expect=None, state=StreamState(0, 60, 60))
    with pytest.raises(StoreError, match="changed under this process"):
        store.record("s", [Bucket(0, 60, 1.0)], expect=None, state=StreamState(0, 60, 60))
    assert store.window_sums("s", 60, [60]) == {60: 1.0}


def _check_consistent(data_dir: Path) -> int:
    """Open the store the writer left and check it; returns how far it got."""
    store = HistoryStore.open(data_dir)
    try:
        store.verify()  # what a running exporter checks: StoreError on a damaged page
        assert _rows(data_dir, "PRAGMA integrity_check") == [("ok",)]
        reached = 0
        for selector in ("a", "b"):
            state = store.state(selector)
            if state is None:
                continue
            until = state.known_until
            events = until // 60
            total = store.window_sums(selector, until, [until])[until]
            assert total == events, f"{selector}: buckets hold {total}, expected {events}"
            assert store.last_values(selector) == {'[["__name__","a_total"]]': events}
            assert state.values_at == until
            reached = max(reached, until)
        return reached
    finally:
        store.close()


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_store_survives_kill_9_at_any_moment(tmp_path: Path, seed: int):
    """A writer killed with SIGKILL at random moments leaves a sound, consistent store
    that the next process opens and carries on with."""
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reached = 0
    for round_ in range(8):
        writer = subprocess.Popen(
            [sys.executable, str(TESTS / "store_crash_writer.py"), str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert writer.stdout is not None
        if round_ % 2:  # at any moment after the store is open ...
            assert writer.stdout.readline() == b"open\n"
            time.sleep(rng.uniform(0.0, 0.3))
        else:  # ... or from the start, possibly while it opens or creates the file
            time.sleep(rng.uniform(0.0, 0.5))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        if writer.stderr is not None:
            writer.stderr.close()
        assert writer.returncode == -signal.SIGKILL
        now = _check_consistent(tmp_path)
        assert now >= reached, "committed cycles are never lost on a process crash"
        reached = now
    assert reached > 0, "the writer never got to write"
