"""Native-mode recording rules, evaluated over the test history, against exact ground truth.

The generated rules for the test config (:mod:`truth`) are backfilled level
by level into a Prometheus of their own (see :mod:`rule_backfill`): the step
records over the whole eight days, then the window sums, burn rates and
budget at the times looked at. Native mode counts the events of windows that
end ``alerting.native_offset`` (1m) before its evaluation time, so what it
records at T must equal the ground truth at T - 1m, for every window.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rule_backfill import (
    Server,
    evaluate_at,
    evaluate_range,
    import_samples,
    link_blocks,
    record_levels,
)
from truth import DAY, TRUTH, TruthSLO, burn_of, expected_burn, write_config

from exporter.config import load_config
from exporter.domain.alerts import condition_holds
from exporter.domain.durations import format_duration
from exporter.domain.model import SLO
from exporter.rules.native import native_groups
from exporter.rules.rule import BURN_ALERT, DATA_MISSING_ALERT
from exporter.rules.tiles import unsupported
from exporter.settings import Settings

# Evaluation times relative to the history's "now": the ongoing fast burn, a calm day,
# and ten minutes into the big outage two days ago (its windows span the counter reset).
OFFSETS = {"now": 0, "1d-ago": -DAY, "outage": -2 * DAY + 600}


@dataclass
class Backfilled:
    """The backfilled Prometheus, the config it came from, and what it took."""

    server: Server
    settings: Settings
    groups: list[dict[str, Any]]
    history: Any
    now: int
    timings: dict[str, float]

    def slo(self, name: str) -> SLO:
        return next(slo for slo in self.settings.slos if slo.name == name)

    def truth_at(self, when: str) -> float:
        """The time the records at ``when`` describe: evaluation time minus the offset."""
        return self.now + OFFSETS[when] - self.settings.alerting.native_offset


@pytest.fixture(scope="module")
def backfilled(prometheus, tmp_path_factory) -> Iterator[Backfilled]:
    """Every level of native records, at every step of the history or at the test times."""
    workdir: Path = tmp_path_factory.mktemp("native")
    settings = load_config(write_config(workdir, prometheus.url))
    assert all(unsupported(slo, settings.alerting.native_interval) is None for slo in settings.slos)
    groups = native_groups(settings.slos, settings.alerting)
    levels = record_levels(groups)
    times = [prometheus.now + offset for offset in OFFSETS.values()]
    step = settings.alerting.native_interval
    timings: dict[str, float] = {}

    started = time.monotonic()
    data = workdir / "data"
    link_blocks(prometheus.data_dir, data)
    steps = evaluate_range(prometheus.url, levels[0], prometheus.history.start, max(times), step)
    import_samples(steps, data, workdir)
    timings["level 1 (every step of 8 days)"] = time.monotonic() - started
    server = Server(data, workdir)
    try:
        server.start()
        for number, level in enumerate(levels[1:], start=2):
            started = time.monotonic()
            import_samples(evaluate_at(server.url, level, times), data, workdir)
            server.restart()
            timings[f"level {number}"] = time.monotonic() - started
        yield Backfilled(server, settings, groups, prometheus.history, prometheus.now, timings)
    finally:
        server.stop()


def _labels(slo: SLO, **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"slo": slo.name, "service": slo.service, **slo.labels, **extra}.items()))


def _one(backfilled: Backfilled, query: str, at: float) -> float | None:
    values = backfilled.server.values(query, at)
    assert len(values) <= 1, values
    return next(iter(values.values()), None)


def _events(truth: TruthSLO, history: Any, at: float, window: int) -> tuple[float, float]:
    return truth.good(history, at, window), truth.total(history, at, window)


CASES = [(when, name) for when in OFFSETS for name in TRUTH]


@pytest.mark.parametrize(("when", "name"), CASES)
def test_window_events_equal_ground_truth(backfilled: Backfilled, when: str, name: str):
    """Every window's recorded good (or bad) and total events equal the exact counts."""
    slo, truth = backfilled.slo(name), TRUTH[name]
    at = backfilled.now + OFFSETS[when]
    kind = _numerator_kind(backfilled, slo)
    for window in slo.windows:
        where = f'slo="{slo.name}",window="{format_duration(window)}"'
        good, total = _events(truth, backfilled.history, backfilled.truth_at(when), window)
        counted = _one(backfilled, f"slo:{kind}_events:increase{{{where}}}", at)
        assert _one(backfilled, f"slo:total_events:increase{{{where}}}", at) == total, where
        assert counted == (good if kind == "good" else total - good), where


