"""``slo-exporter report`` on each real backend, every figure checked against ground truth.

The truth is the generator's own increments (``tests/history.py`` via ``tests/truth.py``),
never the exporter's output: the period's events, SLI and budget, each day's SLI and
burn-down, the previous period, and the incidents the generator planted (found within one
step of their start and end, their budget shares within 0.1 %).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from cli_run import rfc3339
from history import DAY, HOUR, MINUTE, History
from pipelines import pipeline, stored
from truth import CONFIG, TRUTH, TruthSLO

from exporter.cli import main
from exporter.config.loader import load_config
from exporter.domain.decision import DEFAULT_MATRIX, Risk, Verdict
from exporter.domain.status import status_of
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.stored import HistoryKeeper
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.sources.promql import PromQLSource
from exporter.store.history import HistoryStore

STEP = 5 * MINUTE
"""The test SLOs' shortest alerting window (the workbook's 5m)."""
NEW_SLO_SINCE = DAY
"""The SLO added mid-period has data from ``now - NEW_SLO_SINCE`` on."""

ADDED_MID_PERIOD = """\
  - name: checkout-new
    service: checkout-new
    objective: 99
    period: 7d
    sli:
      query:
        bad: >-
          sum(increase(http_requests_total{{service="checkout",code=~"5.."}}[{{{{window}}}}]))
          and on() (vector(time()) > {since})
        total: >-
          sum(increase(http_requests_total{{service="checkout"}}[{{{{window}}}}]))
          and on() (vector(time()) > {since})
