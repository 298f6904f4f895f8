"""What the store asks the backend for, and how it turns raw values into increments.

Pure functions, checked against hand-written tables: the fill plans of a
cold start, a steady cycle, gaps after a restart or an outage and a longer
period; range-query chunking; the coarse width per period; reset-aware
deltas; the share of a bucket a window covers.
"""

from __future__ import annotations

import pytest
from one_slo import one_slo_config

from exporter.config.loader import load_config
from exporter.samples import Grid, single
from exporter.store.deltas import counter_deltas
from exporter.store.plan import Needs, Raw, StreamState, Windowed, coarse, plan_fill
from exporter.store.resolution import EDGE_BUCKETS, coarse_width, edge_width, grid_after, level_at
from exporter.store.streams import needs

H = 3600
D = 86400
AT = 1_800_000_000  # a whole hour
NEEDS = Needs(horizon=30 * D, fine_span=3 * D + H, retention=30 * D + H, coarse=1200)


def test_cold_start_is_coarse_history_then_raw_values_on_the_evaluation_grid():
    """A new selector: 20-minute increases back to the period's start, raw values for 3d+1h;
    the coarse part is written aligned, as merging at T would leave it: nothing to merge."""
    plan = plan_fill(None, AT, NEEDS, 60, raw=True)
    fine_start = AT - 3 * D - H
    assert plan.steps == (
        Windowed(Grid(AT - 30 * D + 1200, fine_start, 1200), 1200),
        Raw(fine_start, Grid(fine_start + 60, AT, 60)),
    )
    assert plan.known_from == AT - 30 * D
    assert plan.seconds == 30 * D
    assert not plan.steady
    assert plan.compacted_until == AT
    assert (
        plan_fill(StreamState(AT - D, AT - 60, AT - 60), AT, NEEDS, 60, raw=True).compacted_until
        is None
    )


def test_a_steady_cycle_is_one_read_at_t():
    """With the store current to T - interval, the plan is the single point T."""
    state = StreamState(AT - 30 * D, AT - 60, AT - 60)
    plan = plan_fill(state, AT, NEEDS, 60, raw=True)
    assert plan.steps == (Raw(None, single(AT, 60)),)
    assert plan.steady
    assert plan.seconds == 60


@pytest.mark.parametrize(
    ("until", "values_at", "steps"),
    [
        # an outage of 10 cycles: raw values at each missed cycle, from the stored values
        (AT - 600, AT - 600, (Raw(None, Grid(AT - 540, AT, 60)),)),
        # values not stored (a crash after a coarse-only fill): read them at known_until too
        (AT - 600, None, (Raw(AT - 600, Grid(AT - 540, AT, 60)),)),
        # known_until off the grid (interval changed): a short first bucket
        (AT - 630, AT - 630, (Raw(None, Grid(AT - 600, AT, 60)),)),
        # a gap longer than the fine tier: coarse up to the fine tier, then raw values
        (
            AT - 5 * D - 300,
            AT - 5 * D - 300,
            (
                Windowed(single(AT - 5 * D, 1200), 300),
                Windowed(Grid(AT - 5 * D + 1200, AT - 3 * D - H, 1200), 1200),
                Raw(AT - 3 * D - H, Grid(AT - 3 * D - H + 60, AT, 60)),
            ),
        ),
    ],
)
def test_gaps_are_filled_point_by_point(until, values_at, steps):
    """After a restart or an outage only (known_until, T] is read, one bucket per interval."""
    state = StreamState(AT - 30 * D, until, values_at)
    plan = plan_fill(state, AT, NEEDS, 60, raw=True)
    assert plan.steps == steps
    assert plan.prepend == ()
    assert plan.seconds == AT - until


def test_nothing_to_do_when_the_store_is_current():
    """Evaluating at or before known_until reads nothing."""
    state = StreamState(AT - 30 * D, AT, AT)
    assert plan_fill(state, AT, NEEDS, 60, raw=True).steps == ()
    assert plan_fill(state, AT - 3600, NEEDS, 60, raw=True).steps == ()


