"""``backtest``'s findings as pure functions, and the command's one-line usage errors.

The numbers against a real backend are in ``test_backtest_against_prometheus.py``; here
the rules a reader relies on: when an alert counts as catching an incident, which
incidents count, and what a bad command line says.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from one_slo import one_slo_config

from exporter.cli import main
from exporter.config import load_config
from exporter.domain import adjusted_windows
from exporter.domain.backtest import (
    Alert,
    WindowSeries,
    catches,
    check_incidents,
    fired_alerts,
    objectives_at,
    precision,
    recall,
    significant,
    smallest_alert_share,
)
from exporter.domain.budget import WindowEvents
from exporter.domain.model import SLO
from exporter.domain.phases import Phase
from exporter.domain.report import Incident, StepSeries, find_incidents

HOUR = 3600
MINUTE = 60


def _incident(start: int, end: int, share: float | None = 0.5) -> Incident:
    return Incident(start, end, 20.0, 100.0, share)


@pytest.mark.parametrize(
    ("alert_start", "alert_end", "catches_it"),
    [
        (1_000, 1_500, True),  # fires during the incident
        (500, 1_200, True),  # was firing already when it began
        (500, 1_000, False),  # resolved as it began
        (2_000 + 300, None, True),  # fires as the last bad minute leaves the 5m window
        (2_000 + 301, None, False),  # later: about something else
    ],
)
def test_an_alert_catches_an_incident_while_its_bad_events_are_in_the_short_window(
    alert_start: int, alert_end: int | None, catches_it: bool
):
    """An incident (1000, 2000] is caught by a 1h/5m alert firing at some time from its
    start until 5 minutes after its end."""
    alert = Alert("page", HOUR, 5 * MINUTE, alert_start, alert_end)
    assert catches(alert, _incident(1_000, 2_000)) is catches_it


def test_the_earliest_catching_alert_detects_and_ratios_follow():
    """caught_by is the earliest alert that caught it; detection is from the incident's
    start; precision and recall count alerts and incidents."""
    page = Alert("page", HOUR, 5 * MINUTE, 1_300, 1_900)
    ticket = Alert("ticket", 6 * HOUR, 30 * MINUTE, 1_600, 3_000)
    stray = Alert("page", HOUR, 5 * MINUTE, 90_000, 90_600)
    first, missed = _incident(1_000, 2_000), _incident(50_000, 50_100)
    checked = check_incidents([missed, first], [ticket, page, stray])
    assert [(c.incident, c.caught_by, c.detection_seconds) for c in checked] == [
        (first, page, 300),
        (missed, None, None),
    ]
    assert precision([page, ticket, stray], [first, missed]) == pytest.approx(2 / 3)
    assert recall(checked) == 0.5
    assert (precision([], [first]), recall([])) == (None, None)


def _slo(tmp_path: Path) -> SLO:
    """The one-SLO config's SLO: 99 % over 30 days with the workbook's alerts."""
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config("http://127.0.0.1:9"))
    return load_config(path).slos[0]


def test_the_smallest_alert_share_is_the_fast_pages_two_percent(tmp_path: Path):
    """With the workbook's rules the least budget share an alert is tuned to is 2 %."""
    assert smallest_alert_share(_slo(tmp_path)) == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("share", "kept"),
    [(0.30, True), (0.20, True), (0.19, False), (None, False)],
)
def test_incidents_count_from_the_smallest_alert_share(share: float | None, kept: bool):
    """An incident's share of three days' budget is a tenth of a 30-day period's: 20 % of
    three days is the 2 % the fast page notices."""
    incident = _incident(0, 600, share)
    assert (significant([incident], 0.02, 3 * 86400, 30 * 86400) == [incident]) is kept


def test_alerts_open_and_close_with_the_conditions(tmp_path: Path):
    """A burst of errors fires the fast page at the first minute both of its windows burn
    over 14.4 and resolves at the first minute they do not; still firing at the end: no end."""
    slo = _slo(tmp_path)
    times = list(range(60, 601, 60))
    burning = [False, True, True, False, False, True, True, True, True, True]
    bad = [0.5 if b else 0.0 for b in burning]
    windows = {
        w: WindowSeries(w, [100 * (1 - b) for b in bad], [100.0] * len(times))
        for w in (HOUR, 5 * MINUTE, 6 * HOUR, 30 * MINUTE, 86400, 2 * HOUR, 3 * 86400, 6 * HOUR)
    }
    alerts = [a for a in fired_alerts(slo, times, windows) if a.long_window == HOUR]
    assert [(a.start, a.end) for a in alerts] == [(120, 240), (360, None)]


