"""``slo-exporter backtest`` on a real Prometheus, every alert checked against ground truth.

The backtest replays three days (``now - 3d`` to ``now``) at the config's
1-minute evaluation interval. The expected alerts come from the generator's
exact increments (``tests/truth.py``): at every minute, each rule of the
workbook (scaled to the SLO's period here, independently) fires when the true
burn rate exceeds its factor over both windows. Incidents, ``caught_by``,
detection times, precision and recall are derived from those alerts with the
rule the README states. One case goes through Prometheus itself: the alert
expressions ``rules --mode exporter`` writes, evaluated on the gauges the
exporter would serve, fire exactly when the backtest says.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cli_run import backtest, backtest_json, rfc3339
from history import DAY, HOUR, MINUTE, History
from rule_backfill import Sample, Server, import_samples
from rules_cli import parse_yaml, run_rules
from truth import CONFIG, TRUTH, TruthSLO, burn_of, expected_burn

from exporter.cli import main
from exporter.domain.adjustments import merged
from exporter.rules.rule import BURN_ALERT

START_BEFORE_NOW = 3 * DAY
REPLAYED = ("checkout-availability", "search-availability", "quiet-availability")
WORKBOOK = (
    ("page", HOUR, 5 * MINUTE, 0.02),
    ("page", 6 * HOUR, 30 * MINUTE, 0.05),
    ("ticket", DAY, 2 * HOUR, 0.10),
    ("ticket", 3 * DAY, 6 * HOUR, 0.10),
)
"""The SRE workbook's four conditions as (severity, long, short, share of the budget)."""


