"""Writes to a history store in a loop, as fast as it can, until it is killed.

``python store_crash_writer.py DATA_DIR`` opens (or creates) the store and
carries on from whatever it holds. Every cycle moves each of the selectors
``a`` and ``b`` on by 60 s with one event and one series whose counter
equals the events so far (every 11th cycle by 130 such steps in one write, as a
fill does), and every 7th cycle compacts with a short fine tier. So in any
consistent state of a selector: its buckets add up to ``known_until / 60``
events, lie within (known_from, known_until] without
overlapping, and its series' last value is ``known_until / 60``, read at
``known_until``. Compaction merges into a middle tier of 5 minutes and a coarse
one of 15, so every tier's merge can be cut short. ``test_store_file.py`` kills
this with SIGKILL at random moments and checks exactly that.
"""

from __future__ import annotations

import sys
from pathlib import Path

from exporter.store.appends import Bucket
from exporter.store.history import HistoryStore
from exporter.store.maintenance import Retention
from exporter.store.plan import StreamState

SELECTORS = ("a", "b")
STEP = 60
SERIES = '[["__name__","a_total"]]'
FILL_STEPS = 130
"""Every 11th cycle moves on by this many steps in one write, as a fill does (packed
straight into chunks)."""
POLICY = Retention(fine_span=600, retention=10**9, coarse=900, tiers=((300, 1800),))


def main(data_dir: Path) -> None:
    store = HistoryStore.open(data_dir)
    print("open", flush=True)
    cycle = 0
    while True:
        for selector in SELECTORS:
            state = store.state(selector)
            until = state.known_until if state else 0
            steps = FILL_STEPS if cycle % 11 == 10 else 1
            at = until + steps * STEP
            new = StreamState(0, at, at)
            store.record(
                selector,
                [Bucket(t, t + STEP, 1.0) for t in range(until, at, STEP)],
                expect=state,
                state=new,
                values={SERIES: (at / STEP, at)},
            )
        cycle += 1
        if cycle % 7 == 0:
            store.maintain(dict.fromkeys(SELECTORS, POLICY), at)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