def test_a_longer_period_prepends_coarse_history():
    """A period grown from 7d to 30d reads the 23 missing days, coarse, before known_from."""
    state = StreamState(AT - 7 * D, AT - 60, AT - 60)
    plan = plan_fill(state, AT, NEEDS, 60, raw=True)
    assert plan.prepend == (Windowed(Grid(AT - 30 * D + 1200, AT - 7 * D, 1200), 1200),)
    assert plan.known_from == AT - 30 * D
    assert plan.steps == (Raw(None, single(AT, 60)),)
    assert plan.seconds == 23 * D + 60


def test_a_gauge_fills_with_windowed_counts_only():
    """0/1 gauges have no raw-value tier: every bucket is one over-time aggregate."""
    needs = Needs(horizon=7 * D, fine_span=D + H, retention=7 * D + H, coarse=300)
    plan = plan_fill(None, AT + 30, needs, 60, raw=False)
    fine_start = AT - D - H
    assert plan.steps == (
        Windowed(Grid(AT - 7 * D + 300, fine_start, 300), 300),
        Windowed(single(fine_start + 30, 60), 30),
        Windowed(Grid(fine_start + 90, AT + 30, 60), 60),
    )


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0, 3 * H, [Windowed(Grid(H, 3 * H, H), H)]),
        (600, 2 * H, [Windowed(single(H), H - 600), Windowed(single(2 * H), H)]),
        (0, H + 60, [Windowed(single(H), H), Windowed(single(H + 60), 60)]),
        (600, 1200, [Windowed(single(1200), 600)]),
    ],
)
def test_coarse_steps_cover_exactly_the_range(lo, hi, expected):
    """Whole aligned buckets, with partial ones at unaligned ends, cover (lo, hi] once."""
    assert coarse(lo, hi) == expected


@pytest.mark.parametrize(
    ("grid", "max_steps", "chunks"),
    [
        (Grid(0, 600, 60), 10, [Grid(0, 600, 60)]),
        (Grid(0, 660, 60), 10, [Grid(0, 600, 60), Grid(660, 660, 60)]),
        (Grid(0, 1260, 60), 10, [Grid(0, 600, 60), Grid(660, 1260, 60)]),
    ],
)
def test_range_queries_are_chunked(grid, max_steps, chunks):
    """Chunks hold at most max_steps steps, follow each other and cover the grid once."""
    assert grid.chunks(max_steps) == chunks
    assert [p for c in chunks for p in c.points] == list(grid.points)


def test_evaluation_grid_points_after_a_time():
    """Points on T's grid strictly after lo."""
    assert list(grid_after(100, 400, 60).points) == [160, 220, 280, 340, 400]
    assert list(grid_after(340, 400, 60).points) == [400]


@pytest.mark.parametrize(
    ("period", "interval", "width"),
    [
        (7 * D, 60, 300),
        (28 * D, 60, 1200),
        (30 * D, 30, 1200),
        (90 * D, 30, 3600),
        (D, 60, 300),
        (30 * D, 900, 1200),
        (30 * D, 1500, 1800),
        (7 * D, 7200, 3600),
    ],
)
def test_coarse_width_gives_a_period_about_2000_buckets(period, interval, width):
    """5 min for a week, 20 min for a month, an hour for a quarter; never under the interval."""
    assert coarse_width(period, interval) == width


@pytest.mark.parametrize(
    ("baseline", "values", "increments", "resets"),
    [
        ({"a": 10}, {"a": {1: 12, 2: 15}}, [2, 3], 0),
        ({"a": 10}, {"a": {1: 12, 2: 4}}, [2, 4], 1),  # dropped: restarted from 0
        ({"a": 10}, {"a": {2: 15}}, [0, 5], 0),  # missed a read: counted at the next one
        ({}, {"a": {1: 7, 2: 9}}, [0, 2], 0),  # new series: its first value is a baseline
        ({"a": 1, "b": 5}, {"a": {1: 2}, "b": {1: 6, 2: 8}}, [2, 2], 0),
        ({"gone": 3}, {}, [0, 0], 0),
    ],
)
def test_reset_aware_deltas(baseline, values, increments, resets):
    """Increments between successive reads of every series, resets counted as the new value."""
    deltas = counter_deltas(baseline, [1, 2], values)
    assert deltas.increments == increments
    assert deltas.resets == resets


