"""The ``slo-exporter`` command as a user runs it: exit codes, messages, signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from one_slo import one_slo_config
from processes import free_port
from truth import write_config

from exporter.cli import main, parse_time

EXPORTER = [sys.executable, "-m", "exporter"]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXPORTER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.integration  # runs a child process
def test_validate_accepts_the_examples():
    """`validate` exits 0 and says how many SLOs the example config holds."""
    result = run_cli("validate", "-c", "config/example.yaml")
    assert result.returncode == 0, result.stderr
    assert "OK, 4 SLOs" in result.stdout


BROKEN = """\
backend:
  url: http://127.0.0.1:9090
slos:
  - name: checkout
    service: checkout
    objective: 100
    sli:
      ratio:
        good: http_requests_total{code!~"5.."}[5m]
        total: http_requests_total
"""


@pytest.mark.integration  # runs a child process
def test_validate_reports_every_problem_without_traceback(tmp_path: Path):
    """A broken config exits 1 with one `file:line: ...` line per problem and no traceback."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = run_cli("validate", "-c", str(path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f'{path}:6: slos[0] "checkout": objective')
    assert lines[1].startswith(f'{path}:9: slos[0] "checkout": sli.ratio.good')
    assert "Traceback" not in result.stderr


@pytest.mark.integration  # runs a child process
def test_missing_config_file_is_one_line(tmp_path: Path):
    """A config path that does not exist is a one-line error, exit 1."""
    result = run_cli("validate", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nope.yaml" in result.stderr


@pytest.mark.integration  # runs a child process
@pytest.mark.parametrize(
    "args", [["eval"], ["frobnicate"], ["eval", "-c", "x", "--at", "yesterday"]]
)
def test_usage_errors_exit_2(args: list[str]):
    """Bad command lines exit 2 with argparse's usage message."""
    result = run_cli(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_eval_with_backend_down_exits_3(tmp_path: Path, capsys):
    """`eval` against an unreachable backend prints data_ok false with the error and exits 3."""
    path = write_config(tmp_path, "http://127.0.0.1:9")
    code = main(["--log-format", "json", "eval", "-c", str(path), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 3
    assert all(slo["data_ok"] is False for slo in document["slos"])
    assert all("cannot reach" in slo["error"] for slo in document["slos"])


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("empty", "no_data", 0),  # the backend answers: the service had no traffic
        ("http500", "unknown", 3),
        ("malformed", "unknown", 3),
        ("query_error", "unknown", 3),
    ],
)
@pytest.mark.parametrize("output", ["json", "table"])
async def test_eval_tells_a_failed_slo_from_a_quiet_one(
    fake_backend, tmp_path: Path, capsys, mode: str, status: str, code: int, output: str
):
    """`eval` shows a failed evaluation as status unknown (JSON and table), and a service
    without traffic as no_data."""
    fake_backend.mode = mode
    path = tmp_path / "slos.yaml"
    path.write_text(one_slo_config(fake_backend.url, interval=None))
    args = ["--log-format", "json", "eval", "-c", str(path), "--format", output]
    assert await asyncio.to_thread(main, args) == code
    printed = capsys.readouterr().out
    if output == "json":
        (slo,) = json.loads(printed)["slos"]
        assert slo["status"] == status
        assert slo["data_ok"] is False
        assert ("error" in slo) is (status == "unknown")
    else:
        header, row = printed.splitlines()[:2]
        assert header.split()[-1] == "STATUS"
        assert row.split()[-1] == status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1795780800", 1795780800.0),
        ("1795780800.5", 1795780800.5),
        ("2026-11-27T12:00:00Z", 1795780800.0),
        ("2026-11-27T13:00:00+01:00", 1795780800.0),
    ],
)
def test_at_formats(text: str, expected: float):
    """--at takes unix seconds or RFC 3339 with a zone."""
    assert parse_time(text) == expected


def test_run_serves_and_stops_on_sigterm(prometheus, tmp_path: Path):
    """`run` serves /metrics from the console script and exits 0 on SIGTERM, logging JSON."""
    path = write_config(tmp_path, prometheus.url)
    port = free_port()
    process = subprocess.Popen(
        [*EXPORTER, "run", "-c", str(path), "--no-store", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        body = ""
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as m:
                            body = m.read().decode()
                        break
            except OSError:
                pass
            time.sleep(0.1)
        assert "slo_data_ok" in body
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    events = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert events[0] == "started"
    assert events.count("listening") == 1  # logged once connections are accepted
    assert "evaluated" in events
    assert events[-1] == "stopped"
