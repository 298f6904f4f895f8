"""Start a throw-away Prometheus backfilled with the synthetic history of ``history.py``.

Synchronous (subprocess + urllib) on purpose, so it works under any pytest-asyncio mode.

    server = start_prometheus_server(workdir)          # builds, backfills, starts, waits
    try:
        server.query_value('sum(increase(x[5m]))', time=server.now)
    finally:
        server.stop()

``PROMETHEUS_BIN`` / ``PROMTOOL_BIN`` override the binaries found on ``PATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from history import HISTORY_SPAN, History, build_history, write_openmetrics
from processes import fmt_time, free_port, read_tail, spawn, stop_process

READY_TIMEOUT = 30.0
"""Seconds to wait for ``/-/ready``."""
# promtool 2.42 re-parses the whole input file once per output block; with the default 2 h
# blocks, 8 days of history means ~97 passes (~20 s).  2h * 3**5 = 486h gives 1-2 blocks.
# The flag is hidden in ``--help`` but exists (and takes a Go duration: "486h", not "20d").
MAX_BLOCK_DURATION = "486h"

_CONFIG = """\
# Written by tests/prometheus_server.py: no scrape jobs, data comes from backfilled blocks.
global:
  evaluation_interval: 1m
scrape_configs: []
"""


class PrometheusSetupError(RuntimeError):
    """Prometheus or promtool is missing, failed, or did not become ready."""


@dataclass
class PrometheusServer:
    """A running Prometheus serving ``history``; ``url`` is like ``http://127.0.0.1:PORT``."""

    url: str
    history: History
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    timings: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds spent in each setup phase (build, write, promtool, startup)."""

    @property
    def now(self) -> int:
        """The history's ``now`` (a whole minute); the fast burn ends here."""
        return self.history.now

    def log(self) -> str:
        """Prometheus' stderr/stdout so far."""
        return read_tail(self.log_path)

    def query(self, promql: str, time: float) -> dict[str, Any]:
        """Instant query; returns the ``data`` member of the API answer."""
        data: dict[str, Any] = api_request(
            self.url, "/api/v1/query", {"query": promql, "time": fmt_time(time)}
        )
        return data

    def query_value(self, promql: str, time: float) -> float | None:
        """Value of an instant query that yields a vector of at most one element.

        Returns None for an empty vector; raises if there is more than one element.
        """
        data = self.query(promql, time)
        result = data["result"]
        if data["resultType"] == "scalar":
            return float(result[1])
        if not result:
            return None
        if len(result) > 1:
            raise AssertionError(f"{promql!r} returned {len(result)} series: {result}")
        return float(result[0]["value"][1])

    def stop(self) -> None:
        """Terminate Prometheus (SIGTERM, then SIGKILL after STOP_TIMEOUT)."""
        stop_process(self.process)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def api_request(base_url: str, path: str, params: dict[str, str], timeout: float = 30.0) -> Any:
    """GET a Prometheus HTTP API endpoint with ``params``; return its ``data`` member."""
    url = base_url + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise AssertionError(f"Prometheus {path} {params} -> HTTP {exc.code}: {detail}") from exc
    if payload.get("status") != "success":
        raise AssertionError(f"Prometheus {path} {params} -> {payload}")
    return payload["data"]


def find_binary(name: str, env_var: str) -> str:
    """Path of ``name`` (or of ``$env_var``); PrometheusSetupError if it is missing."""
    candidate = os.environ.get(env_var) or shutil.which(name)
    if not candidate or not os.access(candidate, os.X_OK):
        raise PrometheusSetupError(
            f"{name!r} executable not found (looked at ${env_var} and "
            f"PATH={os.environ.get('PATH')}); the Prometheus integration tests need "
            "Prometheus 2.x installed (e.g. `apt-get install prometheus`)."
        )
    return candidate


