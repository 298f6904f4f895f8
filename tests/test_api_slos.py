"""The JSON API's SLO list, SLO detail and status, in-process with the fault backend.

The fake backend answers every window with the same counts per SLO (from the metric
names in the query), so each SLO's budget is known in advance; the numbers against the
real Prometheus and the gauges of /metrics are in test_api_against_prometheus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_backend import FakeBackend
from served_app import assert_one_line_json_error, get_json, serve, wait_cycles

from exporter.app import DAEMON

SLO = """\
  - name: {name}
    service: {service}
    objective: 99
    labels: {labels}
    sli:
      ratio:
        good: {name}_good
        total: {name}_total
"""
CONFIG = "backend:\n  url: {url}\n  timeout: 1s\nslos:\n" + "".join(
    SLO.format(name=n, service=s, labels=labels).replace("{", "{{").replace("}", "}}")
    for n, s, labels in [
        ("a", "checkout", "{team: pay, tier: '1'}"),
        ("b", "search", "{team: find}"),
        ("c", "checkout", "{team: pay}"),
    ]
).replace("{{url}}", "{url}")
GOOD = {"a": 995.0, "b": 1000.0, "c": 980.0}
"""Good events of 1,000 in every window: a burns half its budget, b none, c twice it."""


def answer(query: str, at: float) -> float:
    """The counts of the SLO whose metric the query reads."""
    name = query.split("(")[2][0]
    return GOOD[name] if "_good" in query else 1000.0


@pytest.fixture
def config_file(tmp_path: Path, fake_backend: FakeBackend) -> Path:
    fake_backend.default = answer
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=fake_backend.url))
    return path


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["a", "b", "c"]),
        ("service=checkout", ["a", "c"]),
        ("service=nope", []),
        ("label=team:pay", ["a", "c"]),
        ("label=team:pay&label=tier:1", ["a"]),
        ("label=team:", []),
        ("status=exhausted", ["c"]),
        ("status=healthy&status=exhausted", ["a", "b", "c"]),
        ("status=critical", []),
        ("sort=name", ["a", "b", "c"]),
        ("sort=budget", ["c", "a", "b"]),
        ("sort=-budget", ["b", "a", "c"]),
        ("service=checkout&sort=-budget", ["a", "c"]),
        ("label=team:pay&status=healthy", ["a"]),
    ],
)
async def test_slos_filter_and_sort(aiohttp_client, config_file, query, names):
    """/api/v1/slos keeps the SLOs the filters name, least or most budget first on request."""
    _, client = await serve(aiohttp_client, config_file)
    status, body = await get_json(client, f"/api/v1/slos?{query}")
    assert status == 200
    assert [s["name"] for s in body["slos"]] == names


async def test_slos_carry_the_budget_of_the_cycle(aiohttp_client, config_file):
    """Each SLO's status and remaining budget are what its counts give (1 - burn rate)."""
    _, client = await serve(aiohttp_client, config_file)
    _, body = await get_json(client, "/api/v1/slos")
    got = {s["name"]: (s["status"], s["budget_remaining_ratio"]) for s in body["slos"]}
    assert got == {
        "a": ("healthy", pytest.approx(0.5)),
        "b": ("healthy", pytest.approx(1.0)),
        "c": ("exhausted", pytest.approx(-1.0)),
    }
    assert body["state"] == "evaluated"


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/v1/slos?label=team", 400, "parameter 'label' must be key:value; got 'team'"),
        ("/api/v1/slos?label=:pay", 400, "parameter 'label' must be key:value"),
        ("/api/v1/slos?status=great", 400, "parameter 'status' must be one of healthy,"),
        ("/api/v1/slos?sort=up", 400, "parameter 'sort' must be one of name, budget, -budget"),
        ("/api/v1/slos?servce=checkout", 400, "unknown parameter 'servce'"),
        ("/api/v1/slos/nope", 404, "no SLO of the config is named 'nope'"),
        ("/api/v1/slos/a%0Ab", 404, "no SLO of the config is named 'a\\nb'"),
        ("/api/v1/slos/a%2Fb%0A", 404, "no SLO of the config is named 'a/b\\n'"),
    ],
)
async def test_api_refuses_bad_requests_in_one_line(
    aiohttp_client, config_file, url, status, message
):
    """A bad filter is a 400, an unknown SLO a 404: each a one-line JSON error."""
    _, client = await serve(aiohttp_client, config_file)
    got, body = await get_json(client, url)
    assert got == status
    assert_one_line_json_error(body, message)


