"""Grouped SLOs (``group_by: [route]``) on each real backend, against the generator's truth.

``api_requests_total`` has five routes: three with traffic all along, ``/legacy`` silent
for the last seven days and a day (found by the 7-day period a day ago, not now) and
``/new`` with traffic from two hours ago only. Each group's events, burn rates, budget
and alerts must equal the exact counts the generator computed for that route alone.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime

import aiohttp
import pytest
from cli_run import eval_json
from history import API_ROUTES
from truth import DAY, burn_of, expected_burn, route_truth, write_grouped_config

from exporter.cli import main
from exporter.config.loader import load_config
from exporter.domain.durations import parse_duration
from exporter.pipeline.compiled import compile_slo
from exporter.pipeline.cycle import Pipeline
from exporter.pipeline.direct import DirectCounter
from exporter.pipeline.groups import PromQLDiscovery
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate

OFFSETS = {"now": 0, "1d-ago": -DAY}


@pytest.fixture(scope="module")
def evaluations(backend, tmp_path_factory) -> dict[str, dict[str, dict]]:
    """One eval per offset of the grouped config: its SLO entries by name."""
    config = write_grouped_config(tmp_path_factory.mktemp("grouped"), backend.url)
    out = {}
    for label, offset in OFFSETS.items():
        document = eval_json(config, backend.now + offset)
        out[label] = {slo["name"]: slo for slo in document["slos"]}
    return out


def _routes_with_traffic(backend, at: float) -> set[str]:
    """The routes whose total had events in the 7-day period ending at ``at`` (truth)."""
    return {
        route for route in API_ROUTES if route_truth(route).total(backend.history, at, 7 * DAY) > 0
    }


@pytest.mark.parametrize("when", list(OFFSETS))
def test_one_slo_per_route_with_events_in_the_period(backend, evaluations, when):
    """The groups are exactly the routes with traffic in the period: /legacy a day ago
    but not now, /new now but not a day ago."""
    at = backend.now + OFFSETS[when]
    expected = _routes_with_traffic(backend, at)
    assert ("/legacy" in expected) is (when == "1d-ago")
    assert ("/new" in expected) is (when == "now")
    slos = evaluations[when]
    assert set(slos) == {route_truth(route).name for route in expected}
    for route in expected:
        slo = slos[route_truth(route).name]
        assert slo["group_of"] == "api-availability"
        assert slo["group"] == {"route": route}
        assert slo["labels"] == {"team": "web"}


@pytest.mark.parametrize("when", list(OFFSETS))
@pytest.mark.parametrize("route", API_ROUTES)
def test_each_group_counts_its_own_events(backend, evaluations, when, route):
    """Every window's events and burn rate, and the period's budget, of each group equal
    the generator's counts for that route alone."""
    at = backend.now + OFFSETS[when]
    truth = route_truth(route)
    slo = evaluations[when].get(truth.name)
    if slo is None:
        assert route not in _routes_with_traffic(backend, at)
        return
    history = backend.history
    for label, counted in slo["events"].items():
        window = parse_duration(label)
        good, total = truth.good(history, at, window), truth.total(history, at, window)
        assert counted == {"good": pytest.approx(good), "total": pytest.approx(total)}, label
        burn = expected_burn(truth, good, total)
        assert slo["burn_rates"][label] == (None if burn is None else pytest.approx(burn))
    good, total = truth.good(history, at, truth.period), truth.total(history, at, truth.period)
    consumed = burn_of(good, total, truth.objective)
    assert slo["error_budget_consumed_ratio"] == pytest.approx(consumed, rel=1e-6, abs=1e-12)
    assert slo["error_budget_remaining_events"] == pytest.approx(0.01 * total - (total - good))


def test_the_failing_route_pages_alone(evaluations):
    """Now /pay fails ~20 %: its group pages, the healthy routes' groups do not."""
    paging = {
        slo["group"]["route"]
        for slo in evaluations["now"].values()
        if any(a["firing"] and a["severity"] == "page" for a in slo["alerts"])
    }
    assert paging == {"/pay"}