def backfill(history: History, workdir: Path, timings: dict[str, float] | None = None) -> Path:
    """Write ``history`` as OpenMetrics and turn it into TSDB blocks; return the data dir."""
    timings = {} if timings is None else timings
    promtool = find_binary("promtool", "PROMTOOL_BIN")
    openmetrics = workdir / "history.om.txt"
    data_dir = workdir / "data"

    started = time.monotonic()
    write_openmetrics(history, openmetrics)
    timings["write_openmetrics"] = time.monotonic() - started

    started = time.monotonic()
    base = [promtool, "tsdb", "create-blocks-from", "openmetrics"]
    tail = [str(openmetrics), str(data_dir)]
    proc = _run([*base, f"--max-block-duration={MAX_BLOCK_DURATION}", *tail])
    if proc.returncode != 0 and "max-block-duration" in proc.stderr:
        shutil.rmtree(data_dir, ignore_errors=True)  # older promtool: slow but correct
        proc = _run([*base, *tail])
    timings["promtool"] = time.monotonic() - started
    if proc.returncode != 0:
        raise PrometheusSetupError(
            f"promtool backfill failed (exit {proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    openmetrics.unlink()  # ~17 MB, no longer needed
    return data_dir


def start_prometheus_server(
    workdir: Path, now: float | None = None, span: int = HISTORY_SPAN, port: int | None = None
) -> PrometheusServer:
    """Build the history around ``now`` (default: the current time), backfill it into
    ``workdir``, start Prometheus on a free 127.0.0.1 port and wait until it is ready
    and serves the backfilled series.  The caller must ``stop()`` the result."""
    timings: dict[str, float] = {}
    prometheus = find_binary("prometheus", "PROMETHEUS_BIN")
    find_binary("promtool", "PROMTOOL_BIN")

    started = time.monotonic()
    history = build_history(time.time() if now is None else now, span=span)
    timings["build_history"] = time.monotonic() - started

    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = backfill(history, workdir, timings)
    config = workdir / "prometheus.yml"
    config.write_text(_CONFIG, encoding="utf-8")

    started = time.monotonic()
    server: PrometheusServer | None = None
    for attempt in range(3):
        log_path = workdir / f"prometheus-{attempt}.log"
        port = free_port() if port is None or attempt else port
        process = spawn(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={data_dir}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            ],
            log_path,
        )
        server = PrometheusServer(
            url=f"http://127.0.0.1:{port}",
            history=history,
            data_dir=data_dir,
            log_path=log_path,
            process=process,
            timings=timings,
        )
        if _wait_ready(server):
            break
        server.stop()
        if "address already in use" not in server.log():
            if process.returncode is not None and process.returncode >= 0:
                what = f"exited with code {process.returncode} before becoming ready"
            else:
                what = f"did not become ready within {READY_TIMEOUT:.0f} s"
            raise PrometheusSetupError(f"Prometheus {what}. Its output:\n{server.log()}")
    else:
        raise PrometheusSetupError(
            f"Prometheus could not bind a free port after 3 attempts:\n{server and server.log()}"
        )
    timings["prometheus_startup"] = time.monotonic() - started

    try:
        _check_backfill_visible(server)
    except BaseException:
        server.stop()
        raise
    return server


def _check_backfill_visible(server: PrometheusServer) -> None:
    """Fail early (with a clear message) if the backfilled blocks are not queryable,
    both at ``now`` and in the future part of the history."""
    history = server.history
    expected = len(history.series) + len(history.gauges)
    for t in (history.now, history.now + 3600):
        got = server.query_value('count({__name__=~".+"})', time=t)
        if got != expected:
            raise PrometheusSetupError(
                f"Prometheus serves {got} series at t={t} (now={history.now}), expected "
                f"{expected}: backfilled blocks not visible. Its output:\n{server.log()}"
            )


# --------------------------------------------------------------------------- internals


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    except subprocess.TimeoutExpired as exc:
        raise PrometheusSetupError(f"{cmd[0]} timed out after 120 s: {exc.stderr!r}") from exc


def _wait_ready(server: PrometheusServer) -> bool:
    """True once ``/-/ready`` answers 200; False if the process died or time ran out."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(server.url + "/-/ready", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return False


__all__ = [
    "PrometheusServer",
    "PrometheusSetupError",
    "api_request",
    "backfill",
    "find_binary",
    "start_prometheus_server",
]