def _numerator_kind(backfilled: Backfilled, slo: SLO) -> str:
    """``good``, or ``bad`` for an SLI given by its bad events."""
    group = next(g for g in backfilled.groups if g["name"].endswith(slo.name))
    return "bad" if group["rules"][0]["record"].startswith("slo:bad_") else "good"


@pytest.mark.parametrize(("when", "name"), CASES)
def test_burn_rates_equal_ground_truth(backfilled: Backfilled, when: str, name: str):
    """Every window's recorded burn rate equals the exact one; no traffic, no series (no NaN)."""
    slo, truth = backfilled.slo(name), TRUTH[name]
    at = backfilled.now + OFFSETS[when]
    for window in slo.windows:
        label = format_duration(window)
        good, total = _events(truth, backfilled.history, backfilled.truth_at(when), window)
        expected = expected_burn(truth, good, total)
        recorded = backfilled.server.values(
            f'slo:burn_rate:ratio{{slo="{slo.name}",window="{label}"}}', at
        )
        if expected is None:
            assert recorded == {}, label
        else:
            assert recorded == {_labels(slo, window=label): pytest.approx(expected, rel=1e-9)}


@pytest.mark.parametrize(("when", "name"), CASES)
def test_period_sli_and_remaining_budget_equal_ground_truth(
    backfilled: Backfilled, when: str, name: str
):
    """The period's event-weighted SLI and the remaining budget equal the exact ratios."""
    slo, truth = backfilled.slo(name), TRUTH[name]
    at = backfilled.now + OFFSETS[when]
    good, total = _events(truth, backfilled.history, backfilled.truth_at(when), truth.period)
    sli = _one(backfilled, f'slo:sli:ratio{{slo="{slo.name}"}}', at)
    remaining = _one(backfilled, f'slo:error_budget_remaining:ratio{{slo="{slo.name}"}}', at)
    if total == 0:
        assert (sli, remaining) == (None, None)
        return
    consumed = burn_of(good, total, truth.objective)
    assert sli == pytest.approx(good / total, rel=1e-12)
    assert remaining == pytest.approx(1 - consumed, rel=1e-9, abs=1e-9)


def _alert_exprs(backfilled: Backfilled, slo: SLO, alertname: str) -> dict[str, str]:
    group = next(g for g in backfilled.groups if g["name"].endswith(slo.name))
    return {
        rule["labels"]["severity"]: rule["expr"]
        for rule in group["rules"]
        if rule.get("alert") == alertname
    }


@pytest.mark.parametrize(("when", "name"), CASES)
def test_burn_alerts_fire_exactly_when_the_true_burn_rates_say(
    backfilled: Backfilled, when: str, name: str
):
    """A severity's alert holds iff one of its conditions holds on the true burn rates;
    its value is that condition's long-window burn rate."""
    slo, truth = backfilled.slo(name), TRUTH[name]
    at = backfilled.now + OFFSETS[when]
    burns: dict[int, float | None] = {
        w: expected_burn(truth, *_events(truth, backfilled.history, backfilled.truth_at(when), w))
        for w in slo.windows
    }
    exprs = _alert_exprs(backfilled, slo, BURN_ALERT)
    assert set(exprs) == {rule.severity for rule in slo.alerts}
    for severity, expr in exprs.items():
        holding = [r for r in slo.alerts if r.severity == severity and condition_holds(r, burns)]
        fired = backfilled.server.values(expr, at)
        if not holding:
            assert fired == {}, severity
        else:
            expected = burns[holding[0].long_window]
            assert list(fired.values()) == [pytest.approx(expected, rel=1e-9)], severity


def test_the_fast_burn_pages_now(backfilled: Backfilled):
    """The ongoing 25 % error burst pages checkout-availability at the history's now."""
    slo = backfilled.slo("checkout-availability")
    page = _alert_exprs(backfilled, slo, BURN_ALERT)["page"]
    assert backfilled.server.values(page, backfilled.now) != {}


@pytest.mark.parametrize("when", list(OFFSETS))
def test_only_the_slo_without_series_misses_data(backfilled: Backfilled, when: str):
    """The no-data condition holds for the SLO whose selectors match nothing, and only it."""
    at = backfilled.now + OFFSETS[when]
    missing = set()
    for slo in backfilled.settings.slos:
        (expr,) = _alert_exprs(backfilled, slo, DATA_MISSING_ALERT).values()
        if backfilled.server.values(expr, at):
            missing.add(slo.name)
    assert missing == {"ghost-availability"}
