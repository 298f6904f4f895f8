"""``slo-exporter backtest`` with budget adjustments and progressive objectives, on a real
Prometheus, checked against the generator's truth.

With the adjustments of ``tests/adjustment_truth.py`` (the checkout outage forgiven, a
nightly hour of search), every replayed window is the exact increments less those inside
the adjustments (:func:`adjustment_truth.expected`) and equal to ``eval --at``'s count at
the same time; the alerts are the workbook's conditions on those true windows, so the page
the outage raised is gone. A phased checkout SLO replayed across its phase boundary is
judged on each side by the objective in force there: alerts, budget spent and incidents.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from adjustment_truth import expected, outage_span, write_adjusted_config
from cli_run import backtest, backtest_json, eval_json, rfc3339
from test_backtest_against_prometheus import _alerts, at, true_alerts
from truth import CONFIG, DAY, TRUTH, burn_of

from exporter.config.loader import load_config
from exporter.domain.backtest import WindowSeries
from exporter.pipeline.adjusted_reads import windows_without_adjustments
from exporter.pipeline.generation import build_generation
from exporter.pipeline.steps import StepReader
from exporter.samples import Grid

HOUR, MINUTE = 3600, 60
THREE_DAYS = 3 * DAY
ADJUSTED = ("checkout-availability", "search-availability")


@pytest.fixture(scope="module")
def adjusted_config(prometheus, tmp_path_factory) -> Path:
    return write_adjusted_config(
        tmp_path_factory.mktemp("adjusted"), prometheus.now, prometheus.url
    )


@pytest.fixture(scope="module")
def replayed(prometheus, adjusted_config) -> dict[str, Any]:
    """The JSON backtest of the last three days with the adjustments, by SLO name."""
    now = prometheus.now
    selected = [a for name in ADJUSTED for a in ("--slo", name)]
    document = backtest_json(adjusted_config, now - THREE_DAYS, now, *selected)
    return {slo["name"]: slo for slo in document["slos"]}


def _eval_events(config: Path, t: int, name: str) -> dict[str, dict[str, float]]:
    """The events per window of ``name`` in ``slo-exporter eval --at T``."""
    (slo,) = [s for s in eval_json(config, t)["slos"] if s["name"] == name]
    return dict(slo["events"])


EVAL_AT = (10 * MINUTE, 2 * HOUR, 2 * HOUR + 30 * MINUTE, 4 * HOUR)
"""Times after the forgiven span's start checked against ``eval --at``: inside it, at its
end, an hour window starting inside it, past every short window."""


async def _replayed_windows(config: Path, name: str, times: Grid) -> list[WindowSeries]:
    """Each alerting window of ``name`` at every time of ``times``, as backtest reads them."""
    async with aiohttp.ClientSession() as session:
        generation = build_generation(load_config(config), session)
        assert generation.gate is not None
        (slo,) = [s for s in generation.slos if s.name == name]
        windows = sorted({w for r in slo.slo.alerts for w in (r.long_window, r.short_window)})
        reader = StepReader(generation.gate)
        series = [await reader.window(slo, w, times) for w in windows]
        return await windows_without_adjustments(generation.gate, slo, series, times)


@pytest.mark.parametrize("name", ADJUSTED)
def test_replayed_windows_are_the_truth_without_the_adjusted_events(
    prometheus, adjusted_config, name
):
    """Every alerting window at every minute of six hours around the forgiven outage equals
    the exact increments less those inside the spans (for search: the nightly hours inside
    its longer windows), and ``eval --at`` counts the same at four of those times."""
    now, history, truth = prometheus.now, prometheus.history, TRUTH[name]
    outage = outage_span(now)[0]
    times = Grid(outage - 2 * HOUR + MINUTE, outage + 4 * HOUR, MINUTE)
    series = asyncio.run(_replayed_windows(adjusted_config, name, times))
    for s in series:
        for i, t in enumerate(times.points):
            good, total = expected(truth, history, now, t, s.window)
            assert s.total[i] == pytest.approx(total, rel=1e-9, abs=1e-9), (s.window, t)
            assert s.good[i] == pytest.approx(good, rel=1e-9, abs=1e-9), (s.window, t)
    for offset in EVAL_AT:
        i = times.points.index(outage + offset)
        counted = _eval_events(adjusted_config, outage + offset, name)
        for s in series:
            label = _label(s.window)
            assert counted[label]["total"] == pytest.approx(s.total[i], rel=1e-9, abs=1e-9)
            assert counted[label]["good"] == pytest.approx(s.good[i], rel=1e-9, abs=1e-9)


def _label(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@pytest.mark.parametrize("name", ADJUSTED)
def test_alerts_are_the_true_conditions_without_the_adjusted_events(prometheus, replayed, name):
    """Every alert over three days is exactly what the workbook's conditions give at each
    minute on the true windows less the events inside the adjustments."""
    now, history, truth = prometheus.now, prometheus.history, TRUTH[name]
    expected_alerts = true_alerts(
        truth, history, now - THREE_DAYS, now,
        counts=lambda t, w: expected(truth, history, now, t, w),
    )  # fmt: skip
    assert _alerts(replayed[name]) == expected_alerts.alerts


def test_the_forgiven_outage_no_longer_pages(prometheus, config_without, replayed):
    """Without the adjustment the checkout outage pages within minutes and is an incident;
    with it forgiven, no alert starts from the outage until an hour after the span, and no
    incident lies inside the span."""
    now = prometheus.now
    start, end = outage_span(now)
    document = backtest_json(
        config_without, now - THREE_DAYS, now, "--slo", "checkout-availability"
    )
    (plain,) = document["slos"]
    during = [a for a in plain["alerts"] if start < at(a["start"]) <= end]
    assert any(a["severity"] == "page" for a in during)
    # the outage's incident may start a step or two before the span, when calm-hour noise
    # burns right before it (the history follows the time of day): it overlaps the span
    assert [i for i in plain["incidents"] if at(i["start"]) < end and at(i["end"]) > start]
    adjusted = replayed["checkout-availability"]
    assert not [a for a in adjusted["alerts"] if start < at(a["start"]) <= end + HOUR]
    assert not [i for i in adjusted["incidents"] if start <= at(i["start"]) < end]


@pytest.fixture(scope="module")
def config_without(prometheus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plain") / "slos.yaml"
    path.write_text(CONFIG.format(url=prometheus.url))
    return path


@pytest.mark.parametrize("name", ADJUSTED)
def test_budget_spent_at_each_alert_start_leaves_the_adjusted_events_out(
    prometheus, replayed, name
):
    """The budget spent at an alert's start is the true bad share of the period ending then,
    without the events inside the adjustments, over the allowed share."""
    truth, history, now = TRUTH[name], prometheus.history, prometheus.now
    assert replayed[name]["alerts"]
    for alert in replayed[name]["alerts"]:
        t = at(alert["start"])
        good, total = expected(truth, history, now, t, truth.period)
        spent = burn_of(good, total, truth.objective)
        assert alert["budget_spent_ratio"] == pytest.approx(spent, rel=1e-9)


def test_the_output_names_the_adjustments_it_applied(prometheus, adjusted_config, replayed):
    """JSON: each SLO lists the adjustments whose events it left out with their spans; the
    table has one line per adjustment with its reason."""
    now = prometheus.now
    start, end = outage_span(now)
    (outage,) = replayed["checkout-availability"]["budget_adjustments"]
    assert outage["name"] == "outage-forgiven"
    assert outage["spans"] == [{"start": rfc3339(start), "end": rfc3339(end)}]
    assert outage["excluded_seconds"] == end - start
    (nightly,) = replayed["search-availability"]["budget_adjustments"]
    assert (nightly["name"], nightly["rrule"]) == ("nightly-reindex", "FREQ=DAILY")
    assert len(nightly["spans"]) >= 6  # three days and the 3d window before them
    code, table, err = backtest(
        adjusted_config, "--slo", "checkout-availability",
        "--from", rfc3339(now - THREE_DAYS), "--to", rfc3339(now),
    )  # fmt: skip
    assert code == 0, err
    assert (
        f"  adjusted outage-forgiven (the load balancer's fault, not checkout's (postmortem "
        f"PM-17)): {rfc3339(start)} to {rfc3339(end)}, 2 h left out"
    ) in table.splitlines()


# ------------------------------------------------------------------ phases

PHASED = "checkout-availability"
BOUNDARY = -25 * HOUR
"""99.0 until ``now - 25h``, then the SLO's own 99.9: inside the slow burn (now-30h, now-20h]
of ~0.4 % errors, harmless at 99 and four times the budget at 99.9."""
REPLAY = (-30 * HOUR, -18 * HOUR)
MIN_SHARE = 0.005
"""Incidents spending half a percent of a period's budget count (calm steps split the slow
burn's run at 99.9 into parts under the default 2 %)."""


