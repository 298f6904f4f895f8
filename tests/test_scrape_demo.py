"""The sidecar demo: the synthetic service behaves as its README promises, the runner reads it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parent.parent


def load(name: str) -> ModuleType:
    """``demo/<name>.py`` as a module (the demo folder is no package)."""
    module_name = f"slo_demo_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "demo" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def server_errors(service) -> float:
    """5xx responses the service counted so far."""
    get = service.registry.get_sample_value
    return sum(get("http_requests_total", {"code": c}) or 0.0 for c in ("500", "503"))


def slow(service) -> float:
    """Requests slower than 250 ms so far."""
    get = service.registry.get_sample_value
    every = get("http_request_duration_seconds_bucket", {"le": "+Inf"})
    return every - get("http_request_duration_seconds_bucket", {"le": "0.25"})


def test_incident_raises_errors_and_latency_then_ends():
    """During an incident ~30 % of requests fail and ~20 % are slow; afterwards ~0.1 % fail."""
    clock = Clock()
    service = load("service").DemoService(rate=0, seed=5, clock=clock)
    service.serve(20_000)
    assert server_errors(service) < 0.003 * 20_000
    assert slow(service) < 0.01 * 20_000
    service.start_incident(error_rate=0.3, seconds=60, slow=3.0)
    errors, slow_before = server_errors(service), slow(service)
    service.serve(20_000)
    assert 0.28 * 20_000 < server_errors(service) - errors < 0.32 * 20_000
    assert slow(service) - slow_before > 0.15 * 20_000
    clock.now += 61
    errors = server_errors(service)
    service.serve(20_000)
    assert server_errors(service) - errors < 0.003 * 20_000


@pytest.mark.parametrize(("rate", "steps", "served"), [(50, [1.0] * 10, 500), (3, [0.1] * 10, 3)])
def test_traffic_follows_the_rate(rate: float, steps: list[float], served: int):
    """Advancing time serves rate x seconds requests, fractions carried over."""
    service = load("service").DemoService(rate=rate, seed=1)
    for step in steps:
        service.advance(step)
    assert service.registry.get_sample_value("http_request_duration_seconds_count") == served


@pytest.fixture
async def running() -> AsyncIterator[tuple[object, str]]:
    """The demo service's app on a free port, no background traffic; (service, base URL)."""
    service = load("service").DemoService(rate=0, seed=2)
    server = TestServer(service.app(traffic=False), host="127.0.0.1")
    await server.start_server()
    yield service, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/openmetrics-text;version=1.0.0", "application/openmetrics-text"),
        ("text/plain", "text/plain"),
        ("", "text/plain"),
    ],
)
async def test_metrics_endpoint_speaks_both_formats(running, accept: str, content_type: str):
    """/metrics answers OpenMetrics when asked for it, the text format otherwise."""
    service, base = running
    service.serve(10)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base}/metrics", headers={"Accept": accept}) as response,
    ):
        body = await response.text()
    assert response.headers["Content-Type"].startswith(content_type)
    assert "http_requests_total{" in body
    assert 'http_request_duration_seconds_bucket{le="0.25"}' in body


@pytest.mark.parametrize(
    ("query", "status", "fragment", "active"),
    [
        ("error_rate=0.3&seconds=60", 200, "30% errors, 20x slower, for 60 s", True),
        ("", 200, "30% errors", True),
        ("error_rate=0.5&seconds=10&slow=4", 200, "50% errors, 4x slower, for 10 s", True),
        ("error_rate=2", 400, "error_rate must be between 0 and 1", False),
        ("seconds=abc", 400, "seconds must be a number", False),
        ("seconds=0", 400, "seconds must be above 0", False),
    ],
)
async def test_incident_switch(running, query: str, status: int, fragment: str, active: bool):
    """POST /incident starts an incident, or says in one line what is wrong with the request."""
    service, base = running
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/incident?{query}") as response,
    ):
        text = await response.text()
    assert response.status == status
    assert fragment in text
    assert service.incident_active is active


async def test_incident_end_and_restart_over_http(running):
    """DELETE /incident ends it; POST /restart sets every counter back to zero."""
    service, base = running
    service.serve(100)
    async with aiohttp.ClientSession() as session:
        await session.post(f"{base}/incident?seconds=600")
        assert service.incident_active
        await session.delete(f"{base}/incident")
        assert not service.incident_active
        await session.post(f"{base}/restart")
    assert service.registry.get_sample_value("http_request_duration_seconds_count") == 0


EXPORTER_METRICS = """\
# TYPE slo_status gauge
slo_status{slo="demo-availability",service="demo",status="critical"} 1
slo_status{slo="demo-availability",service="demo",status="healthy"} 0
slo_status{slo="demo-latency",service="demo",status="healthy"} 1
# TYPE slo_error_budget_remaining_ratio gauge
slo_error_budget_remaining_ratio{slo="demo-availability",service="demo"} -0.25
slo_error_budget_remaining_ratio{slo="demo-latency",service="demo"} 0.875
# TYPE slo_burn_rate gauge
slo_burn_rate{slo="demo-availability",service="demo",window="1m"} 30
slo_burn_rate{slo="demo-availability",service="demo",window="5m"} 6.5
# TYPE slo_alert_condition gauge
slo_alert_condition{slo="demo-availability",service="demo",severity="page",long_window="5m",short_window="1m"} 1
slo_alert_condition{slo="demo-latency",service="demo",severity="page",long_window="5m",short_window="1m"} 0
"""  # noqa: E501


def test_runner_prints_a_line_per_slo():
    """The runner's status lines show each SLO's status, budget left, the burn rate of each
    window in the column under the header's, and the alerts that hold."""
    sidecar = load("sidecar")
    lines = sidecar._status_lines(EXPORTER_METRICS, incident=True)
    assert len(lines) == 2
    availability, latency = lines
    header = sidecar.HEADER
    burn_1m = header.index("burn 1m") + len("burn 1m")  # right-aligned under the header
    assert "demo-availability" in availability
    assert "critical" in availability
    assert "-25.0%" in availability
    assert availability[:burn_1m].endswith("30.0")
    assert " page " in availability
    assert availability.endswith("INCIDENT")
    assert "healthy" in latency
    assert "87.5%" in latency
    assert latency[:burn_1m].endswith("n/a")
    assert latency.split()[-2:] == ["-", "INCIDENT"], "no alert holds"
