"""`make demo` and `make demo-prometheus` when a port they need is taken: one line per
taken port naming the make variable that moves it, before anything starts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import free_port

pytestmark = pytest.mark.integration  # runs the demo scripts and make as child processes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port of 127.0.0.1 another socket listens on."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("script", "taken", "variable", "target"),
    [
        ("sidecar.py", "--service-port", "DEMO_SERVICE_PORT", "demo"),
        ("sidecar.py", "--exporter-port", "DEMO_EXPORTER_PORT", "demo"),
        ("run.py", "--prometheus-port", "DEMO_PROMETHEUS_PORT", "demo-prometheus"),
        ("run.py", "--exporter-port", "DEMO_EXPORTER_PORT", "demo-prometheus"),
    ],
)
def test_a_taken_port_names_the_variable_to_set(
    busy_port: int, script: str, taken: str, variable: str, target: str
):
    """The demo stops at once with one line: the port, that it is taken, and the
    `make TARGET VARIABLE=PORT` that would move it; no traceback, nothing started."""
    flags = {
        "sidecar.py": ["--service-port", "--exporter-port"],
        "run.py": ["--prometheus-port", "--exporter-port"],
    }[script]
    argv = [sys.executable, str(ROOT / "demo" / script)]
    for flag in flags:
        argv += [flag, str(busy_port if flag == taken else free_port())]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"127.0.0.1:{busy_port}" in line
    assert f"make {target} {variable}=" in line


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("demo", "demo/sidecar.py --service-port 18080 --exporter-port 19099"),
        ("demo-prometheus", "demo/run.py --prometheus-port 19090 --exporter-port 19099"),
    ],
)
def test_make_passes_the_port_variables_to_the_demos(target: str, expected: str):
    """The Makefile's DEMO_*_PORT variables reach the demo scripts' flags."""
    make = shutil.which("make")
    assert make is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    result = subprocess.run(
        [make, "-n", "-C", str(ROOT), target, "DEMO_SERVICE_PORT=18080",
         "DEMO_EXPORTER_PORT=19099", "DEMO_PROMETHEUS_PORT=19090"],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
