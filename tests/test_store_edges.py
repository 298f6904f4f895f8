"""Window sums from the rows remembered at each window's edge equal a fresh process's.

A long-lived store remembers the rows at every window's oldest edge between cycles
(``exporter/store/edges.py``); a store opened anew on the same file has nothing
remembered and looks every edge up. Whatever happens between cycles (appends, merges,
pruning, prepended history, a rolled-back write), both must give the same sums.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.store.appends import Bucket
from exporter.store.file_format import StoreError, connect
from exporter.store.history import HistoryStore
from exporter.store.maintenance import Retention
from exporter.store.plan import StreamState

WINDOWS = [60, 300, 1800, 3600, 7200, 14400]
POLICY = Retention(fine_span=1800, retention=4 * 3600, coarse=900, tiers=((300, 5400),))


def _append(store: HistoryStore, key: str, end: int, events: float) -> None:
    state = store.state(key)
    start = end - 60 if state is None else state.known_until
    known_from = start if state is None else state.known_from
    store.record(
        key,
        [Bucket(start, end, events)],
        expect=state,
        state=StreamState(known_from, end, None),
    )


def _fresh(store: HistoryStore, key: str, at: int) -> dict[int, float]:
    """The sums a new process on the same file computes: a connection of its own, nothing
    remembered (without the directory lock, which the store under test holds)."""
    other = HistoryStore(connect(store.path, deep=False), store.path, None)
    try:
        return other.window_sums(key, at, WINDOWS)
    finally:
        other.close()


@pytest.fixture
def store(tmp_path: Path):
    opened = HistoryStore.open(tmp_path / "data")
    yield opened
    opened.close()


def test_cycles_with_merging_and_pruning_sum_like_a_fresh_process(store):
    """Six hours of minute cycles, maintenance every five minutes (merging into a middle
    and a coarse tier, pruning past retention): every cycle's sums equal a fresh store's."""
    for at in range(60, 6 * 3600, 60):
        _append(store, "s", at, float(1 + (at // 60) % 5))
        if at % 300 == 0:
            store.maintain({"s": POLICY}, at)
        assert store.window_sums("s", at, WINDOWS) == _fresh(store, "s", at), at


def test_prepended_history_is_seen_at_remembered_edges(store):
    """History added before the oldest bucket (a longer period) counts in the next sums
    even where an edge's rows were remembered before it came."""
    _append(store, "s", 3600, 10.0)
    assert store.window_sums("s", 3600, [7200]) == {7200: 10.0}
    state = store.state("s")
    assert state is not None
    store.record(
        "s",
        [Bucket(-3600, 0, 5.0)],
        expect=state,
        state=StreamState(-3600, state.known_until, None),
    )
    assert store.window_sums("s", 3600, [7200]) == {7200: 15.0}


def test_a_rolled_back_write_forgets_the_remembered_rows(store):
    """A write that fails inside a batch is undone; the sums are those of the file."""
    for at in range(60, 1200, 60):
        _append(store, "s", at, 1.0)
    store.window_sums("s", 1140, WINDOWS)
    with store.batch():
        _append(store, "s", 1200, 100.0)
        with pytest.raises(StoreError):
            store.record("s", [], expect=None, state=StreamState(0, 1, None))
    assert store.window_sums("s", 1200, WINDOWS) == _fresh(store, "s", 1200)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(st.integers(min_value=0, max_value=9), min_size=30, max_size=200),
    maintain_every=st.integers(min_value=1, max_value=40),
    step=st.sampled_from([30, 60, 90]),
)
def test_any_cycle_sequence_sums_like_a_fresh_process(
    tmp_path_factory, events, maintain_every, step
):
    """Random traffic (zero-event buckets are not written), intervals and maintenance
    cadence: the last cycle's sums equal a fresh process's."""
    store = HistoryStore.open(tmp_path_factory.mktemp("edges") / "data", deep_check=False)
    try:
        at = 0
        for k, count in enumerate(events):
            at += step
            _append(store, "s", at, float(count))
            if k % maintain_every == 0:
                store.maintain({"s": POLICY}, at)
            store.window_sums("s", at, WINDOWS)
        assert store.window_sums("s", at, WINDOWS) == _fresh(store, "s", at)
    finally:
        store.close()
