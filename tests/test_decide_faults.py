"""The release gate when things go wrong: bad requests to the API, failed evaluations.

The fake backend only injects faults; the decisions themselves are checked against the
real Prometheus in test_decide_against_prometheus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_backend import FakeBackend
from served_app import assert_one_line_json_error, get_json, serve

from exporter.cli import main

CONFIG = """\
backend:
  url: {url}
  timeout: 1s
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    sli:
      ratio:
        good: http_requests_total{{code!~"5.."}}
        total: http_requests_total
"""


@pytest.fixture
def config_file(tmp_path: Path, fake_backend: FakeBackend) -> Path:
    path = tmp_path / "slos.yaml"
    path.write_text(CONFIG.format(url=fake_backend.url))
    return path


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("risk=low", 400, "missing parameter 'service'"),
        ("service=checkout", 400, "parameter 'risk' must be one of low, medium, high; it is"),
        ("service=checkout&risk=huge", 400, "must be one of low, medium, high; got 'huge'"),
        ("service=nope&risk=low", 404, "no SLO of the config has service 'nope'"),
    ],
)
async def test_api_refuses_bad_requests_in_one_line(
    aiohttp_client, config_file, query, status, message
):
    """A bad or missing parameter is a 400, an unknown service a 404: one-line JSON errors."""
    _, client = await serve(aiohttp_client, config_file)
    got, body = await get_json(client, f"/api/v1/decision?{query}")
    assert got == status
    assert_one_line_json_error(body, message)


async def test_api_healthy_service_is_approved(aiohttp_client, config_file):
    """Every query answering 1 (no bad events): healthy, a low-risk release is approved."""
    _, client = await serve(aiohttp_client, config_file)
    response = await client.get("/api/v1/decision?service=checkout&risk=low")
    body = await response.json()
    assert (body["decision"], body["exit_code"]) == ("approve", 0)
    assert body["slos"][0]["status"] == "healthy"


async def test_api_failed_evaluation_asks_for_a_review(aiohttp_client, config_file, fake_backend):
    """The backend failing: the SLO's status is unknown and the gate says review, saying why."""
    fake_backend.mode = "http500"
    _, client = await serve(aiohttp_client, config_file)
    response = await client.get("/api/v1/decision?service=checkout&risk=low")
    body = await response.json()
    assert body["decision"] == "review"
    assert body["slos"][0]["status"] == "unknown"
    assert "not evaluated yet" in body["rationale"]


def test_cli_failed_evaluation_exits_3(config_file, fake_backend, capsys):
    """decide against a failing backend: review on stdout, exit 3, one stderr line per SLO."""
    fake_backend.mode = "http500"
    code = main(["decide", "-c", str(config_file), "--service", "checkout", "--risk", "low"])
    out, err = capsys.readouterr()
    assert code == 3
    assert out.startswith("REVIEW: low-risk release of checkout")
    assert "checkout-availability's status is unknown (evaluation failed: " in out
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("SLO 'checkout-availability': evaluation failed: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "nope", "--risk", "low"], "--service 'nope': no SLO"),
        (["--service", "checkout", "--slo", "x", "--risk", "low"], "--slo 'x': service"),
    ],
)
def test_cli_unknown_service_or_slo_exits_2(config_file, capsys, args, message):
    """An unknown service or SLO is a usage error: exit 2, one line, no query sent."""
    assert main(["decide", "-c", str(config_file), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
