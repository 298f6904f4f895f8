"""Composite SLOs on each real backend, against ground truth computed from the generator.

``checkout-journey`` sums the events of ``cart-availability`` and ``pay-availability``
(``method: events``); ``checkout-weighted`` averages their SLIs with weights 1 and 3
(``method: weighted``); ``shop-journey`` nests ``checkout-journey`` with
``search-availability`` (a query SLI). Each composite is evaluated over its own 7-day
period and windows, though ``pay-availability``'s period is 30 days.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cli_run import eval_json
from truth import COMPONENT_EVENTS, DAY, burn_of, write_composite_config

from exporter.domain.durations import parse_duration

OFFSETS = {"now": 0, "1d-ago": -DAY}
LEAVES = {
    "checkout-journey": ("cart-availability", "pay-availability"),
    "shop-journey": ("cart-availability", "pay-availability", "search-availability"),
}
WEIGHTS = {"cart-availability": 1.0, "pay-availability": 3.0}


@pytest.fixture(scope="module")
def evaluations(backend, tmp_path_factory) -> dict[str, dict[str, dict]]:
    """One eval per offset: SLO entries by name."""
    config = write_composite_config(tmp_path_factory.mktemp("composite"), backend.url)
    return {
        label: {s["name"]: s for s in eval_json(config, backend.now + offset)["slos"]}
        for label, offset in OFFSETS.items()
    }


def summed(history, leaves, at: float, window: int) -> tuple[float, float]:
    """Good and total events of ``leaves`` together (the events method)."""
    good = sum(COMPONENT_EVENTS[leaf][0](history, at, window) for leaf in leaves)
    total = sum(COMPONENT_EVENTS[leaf][1](history, at, window) for leaf in leaves)
    return good, total


def weighted(history, at: float, window: int) -> tuple[float, float]:
    """Weighted SLIs (as good) and the weights of components with traffic (as total)."""
    good = total = 0.0
    for leaf, weight in WEIGHTS.items():
        g, t = (COMPONENT_EVENTS[leaf][i](history, at, window) for i in (0, 1))
        if t > 0:
            good += weight * g / t
            total += weight
    return good, total


def expected(name: str, history, at: float, window: int) -> tuple[float, float]:
    if name == "checkout-weighted":
        return weighted(history, at, window)
    return summed(history, LEAVES[name], at, window)


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("name", ["checkout-journey", "checkout-weighted", "shop-journey"])
def test_composite_windows_and_budget_equal_the_truth(backend, evaluations, when, name):
    """Every window's events and burn rate and the period's budget equal the figures
    computed from the generator's events of the components."""
    at = backend.now + OFFSETS[when]
    slo = evaluations[when][name]
    objective = {"shop-journey": 99.5}.get(name, 99.0)
    assert set(slo["events"]) >= {"5m", "1h", "7d"}
    for label, counted in slo["events"].items():
        good, total = expected(name, backend.history, at, parse_duration(label))
        assert counted["total"] == pytest.approx(total, rel=1e-9), label
        assert counted["good"] == pytest.approx(good, rel=1e-9), label
        burn = burn_of(good, total, objective) if total else None
        assert slo["burn_rates"][label] == (None if burn is None else pytest.approx(burn)), label
    good, total = expected(name, backend.history, at, 7 * DAY)
    consumed = burn_of(good, total, objective)
    assert slo["sli"] == pytest.approx(good / total, rel=1e-9)
    assert slo["error_budget_consumed_ratio"] == pytest.approx(consumed, rel=1e-6, abs=1e-12)


def test_the_pay_incident_burns_the_journey_fast(evaluations):
    """Now /pay fails ~20 %: the checkout journey pages through its pay step."""
    slo = evaluations["now"]["checkout-journey"]
    assert any(a["firing"] and a["severity"] == "page" for a in slo["alerts"])


def test_components_keep_their_own_numbers(backend, evaluations):
    """A component is still its own SLO over its own period: pay-availability's 30 days."""
    slo = evaluations["now"]["pay-availability"]
    assert "30d" in slo["events"]
    good, total = summed(backend.history, ["pay-availability"], backend.now, 30 * DAY)
    assert slo["events"]["30d"] == {"good": pytest.approx(good), "total": pytest.approx(total)}


def test_a_budget_adjustment_of_a_composite_takes_its_components_events_out(backend, tmp_path):
    """An adjustment selecting the composite removes the events inside it from every
    component it sums: each window equals the leaves' truth less the truth inside."""
    config = write_composite_config(tmp_path, backend.url)
    now, history = backend.now, backend.history
    span = (now // 3600 * 3600 - 5 * 3600, now // 3600 * 3600 - 3 * 3600)
    config.write_text(
        config.read_text()
        + "budget_adjustments:\n  - name: gateway-maintenance\n    reason: announced\n"
        + f"    from: {_rfc3339(span[0])}\n    to: {_rfc3339(span[1])}\n"
        + "    slos: [checkout-journey]\n"
    )
    slo = {s["name"]: s for s in eval_json(config, now)["slos"]}["checkout-journey"]
    cut = 0
    for label, counted in slo["events"].items():
        window = parse_duration(label)
        good, total = summed(history, LEAVES["checkout-journey"], now, window)
        lo, hi = max(now - window, span[0]), min(now, span[1])
        if hi > lo:
            cut += 1
            good_in, total_in = summed(history, LEAVES["checkout-journey"], hi, hi - lo)
            good, total = good - good_in, total - total_in
        assert counted == {"good": pytest.approx(good), "total": pytest.approx(total)}, label
    assert cut > 0, "the adjustment overlaps some window"


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