def at(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@dataclass(frozen=True)
class Expected:
    """Ground-truth alerts of one SLO: (severity, long, short, start, end or None)."""

    alerts: list[tuple[str, int, int, int, int | None]]


Counts = Callable[[int, int], tuple[float, float]]
"""Good and total events of ``(t - window, t]`` from the truth, as ``f(t, window)``."""


def true_alerts(
    truth: TruthSLO,
    history: History,
    start: int,
    end: int,
    step: int = MINUTE,
    *,
    counts: Counts | None = None,
    objective: Callable[[int], float] | None = None,
) -> Expected:
    """Every workbook rule's firing intervals at each ``step`` of (start, end], from the truth
    (``counts``: other true events than the plain increments; ``objective``: the objective
    at each time, else the SLO's)."""
    windows = sorted({w for _, long, short, _ in WORKBOOK for w in (long, short)})
    opened: dict[int, int] = {}
    found: list[tuple[int, int, int | None]] = []
    for t in range(start + step, end + 1, step):
        allowed = 1 - (truth.objective if objective is None else objective(t)) / 100
        burns = {}
        for w in windows:
            good, total = (
                (truth.good(history, t, w), truth.total(history, t, w))
                if counts is None
                else counts(t, w)
            )
            burns[w] = None if total == 0 else (1 - good / total) / allowed
        for k, (_, long, short, share) in enumerate(WORKBOOK):
            factor = share * truth.period / long
            fires = all(burns[w] is not None and burns[w] > factor for w in (long, short))
            if fires and k not in opened:
                opened[k] = t
            elif not fires and k in opened:
                found.append((opened.pop(k), k, t))
    found.extend((s, k, None) for k, s in opened.items())
    return Expected(
        [(WORKBOOK[k][0], WORKBOOK[k][1], WORKBOOK[k][2], s, e) for s, k, e in sorted(found)]
    )


def _seconds(text: str) -> int:
    units = {"s": 1, "m": MINUTE, "h": HOUR, "d": DAY}
    return int(text[:-1]) * units[text[-1]]


@pytest.fixture(scope="module")
def config(prometheus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("backtest") / "slos.yaml"
    path.write_text(CONFIG.format(url=prometheus.url))
    return path


@pytest.fixture(scope="module")
def replayed(prometheus, config) -> dict[str, Any]:
    """The JSON backtest of three days, by SLO name."""
    now = prometheus.now
    selected = [a for name in REPLAYED for a in ("--slo", name)]
    document = backtest_json(config, now - START_BEFORE_NOW, now, *selected)
    assert (document["step"], document["step_source"]) == ("1m", "evaluation.interval")
    return {slo["name"]: slo for slo in document["slos"]}


def _alerts(slo: dict[str, Any]) -> list[tuple[str, int, int, int, int | None]]:
    return [
        (
            a["severity"],
            _seconds(a["long_window"]),
            _seconds(a["short_window"]),
            at(a["start"]),
            None if a["end"] is None else at(a["end"]),
        )
        for a in slo["alerts"]
    ]


@pytest.mark.parametrize("name", REPLAYED)
def test_alerts_equal_the_ground_truth_conditions(prometheus, replayed, name):
    """Every alert (severity, window pair, start, end) is exactly what the true burn rates
    give at each minute of the three days, and no other alert fires."""
    now = prometheus.now
    expected = true_alerts(TRUTH[name], prometheus.history, now - START_BEFORE_NOW, now)
    assert _alerts(replayed[name]) == expected.alerts


def test_a_coarser_step_evaluates_every_step_and_says_so(prometheus, config):
    """``--step 5m``: the output names the step and its source, and the alerts are the true
    conditions evaluated every five minutes."""
    now, name = prometheus.now, "checkout-availability"
    document = backtest_json(config, now - START_BEFORE_NOW, now, "--slo", name, "--step", "5m")
    assert (document["step"], document["step_source"]) == ("5m", "--step")
    (slo,) = document["slos"]
    expected = true_alerts(TRUTH[name], prometheus.history, now - START_BEFORE_NOW, now, 300)
    assert _alerts(slo) == expected.alerts


@pytest.mark.parametrize("name", REPLAYED)
def test_budget_spent_at_each_alert_start_is_exact(prometheus, replayed, name):
    """The budget spent at an alert's start is the true bad share of the period ending then
    over the allowed share."""
    truth, history = TRUTH[name], prometheus.history
    for alert in replayed[name]["alerts"]:
        t = at(alert["start"])
        good, total = truth.good(history, t, truth.period), truth.total(history, t, truth.period)
        spent = burn_of(good, total, truth.objective)
        assert alert["budget_spent_ratio"] == pytest.approx(spent, rel=1e-9)


STEP = 5 * MINUTE
"""The report's incident step: the test SLOs' shortest alerting window."""
PLANTED = {
    "checkout-availability": [(-2 * DAY, -2 * DAY + 20 * MINUTE), (-30 * HOUR, -20 * HOUR),
                              (-45 * MINUTE, 0)],
    "search-availability": [(-25 * HOUR, -24 * HOUR)],
}  # fmt: skip
"""The generator's incidents in the three days, relative to ``now``."""


def _catching(alerts, start: int, end: int):
    """The alerts firing between the incident's start and its last bad events leaving the
    alert's short window (the rule the README states), earliest first."""
    found = [a for a in alerts if (a[4] is None or a[4] > start) and a[3] <= end + a[2]]
    return sorted(found, key=lambda a: a[3])


@pytest.mark.parametrize(
    ("name", "planted"), [(n, p) for n, spans in PLANTED.items() for p in spans]
)
def test_planted_incidents_are_caught_by_the_true_first_alert(prometheus, replayed, name, planted):
    """Each planted incident is found within its true interval (a slow burn that calm
    5-minute steps split may come in parts, those under 2 % of the budget left out), and
    every part's ``caught_by`` and ``detection_seconds`` follow from the true alerts."""
    now = prometheus.now
    truth_alerts = true_alerts(TRUTH[name], prometheus.history, now - START_BEFORE_NOW, now)
    begin, finish = now + planted[0], now + planted[1]
    parts = [
        i
        for i in replayed[name]["incidents"]
        if at(i["start"]) < finish + STEP and at(i["end"]) > begin - STEP
    ]
    assert parts, planted
    assert at(parts[0]["start"]) >= begin - STEP
    assert at(parts[-1]["end"]) <= finish + STEP
    for incident in parts:
        catching = _catching(truth_alerts.alerts, at(incident["start"]), at(incident["end"]))
        assert catching, "every planted incident is caught"
        first = catching[0]
        assert incident["caught_by"] == {
            "severity": first[0],
            "long_window": _label(first[1]),
            "short_window": _label(first[2]),
        }
        assert incident["detection_seconds"] == max(0, first[3] - at(incident["start"]))


def test_the_outage_pages_within_minutes(prometheus, replayed):
    """The 20-minute checkout outage is caught by the fast page a few minutes in."""
    now = prometheus.now
    outage = next(
        i for i in replayed["checkout-availability"]["incidents"]
        if abs(at(i["start"]) - (now - 2 * DAY)) <= STEP
    )  # fmt: skip
    assert outage["caught_by"] == {"severity": "page", "long_window": "1h", "short_window": "5m"}
    assert 0 < outage["detection_seconds"] <= 10 * MINUTE


def test_the_table_says_the_same_as_the_json(prometheus, config):
    """The table's lines for the outage's six hours: the step and its source, a summary per
    SLO, one line per alert and per incident with what caught it and when."""
    now, name = prometheus.now, "checkout-availability"
    period = ("--from", rfc3339(now + AROUND_OUTAGE[0]), "--to", rfc3339(now + AROUND_OUTAGE[1]))
    _, out, _ = backtest(config, "--slo", name, *period, "--format", "json")
    (slo,) = json.loads(out)["slos"]
    code, table, err = backtest(config, "--slo", name, *period)
    assert code == 0, err
    lines = table.splitlines()
    assert lines[0].endswith(", evaluated every 1m (evaluation.interval)")
    assert lines[1].startswith(f"{name}: {len(slo['alerts'])} alerts, 1 incident spending >= 2.0%")
    for alert, line in zip(slo["alerts"], lines[2:], strict=False):
        pair = f"{alert['long_window']}/{alert['short_window']}"
        end = alert["end"] or "still firing"
        assert line.startswith(
            f"  alert    {alert['severity']:<8} {pair:<8} {alert['start']} -> {end}"
        )
    (incident,) = slo["incidents"]
    caught = incident["caught_by"]
    minutes = incident["detection_seconds"] // 60
    assert lines[-1] == (
        f"  incident {incident['start']} -> {incident['end']}  caught by {caught['severity']} "
        f"{caught['long_window']}/{caught['short_window']} after {minutes}m"
    )


def report_incidents(config: Path, now: int, name: str) -> list[dict[str, Any]]:
    """The incidents ``slo-exporter report`` finds for ``name`` over the same three days."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([
            "report", "-c", str(config), "--slo", name, "--format", "json",
            "--from", rfc3339(now - START_BEFORE_NOW), "--to", rfc3339(now),
        ])  # fmt: skip
    assert code == 0, err.getvalue()
    (slo,) = json.loads(out.getvalue())["slos"]
    return list(slo["incidents"])


@pytest.mark.parametrize("name", REPLAYED)
def test_incidents_are_the_reports_that_spent_the_smallest_alert_share(
    prometheus, config, replayed, name
):
    """The incidents are the report's over the same days that spent at least the share of a
    period's budget the fast page is tuned to (2 % in 1 h); the rest are counted apart."""
    truth = TRUTH[name]
    slo = replayed[name]
    share = 0.02
    assert slo["min_incident_budget_ratio"] == pytest.approx(share)
    found = report_incidents(config, prometheus.now, name)
    kept = [
        (i["start"], i["end"])
        for i in found
        if i["budget_consumed_ratio"] * START_BEFORE_NOW / truth.period >= share
    ]
    assert [(i["start"], i["end"]) for i in slo["incidents"]] == sorted(kept)
    assert slo["smaller_incidents"] == len(found) - len(kept)


@pytest.mark.parametrize("name", REPLAYED)
def test_precision_and_recall_follow_from_the_true_alerts(prometheus, replayed, name):
    """Precision: share of the true alerts that caught an incident; recall: share of the
    incidents a true alert caught (null without alerts or incidents)."""
    now = prometheus.now
    alerts = true_alerts(TRUTH[name], prometheus.history, now - START_BEFORE_NOW, now).alerts
    spans = [(at(i["start"]), at(i["end"])) for i in replayed[name]["incidents"]]
    caught = [bool(_catching(alerts, *span)) for span in spans]
    useful = [any(_catching([a], *span) for span in spans) for a in alerts]
    slo = replayed[name]
    assert slo["recall"] == (sum(caught) / len(caught) if caught else None)
    assert slo["precision"] == (sum(useful) / len(useful) if useful else None)


# ------------------------------------------------------------------ through Prometheus

AROUND_OUTAGE = (-2 * DAY - 2 * HOUR, -2 * DAY + 4 * HOUR)
"""Six hours around the checkout outage, relative to ``now``."""


def _label(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def exporter_gauges(name: str, history: History, start: int, end: int) -> list[Sample]:
    """What the exporter serves for ``name`` at each minute, from the truth alone:
    ``slo_burn_rate`` per window (absent without traffic) and ``slo_alert_condition``."""
    truth = TRUTH[name]
    windows = sorted({w for _, long, short, _ in WORKBOOK for w in (long, short)})
    base = (("job", "slo-exporter"), ("slo", name))
    out: list[Sample] = []
    for t in range(start + MINUTE, end + 1, MINUTE):
        burns = {
            w: expected_burn(truth, truth.good(history, t, w), truth.total(history, t, w))
            for w in windows
        }
        for w, burn in burns.items():
            if burn is not None:
                out.append(Sample("slo_burn_rate", (*base, ("window", _label(w))), t, burn))
        for severity, long, short, share in WORKBOOK:
            factor = share * truth.period / long
            holds = all(burns[w] is not None and burns[w] > factor for w in (long, short))
            labels = (*base, ("severity", severity), ("long_window", _label(long)),
                      ("short_window", _label(short)))  # fmt: skip
            out.append(Sample("slo_alert_condition", labels, t, float(holds)))
    return out


def test_exporter_mode_rules_in_prometheus_fire_as_the_backtest_says(prometheus, config, tmp_path):
    """The burn alerts ``rules --mode exporter`` writes, evaluated by Prometheus every minute
    on the gauges the exporter serves, are firing exactly when the backtest's alerts of that
    severity are (the outage's six hours, checkout-availability)."""
    name, now = "checkout-availability", prometheus.now
    start, end = now + AROUND_OUTAGE[0], now + AROUND_OUTAGE[1]
    (slo,) = backtest_json(config, start, end, "--slo", name)["slos"]
    expected: dict[str, list[tuple[int, int]]] = {}
    for a in slo["alerts"]:
        stop = end + MINUTE if a["end"] is None else at(a["end"])
        expected.setdefault(a["severity"], []).append((at(a["start"]), stop))
    assert "page" in expected

    data = tmp_path / "data"
    data.mkdir()
    import_samples(exporter_gauges(name, prometheus.history, start, end), data, tmp_path)
    rules_file = tmp_path / "rules.yaml"
    outcome = run_rules("-c", str(config), "--mode", "exporter", "-o", str(rules_file))
    assert outcome.code == 0, outcome.stderr
    burn_alerts = [
        r for g in parse_yaml(rules_file.read_text())["groups"] for r in g["rules"]
        if r.get("alert") == BURN_ALERT and r["labels"]["slo"] == name
    ]  # fmt: skip
    server = Server(data, tmp_path)
    server.start()
    try:
        for rule in burn_alerts:
            assert rule.get("for", "0s") in ("0s", 0)
            firing = sorted(
                t for t in range(start + MINUTE, end + 1, MINUTE) if server.values(rule["expr"], t)
            )
            spans = merged([(t, t + MINUTE) for t in firing])
            assert spans == merged(expected.get(rule["labels"]["severity"], [])), rule["labels"]
    finally:
        server.stop()


def test_a_period_beyond_retention_is_one_line_and_exit_3(prometheus, config):
    """A period before the backend's first sample gets one line saying so, exit 3."""
    start = prometheus.history.start - 2 * DAY
    code, out, err = backtest(
        config, "--slo", "checkout-availability",
        "--from", rfc3339(start), "--to", rfc3339(start + DAY),
    )  # fmt: skip
    assert (code, out) == (3, "")
    assert err.startswith("backtest: the backend has no samples of any selected SLO's counters")
    assert "nothing to backtest" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unreachable_backend_is_one_line_and_exit_3(tmp_path):
    """A backend nobody listens on: one line naming the failure, exit 3."""
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url="http://127.0.0.1:9"))
    code, out, err = backtest(path, "--slo", "checkout-availability", "--last", "1d")
    assert (code, out) == (3, "")
    assert err.startswith("backtest: "), err
    assert "cannot reach" in err
    assert len(err.strip().splitlines()) == 1