"""


def write_report_config(directory: Path, url: str, now: int) -> Path:
    """The test SLOs of ``tests/truth.py`` plus one added mid-period, against ``url``."""
    path = directory / "slos.yaml"
    extra = ADDED_MID_PERIOD.format(since=now - NEW_SLO_SINCE)
    path.write_text(CONFIG.format(url=url) + extra)
    return path


@pytest.fixture(scope="module")
def config(backend, tmp_path_factory) -> Path:
    return write_report_config(tmp_path_factory.mktemp("report"), backend.url, backend.now)


def report(config: Path, *args: str) -> tuple[int, str, str]:
    """Run ``slo-exporter report`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--log-format", "json", "report", "-c", str(config), *args])
    return code, out.getvalue(), err.getvalue()


def report_json(config: Path, start: int, end: int, *slos: str) -> dict:
    args = ["--from", str(start), "--to", str(end), "--format", "json"]
    for name in slos:
        args += ["--slo", name]
    code, out, err = report(config, *args)
    assert code == 0, err
    return {s["name"]: s for s in json.loads(out)["slos"]}


@pytest.fixture(scope="module")
def three_days(backend, config) -> dict:
    """The last three days: the outage, the counter reset, the slow and the fast burn."""
    now = backend.now
    return report_json(config, now - 3 * DAY, now, "checkout-availability", "checkout-latency")


def _bad(truth: TruthSLO, history: History, end: float, window: float) -> float:
    return truth.total(history, end, window) - truth.good(history, end, window)


@pytest.mark.parametrize("name", ["checkout-availability", "checkout-latency"])
def test_period_figures_equal_eval_over_a_period_long_window(backend, three_days, name):
    """SLI, events and budget equal the exact counts of the whole period (across a reset)."""
    truth, history, now = TRUTH[name], backend.history, backend.now
    slo = three_days[name]
    good, total = truth.good(history, now, 3 * DAY), truth.total(history, now, 3 * DAY)
    allowed = (1 - truth.objective / 100) * total
    assert slo["events"] == pytest.approx({"good": good, "total": total}, rel=1e-12)
    assert slo["sli"] == pytest.approx(good / total, rel=1e-12)
    assert slo["budget"]["consumed_ratio"] == pytest.approx((total - good) / allowed, rel=1e-9)
    assert slo["budget"]["remaining_events"] == pytest.approx(allowed - (total - good), rel=1e-9)
    remaining = 1 - (total - good) / allowed
    assert slo["budget"]["remaining_seconds"] == pytest.approx(
        remaining * (1 - truth.objective / 100) * 3 * DAY, rel=1e-9
    )
    assert slo["met"] is (remaining >= 0)


def _true_runs(truth: TruthSLO, history: History, now: int) -> list[tuple[int, int]]:
    """The report's incident rule applied to the exact counts: maximal runs of 5-minute
    steps (ending at ``now``) whose bad events exceed the error budget's share."""
    share = 1 - truth.objective / 100
    runs: list[tuple[int, int]] = []
    for end in range(now - 3 * DAY + STEP, now + 1, STEP):
        total = truth.total(history, end, STEP)
        if total <= 0 or _bad(truth, history, end, STEP) <= share * total:
            continue
        if runs and runs[-1][1] == end - STEP:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((end - STEP, end))
    return runs


@pytest.mark.parametrize(
    ("incident", "start", "end"),
    [
        ("outage", -2 * DAY, -2 * DAY + 20 * MINUTE),
        ("slow burn", -30 * HOUR, -20 * HOUR),
        ("fast burn", -45 * MINUTE, 0),
    ],
)
def test_planted_incidents_are_found_with_their_budget_share(
    backend, three_days, incident, start, end
):
    """The incidents over each planted one are the runs the exact counts give (a slow burn
    with a calm 5-minute step is two: the rule is per step), together spanning the planted
    interval within one step; each one's bad events and budget share within 0.1 %."""
    now, history, truth = backend.now, backend.history, TRUTH["checkout-availability"]
    planted = (now + start, now + end)
    expected = [
        r for r in _true_runs(truth, history, now) if r[1] > planted[0] and r[0] < planted[1]
    ]
    assert expected, f"{incident}: the generator planted no burning step"
    assert abs(expected[0][0] - planted[0]) <= STEP, incident
    assert abs(expected[-1][1] - planted[1]) <= STEP, incident
    reported = {
        (_at(i["start"]), _at(i["end"])): i
        for i in three_days["checkout-availability"]["incidents"]
    }
    assert [r for r in sorted(reported) if r[1] > planted[0] and r[0] < planted[1]] == expected
    allowed = (1 - truth.objective / 100) * truth.total(history, now, 3 * DAY)
    for run in expected:
        got, bad = reported[run], _bad(truth, history, run[1], run[1] - run[0])
        assert got["bad_events"] == pytest.approx(bad, rel=1e-3)
        assert got["budget_consumed_ratio"] == pytest.approx(bad / allowed, rel=1e-3)
        assert got["peak_burn_rate"] > 1


def test_incidents_are_sorted_by_budget_consumed(three_days):
    """The incident that consumed most budget comes first (here the outage)."""
    shares = [i["budget_consumed_ratio"] for i in three_days["checkout-availability"]["incidents"]]
    assert shares == sorted(shares, reverse=True)


def _at(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def test_daily_series_and_burn_down_match_the_truth(backend, three_days):
    """Each UTC day's SLI is the exact ratio of its steps (a step spanning midnight counts
    for the day it ends in); the burn-down ends at the period's remaining budget."""
    now, history, truth = backend.now, backend.history, TRUTH["checkout-availability"]
    slo = three_days["checkout-availability"]
    start = now - 3 * DAY
    allowed = (1 - truth.objective / 100) * truth.total(history, now, 3 * DAY)
    for day in slo["daily"]:
        midnight = _at(day["date"] + "T00:00:00Z")
        ends = [t for t in range(start + STEP, now + 1, STEP) if midnight < t <= midnight + DAY]
        lo, hi = ends[0] - STEP, ends[-1]
        good, total = truth.good(history, hi, hi - lo), truth.total(history, hi, hi - lo)
        assert day["sli"] == pytest.approx(good / total, rel=1e-9), day["date"]
        spent = _bad(truth, history, hi, hi - start)
        assert day["budget_remaining_ratio"] == pytest.approx(1 - spent / allowed, rel=1e-9)
    assert slo["daily"][-1]["budget_remaining_ratio"] == pytest.approx(
        slo["budget"]["remaining_ratio"], rel=1e-9
    )


def test_previous_period_and_change(backend, three_days):
    """The previous three days' SLI is exact and the change is the difference."""
    now, history, truth = backend.now, backend.history, TRUTH["checkout-availability"]
    slo = three_days["checkout-availability"]
    before = now - 3 * DAY
    good, total = truth.good(history, before, 3 * DAY), truth.total(history, before, 3 * DAY)
    assert slo["previous"]["sli"] == pytest.approx(good / total, rel=1e-12)
    assert slo["change"]["sli"] == pytest.approx(slo["sli"] - good / total, rel=1e-9)


def test_period_without_traffic_has_no_figures(backend, config):
    """A service silent for the whole period: no SLI, no budget, no incidents, no error."""
    now = backend.now
    slo = report_json(config, now - 11 * HOUR, now - HOUR, "quiet-availability")[
        "quiet-availability"
    ]
    assert slo["events"] == {"good": 0.0, "total": 0.0}
    assert (slo["sli"], slo["met"], slo["budget"]["remaining_ratio"]) == (None, None, None)
    assert slo["incidents"] == []
    assert all(day["sli"] is None for day in slo["daily"])


def test_slo_added_mid_period_counts_from_its_first_data(backend, config):
    """An SLO whose counters appear mid-period is reported from then on, and says so."""
    now, history = backend.now, backend.history
    truth = TRUTH["checkout-availability"]
    slos = report_json(config, now - 2 * DAY, now, "checkout-availability", "checkout-new")
    new = slos["checkout-new"]
    assert new["data_from"] == rfc3339(now - NEW_SLO_SINCE)
    assert new["events"]["total"] == pytest.approx(truth.total(history, now, NEW_SLO_SINCE))
    assert slos["checkout-availability"].get("data_from") is None


def test_period_beyond_retention_is_one_clear_line(backend, config):
    """A period reaching before the backend's first sample fails with one line naming
    when the data starts (within one window: VictoriaMetrics sees the first sample one
    window earlier) and when the period starts."""
    now = backend.now
    code, out, err = report(config, "--from", str(now - 20 * DAY), "--to", str(now))
    assert code == 3
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "retention" in err
    assert rfc3339(now - 20 * DAY) in err
    named = re.search(r"no samples .* before (\S+Z)", err)
    assert named is not None
    assert abs(_at(named[1]) - backend.history.start) <= STEP  # where the data starts


async def _fill_store(config: Path, data_dir: Path, at: int) -> None:
    """One daemon cycle at ``at`` with a store: the cold start backfills its history."""
    settings = load_config(config)
    store = HistoryStore.open(data_dir)
    try:
        async with aiohttp.ClientSession() as session:
            gate = QueryGate(PromQLClient(session, settings.backend), 4)
            source = PromQLSource(gate)
            counter = stored(HistoryKeeper(store), source, source)
            run = await pipeline(settings.slos, [counter, DirectCounter(gate)]).evaluate(at)
            assert run.paths["store"].slos > 0
    finally:
        store.close()


def test_data_dir_gives_the_same_report_as_the_backend(backend, config, three_days, tmp_path):
    """With --data-dir the SLOs the store covers are read from it, and every figure,
    incident and day equals the backend's report; the others still come from the backend."""
    now = backend.now
    asyncio.run(_fill_store(config, tmp_path / "data", now))
    args = ["--from", str(now - 3 * DAY), "--to", str(now), "--format", "json"]
    data = ["--data-dir", str(tmp_path / "data")]
    slos = ["--slo", "checkout-availability", "--slo", "checkout-latency"]
    code, out, err = report(config, *args, *slos, *data)
    assert code == 0, err
    from_store = {s["name"]: s for s in json.loads(out)["slos"]}
    for name, slo in three_days.items():
        assert (from_store[name]["source"], slo["source"]) == ("store", "backend"), name
        assert _rounded({**from_store[name], "source": "-"}) == _rounded({**slo, "source": "-"})
    code, out, err = report(config, *args, *slos, "--slo", "checkout-new", *data)
    assert code == 0, err
    sources = {s["name"]: s["source"] for s in json.loads(out)["slos"]}
    assert sources["checkout-new"] == "backend"  # a query SLI: the store does not keep it


def _rounded(value):
    """Floats to 9 significant digits: the store and the backend add in another order."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_data_dir_without_a_store_is_one_line(config, tmp_path):
    """A --data-dir that holds no store is refused in one line, and not created."""
    missing = tmp_path / "nothing-here"
    code, _, err = report(
        config, "--last", "1d", "--data-dir", str(missing), "--slo", "checkout-availability"
    )
    assert code == 3
    assert len(err.strip().splitlines()) == 1
    assert "no history store here" in err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("service", "slos", "hours"),
    [("checkout", ["checkout-availability", "checkout-latency"], 72), ("search", [], 8)],
)
def test_service_decision_is_the_default_matrix_for_medium_risk(
    backend, config, service, slos, hours
):
    """Each service's decision is the default matrix's verdict for a medium-risk change
    for its worst SLO, whose status comes from the exact budget left and the exact burn
    over its status window at the period's end."""
    now, history = backend.now, backend.history
    start = now - hours * HOUR
    code, out, err = report(
        config, "--from", str(start), "--to", str(now), "--format", "json", "--service", service
    )
    assert code == 0, err
    document = json.loads(out)
    settings = {s.name: s for s in load_config(config).slos}
    verdicts = []
    for slo in document["slos"]:
        truth, model = TRUTH[slo["name"]], settings[slo["name"]]
        good, total = truth.good(history, now, now - start), truth.total(history, now, now - start)
        remaining = 1 - (total - good) / ((1 - truth.objective / 100) * total)
        window = model.status.window
        w_good, w_total = truth.good(history, now, window), truth.total(history, now, window)
        burn = None if w_total == 0 else (1 - w_good / w_total) / (1 - truth.objective / 100)
        status = status_of(remaining, burn, model.status)
        verdicts.append(DEFAULT_MATRIX[status.value][Risk.MEDIUM])
    (block,) = [s for s in document["services"] if s["service"] == service]
    strictest = max(verdicts, key=list(Verdict).index)
    assert block["decision"]["risk"] == "medium"
    assert block["decision"]["decision"] == strictest.value
    assert all(name in {s["name"] for s in document["slos"]} for name in slos)