async def test_slo_detail_has_windows_budget_alerts_and_says_why_no_daily(
    aiohttp_client, config_file
):
    """/api/v1/slos/{name}: every window's events, SLI and burn rate, the budget, the alert
    conditions, and without a store an explicit reason instead of a daily series."""
    _, client = await serve(aiohttp_client, config_file)
    status, body = await get_json(client, "/api/v1/slos/c")
    slo = body["slo"]
    assert status == 200
    windows = {w["window"]: w for w in slo["windows"]}
    assert set(windows) >= {"5m", "1h", "30d"}
    assert windows["1h"] == {
        "window": "1h", "seconds": 3600, "good_events": 980.0, "events": 1000.0,
        "sli": pytest.approx(0.98), "burn_rate": pytest.approx(2.0),
    }  # fmt: skip
    assert slo["budget"]["remaining_ratio"] == pytest.approx(-1.0)
    assert slo["budget"]["exhaustion_seconds"] == 0.0
    assert slo["period"]["seconds"] == 30 * 86400
    assert {(a["severity"], a["long_window"], a["short_window"]) for a in slo["alerts"]} >= {
        ("page", "1h", "5m")
    }
    assert any(a["firing"] for a in slo["alerts"])  # the workbook ticket fires above 1
    for alert in slo["alerts"]:  # burn rate 2 in every window
        assert alert["long_burn_rate"] == alert["short_burn_rate"] == pytest.approx(2.0)
        assert alert["firing"] is (alert["burn_rate_threshold"] < 2.0)
    assert (slo["daily"], slo["daily_unavailable"]) == (
        None,
        "no history store (run with --data-dir)",
    )


async def test_before_the_first_cycle_nothing_pretends(aiohttp_client, config_file, fake_backend):
    """A backend that never answers: no cycle yet, every SLO pending with no numbers."""
    fake_backend.mode = "hang"
    app, client = await serve(aiohttp_client, config_file, cycles=0)
    _, listing = await get_json(client, "/api/v1/slos")
    assert (listing["state"], listing["evaluated_at"]) == ("before_first_cycle", None)
    assert {s["evaluation"]["state"] for s in listing["slos"]} == {"pending"}
    assert {s["status"] for s in listing["slos"]} == {"unknown"}
    _, detail = await get_json(client, "/api/v1/slos/a")
    assert detail["slo"]["windows"] == []
    assert set(detail["slo"]["budget"].values()) == {None}
    _, status = await get_json(client, "/api/v1/status")
    assert (status["cycles"], status["last_cycle"], status["backend"]["state"]) == (
        0, None, "unknown"
    )  # fmt: skip
    assert app[DAEMON].cycles == 0


async def test_failed_first_evaluation_is_failed_not_pending(
    aiohttp_client, config_file, fake_backend
):
    """A backend answering 500 from the start: evaluated, failed with the reason, no numbers."""
    fake_backend.mode = "http500"
    _, client = await serve(aiohttp_client, config_file)
    _, listing = await get_json(client, "/api/v1/slos")
    assert listing["state"] == "evaluated"
    for slo in listing["slos"]:
        assert slo["evaluation"]["state"] == "failed"
        assert "500" in slo["evaluation"]["error"]
        assert (slo["status"], slo["budget_remaining_ratio"]) == ("unknown", None)
    _, status = await get_json(client, "/api/v1/status")
    assert status["last_cycle"]["result"] == "failure"
    assert status["backend"]["state"] == "down"


async def test_failure_after_success_keeps_the_last_numbers_marked(
    aiohttp_client, config_file, fake_backend
):
    """A cycle failing after a good one: status unknown, the last good budget still shown."""
    app, client = await serve(aiohttp_client, config_file)
    fake_backend.mode = "http500"
    app[DAEMON].wake()
    await wait_cycles(app, 2)
    _, body = await get_json(client, "/api/v1/slos/a")
    slo = body["slo"]
    assert slo["evaluation"]["state"] == "failed"
    assert slo["status"] == "unknown"
    assert slo["budget_remaining_ratio"] == pytest.approx(0.5)


async def test_nan_from_the_backend_is_null_in_json(aiohttp_client, config_file, fake_backend):
    """A backend answering NaN: the JSON stays strict (null, never NaN)."""
    fake_backend.mode = "nan"
    _, client = await serve(aiohttp_client, config_file)
    for url in ("/api/v1/slos", "/api/v1/slos/a", "/api/v1/status"):
        status, _ = await get_json(client, url)
        assert status == 200


async def test_status_reports_build_config_cycle_backend_and_store(aiohttp_client, config_file):
    """/api/v1/status: the version, a good config load, the last cycle, the backend up, no
    store and the SLO count."""
    _, client = await serve(aiohttp_client, config_file)
    _, status = await get_json(client, "/api/v1/status")
    assert status["version"]
    assert status["config"]["reload_ok"] is True
    assert status["last_cycle"]["result"] == "success"
    assert status["last_cycle"]["slos_evaluated"] == 3
    assert status["backend"]["state"] == "up"
    assert status["store"] == {"state": "none", "path": None}
    assert status["slos"] == 3


async def test_openapi_document_lists_every_route(aiohttp_client, config_file):
    """/api/v1/openapi.json is an OpenAPI 3.1 document naming every API route."""
    _, client = await serve(aiohttp_client, config_file)
    _, document = await get_json(client, "/api/v1/openapi.json")
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/api/v1/slos", "/api/v1/slos/{name}", "/api/v1/status", "/api/v1/decision",
        "/api/v1/openapi.json",
    }  # fmt: skip


async def test_status_says_a_reload_failed(aiohttp_client, config_file):
    """A config edit that does not load: /api/v1/status says so, the old SLOs still served."""
    app, client = await serve(aiohttp_client, config_file)
    config_file.write_text("slos: [\n")
    assert await app[DAEMON].reload(config_file) is False
    _, status = await get_json(client, "/api/v1/status")
    assert status["config"]["reload_ok"] is False
    assert status["slos"] == 3