def test_deltas_remember_each_series_last_read():
    """The last value and time of every series read; unread series are not touched."""
    deltas = counter_deltas({"a": 1, "b": 5}, [1, 2], {"a": {1: 2}, "c": {2: 4}})
    assert deltas.last == {"a": (2, 1), "c": (4, 2)}


@pytest.mark.parametrize(
    ("bucket", "window", "fraction"),
    [
        ((0, 60), (0, 60), 1.0),
        ((0, 60), (30, 90), 0.5),
        ((0, 3600), (2700, 9000), 0.25),
        ((0, 60), (60, 120), 0.0),
    ],
)
def test_a_cut_bucket_counts_with_its_share(bucket, window, fraction):
    """A window covering part of a bucket counts that part of its length: the difference of
    the levels at the window's ends, as the store sums windows."""
    events, cumulative = 8.0, 20.0
    lo, hi = window
    counted = level_at(hi, *bucket, events, cumulative) - level_at(lo, *bucket, events, cumulative)
    assert counted == fraction * events


TIERED = Needs(
    horizon=30 * D, fine_span=D + H, retention=30 * D + H, coarse=1200, tiers=((120, 3 * D + H),)
)


def test_a_cold_start_reads_raw_values_only_for_the_windows_that_need_fine_edges():
    """With a 2-minute middle tier for 3d, the cold start reads 20-minute increases back to
    the period's start, 2-minute ones over the third to the second day, and raw values for
    1d+1h only (a third of what fine edges for 3d read)."""
    plan = plan_fill(None, AT, TIERED, 30, raw=True)
    fine_start, middle_start = AT - D - H, AT - 3 * D - H
    assert plan.steps == (
        Windowed(Grid(AT - 30 * D + 1200, middle_start, 1200), 1200),
        Windowed(Grid(middle_start + 120, fine_start, 120), 120),
        Raw(fine_start, Grid(fine_start + 30, AT, 30)),
    )
    assert plan.seconds == 30 * D
    assert plan.compacted_until == AT


def test_a_gap_reaching_into_the_middle_tier_is_read_by_tier():
    """A restart after 2 days reads the part older than the fine span in the middle tier's
    width, then raw values."""
    until = AT - 2 * D - 240
    plan = plan_fill(StreamState(AT - 30 * D, until, until), AT, TIERED, 30, raw=True)
    assert plan.steps == (
        Windowed(Grid(until + 120, AT - D - H, 120), 120),
        Raw(AT - D - H, Grid(AT - D - H + 30, AT, 30)),
    )


@pytest.mark.parametrize(
    ("interval", "fine_span", "tiers", "coarse"),
    [
        (30, D + H, ((60, 3 * D + H),), 1200),
        (60, 3 * D + H, (), 1200),
        (300, 3 * D + H, (), 1200),
    ],
)
def test_the_default_windows_need_fine_edges_up_to_a_day(
    interval, fine_span, tiers, coarse, tmp_path
):
    """The default windows (5m to 3d) of a 30-day SLO at a 30 s interval: fine buckets for
    those up to 1d, 1-minute ones for 3d, 20-minute ones for the period; at 60 s or 5 min
    no middle width fits between the interval and 3d/2000, so 3d stays fine."""
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config("http://127.0.0.1:9", interval=f"{interval}s"))
    got = needs(load_config(path).slos, AT, interval)
    assert (got.fine_span, got.tiers, got.coarse) == (fine_span, tiers, coarse)
    assert got.horizon == 30 * D


@pytest.mark.parametrize(
    ("window", "interval", "width"),
    [(6 * H, 30, 30), (D, 30, 30), (3 * D, 30, 60), (3 * D, 60, 60), (7 * D, 60, 300)],
)
def test_a_window_edge_cuts_buckets_at_most_one_2000th_of_it(window, interval, width):
    """The widest bucket a window's oldest edge may cut: fine unless a tier width above
    the interval is at most window/2000 (1 or 5 minutes, ... : on the minute grid and
    inside a report's 5-minute steps)."""
    assert edge_width(window, interval) == width
    assert width == interval or width * EDGE_BUCKETS <= window