def test_max_groups_keeps_the_first_groups_and_says_so(backend, tmp_path, capsys):
    """With max_groups 2 the two smallest route values are evaluated and one log line
    names the SLO, the groups found and the cap."""
    config = write_grouped_config(tmp_path, backend.url, max_groups=2)
    slos = eval_json(config, backend.now)["slos"]
    found = sorted(_routes_with_traffic(backend, backend.now))
    assert [slo["group"]["route"] for slo in slos] == found[:2]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    capped = [line for line in lines if line["event"] == "slo_groups_capped"]
    assert len(capped) == 1
    assert capped[0]["slo"] == "api-availability"
    assert capped[0]["groups_found"] == len(found)
    assert capped[0]["max_groups"] == 2


async def test_per_group_queries_count_the_same_as_the_grouped_ones(backend, tmp_path):
    """Counted by the direct counter, with each group's own queries instead of one pair
    ``by (route)`` per window, every group's windows are the same truth."""
    settings = load_config(write_grouped_config(tmp_path, backend.url))
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, settings.backend), 4)
        compiled = [compile_slo(s) for s in settings.slos]
        run = await Pipeline(compiled, [DirectCounter(gate)], PromQLDiscovery(gate)).evaluate(
            backend.now
        )
    assert not run.failures
    assert set(run.paths) == {"groups", "direct"}
    groups = run.groups["api-availability"]
    # each group's own query pair per window, several of them sent in one batched request
    per_group = 2 * len(groups) * len(groups[0].windows_at(backend.now))
    assert 0 < run.paths["direct"].tally.total < per_group
    for member in groups:
        truth = route_truth(member.group["route"])
        for window, result in run.results[member.name].windows.items():
            assert result.events.total == pytest.approx(
                truth.total(backend.history, backend.now, window)
            )
            assert result.events.good == pytest.approx(
                truth.good(backend.history, backend.now, window)
            )


def test_decide_judges_each_group(backend, tmp_path):
    """The release gate sees each group as an SLO: the one that decides is a route, and
    every route with traffic is among the standings, none as the ungrouped SLO."""
    config = write_grouped_config(tmp_path, backend.url)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(
            ["decide", "-c", str(config), "--service", "api", "--at", str(backend.now),
             "--risk", "low", "--format", "json"]
        )  # fmt: skip
    document = json.loads(buffer.getvalue())
    assert code == document["exit_code"], buffer.getvalue()
    names = {item["slo"] for item in document["slos"]}
    expected = {route_truth(r).name for r in _routes_with_traffic(backend, backend.now)}
    assert names == expected


GROUP_ADJUSTMENT = """\
budget_adjustments:
  - name: api-maintenance
    reason: announced maintenance of the API gateway
    from: {start}
    to: {end}
    slos: [api-availability]
"""


def _inside(truth, history, window_end: int, window: int, span: tuple[int, int]) -> tuple:
    """Good and total events of ``truth`` in (window_end - window, window_end] ∩ span."""
    lo, hi = max(window_end - window, span[0]), min(window_end, span[1])
    if hi <= lo:
        return 0.0, 0.0
    return truth.good(history, hi, hi - lo), truth.total(history, hi, hi - lo)


@pytest.mark.parametrize("route", ["/cart", "/pay"])
def test_a_budget_adjustment_takes_each_groups_events_out(backend, tmp_path, route):
    """An adjustment selecting a grouped SLO takes the events inside it out of every
    group's windows: each group's events equal its route's truth less the truth inside
    the adjustment (two hours ending three hours ago, so short windows miss it)."""
    config = write_grouped_config(tmp_path, backend.url)
    now = backend.now
    span = (now // 3600 * 3600 - 5 * 3600, now // 3600 * 3600 - 3 * 3600)
    config.write_text(
        config.read_text() + GROUP_ADJUSTMENT.format(start=_rfc3339(span[0]), end=_rfc3339(span[1]))
    )
    truth, history = route_truth(route), backend.history
    slo = {s["name"]: s for s in eval_json(config, now)["slos"]}[truth.name]
    cut = 0
    for label, counted in slo["events"].items():
        window = parse_duration(label)
        good_in, total_in = _inside(truth, history, now, window, span)
        cut += total_in > 0
        good = truth.good(history, now, window) - good_in
        total = truth.total(history, now, window) - total_in
        assert counted == {"good": pytest.approx(good), "total": pytest.approx(total)}, label
    assert cut > 0, "the adjustment overlaps some window"


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