JOURNEY = """\
  - name: journey
    service: shop
    objective: 99
    composite: {method: events, objectives: [{slo: checkout-availability}]}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config("http://127.0.0.1:9", interval="60s") + JOURNEY)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--last", "1d", "--step", "30s"],
         "backtest: --step 30s is finer than evaluation.interval 1m: the exporter never "
         "evaluates more often"),
        (["--last", "1d", "--slo", "nope"], "backtest: --slo nope: no such SLO in"),
        (["--last", "1d", "--slo", "journey"],
         "backtest: --slo journey: backtest does not replay grouped or composite SLOs yet"),
        (["--last", "1d", "--from", "0", "--to", "3600"],
         "backtest: --last and --from/--to both choose the period: give one"),
        (["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:30Z"],
         "backtest: the period 2026-11-01T00:00:00Z to 2026-11-01T01:00:30Z is not a whole "
         "number of"),
    ],
)  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(config: Path, capsys, args: list[str], message: str):
    """Options that cannot make a backtest exit 2 with one line saying why."""
    code = main(["backtest", "-c", str(config), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(message), err
    assert len(err.strip().splitlines()) == 1


def _events(start: float, end: float) -> tuple[float, float]:
    """Good and total events in ``(start, end]`` of a stream with total ``t % 7 + 1`` and
    good ``t % 7`` in each second ``(t - 1, t]`` (fractions of a second pro rata)."""

    def cumulative(x: float) -> tuple[float, float]:
        whole = math.floor(x)
        good = sum(t % 7 for t in range(1, whole + 1))
        total = sum(t % 7 + 1 for t in range(1, whole + 1))
        part = x - whole
        return good + part * ((whole + 1) % 7), total + part * ((whole + 1) % 7 + 1)

    (g0, t0), (g1, t1) = cumulative(start), cumulative(end)
    return g1 - g0, t1 - t0


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(0, 2_000),
    length=st.integers(1, 900),
    offset=st.sampled_from([0.0, 0.5, 17.0]),
    step=st.sampled_from([60, 120]),
    window=st.sampled_from([60, 300, 600, 1800]),
)
def test_replayed_windows_lose_exactly_the_events_inside_a_span(
    start: int, length: int, offset: float, step: int, window: int
):
    """A replayed window at every time of the grid, less the events inside one span (on or
    off the grid), counts exactly the events outside it; whole grid steps and the edge
    pieces the caller counts add up to the span's part in each window."""
    times = list(range(1_800 + step, 4_200 + 1, step))
    span = (start + offset, start + offset + length)
    series = WindowSeries(
        window,
        [_events(t - window, t)[0] for t in times],
        [_events(t - window, t)[1] for t in times],
    )
    fine = adjusted_windows.fine_step(step, [window])
    points = adjusted_windows.span_points(span, times[0], fine)
    whole, edges = adjusted_windows.split_pieces(points, times[0], fine)
    pieces = {(b - fine, b): WindowEvents(*_events(b - fine, b)) for b in whole}
    pieces.update({e: WindowEvents(*_events(*e)) for e in edges})
    totals = adjusted_windows.SpanTotals.of(points, pieces)
    out = adjusted_windows.without_spans(series, times, [totals])
    for i, t in enumerate(times):
        a, b = max(span[0], t - window), min(span[1], t)
        inside = _events(a, b) if b > a else (0.0, 0.0)
        whole_window = b - a >= window
        good = 0.0 if whole_window else series.good[i] - inside[0]
        total = 0.0 if whole_window else series.total[i] - inside[1]
        assert out.good[i] == pytest.approx(good, abs=1e-6), t
        assert out.total[i] == pytest.approx(total, abs=1e-6), t


@pytest.mark.parametrize(
    ("objectives", "incidents", "share"),
    [
        ([99.0] * 4, [], None),
        ([99.9] * 4, [(0, 1200)], 4 * 5 / 0.001 / 4000),
        ([99.0, 99.0, 99.9, 99.9], [(600, 1200)], 2 * 5 / 0.001 / 4000),
    ],
    ids=["within-99", "over-99.9", "phase-changes-midway"],
)
def test_incidents_are_judged_by_each_steps_objective(objectives, incidents, share):
    """A steady 0.5 % of errors is no incident under 99 %; under 99.9 % it is, and when the
    objective changes midway only the steps after the change burn, each step's bad events
    spending its own objective's budget."""
    steps = StepSeries.of(300, [300, 600, 900, 1200], [WindowEvents(995, 1000)] * 4)
    found = find_incidents(steps, objectives, 4000.0, merge_gap=300)
    assert [(i.start, i.end) for i in found] == incidents
    if share is not None:
        assert found[0].budget_consumed_ratio == pytest.approx(share)


def test_the_objective_at_each_time_follows_the_phases(tmp_path: Path):
    """Before a phase's end its objective holds, from it on the next (here the SLO's own)."""
    slo = replace(_slo(tmp_path), phases=(Phase(objective=95.0, until=600),))
    assert objectives_at(slo, [300, 599, 600, 900]) == [95.0, 95.0, 99.0, 99.0]
