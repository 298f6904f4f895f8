"""The history store's own share of a steady cycle, without Prometheus: append and sum.

    .venv/bin/python benchmarks/store_cycle.py --streams 2000 --fine-hours 25

Makes a store of ``--streams`` selectors (an SLO has two) holding a month at a 30 s
interval the way the store keeps it: fine buckets for ``--fine-hours``, 2-minute buckets
back to 3d + 1h (``--middle``; 0 keeps 3d + 1h fine, as before the middle tiers) and
20-minute buckets back to 30 days; then runs ``--cycles`` steady cycles at 30 s steps,
each appending one bucket per selector (in batches of 100, as a cycle does) and summing
the default windows and the period for every selector. Each batch of the build is
maintained as the daemon does (so the store keeps its history the way it would on disk),
and so is every selector after the cycles (one full maintenance pass, timed: the daemon
spreads it over the 10 cycles of 5 minutes). Prints the file's bytes per selector, per
SLO and per bucket, and the seconds per cycle of appending and of summing (the mean over
the cycles after the first, which is given apart: it looks up every edge; run more cycles
than the 8 rows remembered at an edge last, so the mean includes the lookups). Run it with
another checkout's ``exporter`` on ``PYTHONPATH`` to compare releases on the same machine.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from exporter.store.history import Bucket, HistoryStore, Retention
from exporter.store.plan import StreamState

DAY, HOUR = 86400, 3600
AT = 1_800_000_000
STEP = 30
WINDOWS = [300, 1800, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY, 30 * DAY]


def layout(fine_hours: float, middle: int) -> list[tuple[int, int]]:
    """The (start, end] of every bucket up to AT, oldest first."""
    fine_from = AT - int(fine_hours * HOUR)
    middle_from = AT - 3 * DAY - HOUR if middle else fine_from
    out, t = [], AT - 30 * DAY
    while t < middle_from:
        out.append((t, t + 1200))
        t += 1200
    while t < fine_from:
        out.append((t, t + middle))
        t += middle
    while t < AT:
        out.append((t, t + STEP))
        t += STEP
    return out


def policy(fine_hours: float, middle: int) -> Retention:
    """How the daemon would keep this layout: what it merges is merged already."""
    tiers = ((middle, 3 * DAY + HOUR),) if middle else ()
    return Retention(int(fine_hours * HOUR), 30 * DAY + HOUR, 1200, tiers)


def build(
    path: Path, streams: int, buckets: list[tuple[int, int]], keep: Retention
) -> HistoryStore:
    store = HistoryStore.open(path, deep_check=False)
    rng = random.Random(1)
    for first in range(0, streams, 100):
        batch = range(first, min(first + 100, streams))
        with store.batch():
            for i in batch:
                width = [(e - s) // STEP for s, e in buckets]
                rows = [
                    Bucket(s, e, float(rng.randint(5, 15) * w))
                    for (s, e), w in zip(buckets, width, strict=True)
                ]
                store.record(f"s{i}", rows, expect=None, state=StreamState(buckets[0][0], AT, AT))
        store.maintain({f"s{i}": keep for i in batch}, AT)
    return store


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--streams", type=int, default=2000)
    p.add_argument("--fine-hours", type=float, default=25.0)
    p.add_argument("--middle", type=int, default=120, help="middle tier width (0: none)")
    p.add_argument("--cycles", type=int, default=25)
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="store-cycle-"))
    try:
        buckets = layout(args.fine_hours, args.middle)
        keep = policy(args.fine_hours, args.middle)
        started = time.perf_counter()
        store = build(workdir / "data", args.streams, buckets, keep)
        built = time.perf_counter() - started
        store.close()
        size = sum(f.stat().st_size for f in (workdir / "data").iterdir() if f.is_file())
        store = HistoryStore.open(workdir / "data", deep_check=False)
        keys = [f"s{i}" for i in range(args.streams)]
        appends, sums = [], []
        for k in range(1, args.cycles + 1):
            at = AT + k * STEP
            started = time.perf_counter()
            for first in range(0, len(keys), 100):
                with store.batch():
                    for key in keys[first : first + 100]:
                        state = store.state(key)
                        assert state is not None
                        store.record(
                            key,
                            [Bucket(state.known_until, at, 10.0)],
                            expect=state,
                            state=StreamState(state.known_from, at, at),
                        )
            appends.append(time.perf_counter() - started)
            started = time.perf_counter()
            for key in keys:
                store.window_sums(key, at, WINDOWS)
            sums.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.maintain(dict.fromkeys(keys, keep), at)
        maintained = time.perf_counter() - started
        store.close()
        print(
            f"streams {args.streams}, buckets per stream {len(buckets)}, built in {built:.0f} s\n"
            f"bytes per stream {size / args.streams:,.0f}"
            f" ({2 * size / args.streams / 1024:,.1f} KiB per SLO,"
            f" {size / args.streams / len(buckets):.1f} per bucket)\n"
            f"first cycle: append {appends[0]:.3f} s, sums {sums[0]:.3f} s\n"
            f"later cycles (mean): append {statistics.mean(appends[1:]):.3f} s, "
            f"sums {statistics.mean(sums[1:]):.3f} s\n"
            f"maintenance of every stream once: {maintained:.3f} s"
            f" ({maintained / (300 // STEP):.3f} s per cycle, spread over 5 minutes)"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
