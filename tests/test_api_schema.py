"""The JSON API against its own OpenAPI document: schemathesis on a running daemon.

``slo-exporter run`` runs as a child process, once against the real test Prometheus
(every SLO evaluated) and once against a backend that refuses connections (every
evaluation failed); schemathesis reads ``/api/v1/openapi.json`` from it, generates
requests for every route and checks each answer: no 5xx, a documented status, a
body and content type conforming to the schema.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from processes import die_with_parent, free_port
from truth import CONFIG

pytestmark = pytest.mark.integration  # the exporter runs as a child process


def _status(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/status", timeout=2) as r:
            return json.load(r)
    except OSError:
        return None


def _start(folder: Path, backend_url: str) -> tuple[subprocess.Popen[bytes], int]:
    """``slo-exporter run`` on ``backend_url``, once its first cycle has finished."""
    config = folder / "slos.yaml"
    config.write_text(CONFIG.format(url=backend_url))
    port = free_port()
    with open(folder / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "exporter", "run", "-c", str(config), "--no-store",
             "--listen", f"127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - prctl only
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (folder / "stderr.log").read_text()
        status = _status(port)
        if status is not None and status["cycles"] >= 1:
            return process, port
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the exporter finished no cycle within 60 s")


@pytest.fixture(scope="module", params=["prometheus", "backend-down"])
def daemon_port(request, tmp_path_factory) -> Iterator[int]:
    """A running daemon: on the real Prometheus, or on a port nothing listens on."""
    if request.param == "prometheus":
        url = request.getfixturevalue("prometheus").url
    else:
        url = f"http://127.0.0.1:{free_port()}"
    process, port = _start(tmp_path_factory.mktemp(request.param), url)
    yield port
    process.terminate()
    process.wait(timeout=30)


def test_api_answers_as_its_openapi_document_says(daemon_port):
    """Every generated request to every route: no 5xx, a documented status, a body and
    content type that conform to the document."""
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{daemon_port}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {o.label for o in operations} >= {  # schemathesis leaves out the document itself
        "GET /api/v1/slos", "GET /api/v1/slos/{name}", "GET /api/v1/status", "GET /api/v1/decision",
    }  # fmt: skip
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate()

        conforms()