@pytest.fixture(scope="module")
def phased(prometheus, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """The phased config and its JSON backtest across the boundary."""
    now = prometheus.now
    text = CONFIG.format(url=prometheus.url)
    anchor = "    objective: 99.9\n    period: 30d\n"
    assert anchor in text
    phase = f"    phases:\n      - {{objective: 99.0, until: {rfc3339(now + BOUNDARY)}}}\n"
    path = tmp_path_factory.mktemp("phased") / "slos.yaml"
    path.write_text(text.replace(anchor, anchor + phase, 1))
    document = backtest_json(
        path, now + REPLAY[0], now + REPLAY[1],
        "--slo", PHASED, "--min-incident-budget", str(MIN_SHARE),
    )  # fmt: skip
    (slo,) = document["slos"]
    return path, slo


def _objective(now: int):
    return lambda t: 99.0 if t < now + BOUNDARY else 99.9


def test_a_phased_slo_alerts_by_the_objective_in_force_at_each_time(prometheus, phased):
    """The alerts equal the true conditions with 99 before the boundary and 99.9 after it
    (so none starts before it), and differ from those with 99.9 throughout."""
    now, history, truth = prometheus.now, prometheus.history, TRUTH[PHASED]
    _, slo = phased
    start, end = now + REPLAY[0], now + REPLAY[1]
    truly = true_alerts(truth, history, start, end, objective=_objective(now)).alerts
    assert _alerts(slo) == truly
    assert truly
    assert all(a[3] >= now + BOUNDARY for a in truly)
    assert true_alerts(truth, history, start, end).alerts != truly
    for alert in slo["alerts"]:
        t = at(alert["start"])
        good, total = truth.good(history, t, truth.period), truth.total(history, t, truth.period)
        assert alert["budget_spent_ratio"] == pytest.approx(
            burn_of(good, total, _objective(now)(t)), rel=1e-9
        )


def test_a_phased_slos_incidents_are_judged_step_by_step(prometheus, phased):
    """The incidents are the true 5-minute steps burning faster than 1 under the objective
    in force at each step's end, in runs, whose budget (each step's bad events over its own
    objective's allowance) reaches half a percent of a period's: none before the
    boundary, where the slow burn is within the 99 % objective."""
    now, history, truth = prometheus.now, prometheus.history, TRUTH[PHASED]
    _, slo = phased
    start, end, step = now + REPLAY[0], now + REPLAY[1], 5 * MINUTE
    objective = _objective(now)
    period_total = truth.total(history, end, end - start)
    runs: list[list[tuple[int, float]]] = []
    for t in range(start + step, end + 1, step):
        good, total = truth.good(history, t, step), truth.total(history, t, step)
        allowed = 1 - objective(t) / 100
        if total > 0 and total - good > allowed * total:
            spent = (total - good) / allowed
            if runs and runs[-1][-1][0] == t - step:
                runs[-1].append((t, spent))
            else:
                runs.append([(t, spent)])
    shares = [sum(s for _, s in run) / period_total * (end - start) / truth.period for run in runs]
    kept = [
        (run[0][0] - step, run[-1][0])
        for run, share in zip(runs, shares, strict=True)
        if share >= MIN_SHARE
    ]
    assert kept
    assert runs[0][0][0] == now + BOUNDARY  # the first step judged by 99.9
    assert [(at(i["start"]), at(i["end"])) for i in slo["incidents"]] == kept
    assert slo["smaller_incidents"] == len(runs) - len(kept)
