"""``backtest``'s findings as pure functions, and the command's one-line usage errors.

The numbers against a real backend are in ``test_backtest_against_prometheus.py``; here
the rules a reader relies on: when an alert counts as catching an incident, which
incidents count, and what a bad command line says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from one_slo import one_slo_config

from exporter.cli import main
from exporter.config import load_config
from exporter.domain.backtest import (
    Alert,
    WindowSeries,
    catches,
    check_incidents,
    fired_alerts,
    precision,
    recall,
    significant,
    smallest_alert_share,
)
from exporter.domain.model import SLO
from exporter.domain.report import Incident

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
