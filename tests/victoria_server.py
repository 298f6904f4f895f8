"""Start a throw-away single-node VictoriaMetrics holding the synthetic history of ``history.py``.

The same data the ``prometheus`` fixture backfills with promtool, imported over HTTP in
VictoriaMetrics' JSON line format (one line per series, timestamps in milliseconds), so the
integration tests can run unchanged against both backends.  Synchronous (subprocess +
urllib), like ``prometheus_server.py``.

    server = start_victoria_server(workdir)            # starts, imports, flushes, waits
    try:
        server.query_value('sum(increase(x[5m]))', time=server.now)
    finally:
        server.stop()

``VICTORIA_METRICS_BIN`` overrides the binary found on ``PATH`` (Debian's package installs
``/usr/bin/victoria-metrics``, v1.79.5, whose ``-version`` prints nothing).

Why each flag of :data:`FLAGS` is there (all measured on Debian's 1.79.5):

``-retentionPeriod=100y``
    The history starts eight days ago; the default retention is one month.
``-search.latencyOffset=0s``
    By default an instant query whose ``time`` lies within 30 s of the server's clock is
    silently answered at *server now - 30 s* instead (the answer still carries the asked
    timestamp).  The daemon test evaluates at the current whole minute, so it would be.
``-search.disableCache``
    No rollup result cache: every answer comes from the raw samples, whatever the import
    order and however far in the past or future ``time`` lies.  With the cache off,
    ``-search.cacheTimestampOffset`` (which only says how recent data bypasses the cache)
    has no effect, so it is left alone.
``-search.maxStalenessInterval=5m``
    Prometheus' lookback delta.  VictoriaMetrics' implicit lookback for a bare selector is
    the query step (5 m for an instant query), and inside a subquery the subquery's step: a
    slice longer than 5 m would otherwise see samples up to a slice length old.
``-dedup.minScrapeInterval=0s``
    Off (the default, said explicitly): every imported sample is kept.
``-selfScrapeInterval=0s``
    Off (the default, said explicitly): no ``vm_*`` series of its own next to the history.

Samples in the future are accepted without a flag: 1.79 takes timestamps up to two days
ahead of its clock (there is no ``-futureRetention`` in this version); the history reaches
``FUTURE`` = 3 h ahead.
"""

from __future__ import annotations

import json
import math
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

from history import DAY, HISTORY_SPAN, History, build_history
from processes import fmt_time, free_port, read_tail, spawn, stop_process

READY_TIMEOUT = 30.0
"""Seconds to wait for ``/health`` and then for the imported data to be queryable."""
KIND = "victoria-metrics"

FLAGS: tuple[str, ...] = (
    "-retentionPeriod=100y",
    "-search.latencyOffset=0s",
    "-search.disableCache",
    "-search.maxStalenessInterval=5m",
    "-dedup.minScrapeInterval=0s",
    "-selfScrapeInterval=0s",
    "-loggerLevel=WARN",
)
"""Command-line flags besides the storage path and listen address (see the module doc)."""


class VictoriaSetupError(RuntimeError):
    """VictoriaMetrics is missing, failed, or did not serve the imported history."""


@dataclass
class VictoriaProcess:
    """A running VictoriaMetrics; ``url`` is like ``http://127.0.0.1:PORT``."""

    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """VictoriaMetrics' stderr/stdout so far."""
        return read_tail(self.log_path)

    def query(self, promql: str, time: float) -> dict[str, Any]:
        """Instant query; returns the ``data`` member of the API answer."""
        data: dict[str, Any] = api_get(
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
        """Terminate VictoriaMetrics (SIGTERM, then SIGKILL after STOP_TIMEOUT)."""
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


@dataclass
class VictoriaServer(VictoriaProcess):
    """A running VictoriaMetrics serving ``history``."""

    history: History
    timings: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds spent in each setup phase."""
    kind: str = KIND

    @property
    def now(self) -> int:
        """The history's ``now`` (a whole minute); the fast burn ends here."""
        return self.history.now


def api_get(base_url: str, path: str, params: dict[str, str], timeout: float = 30.0) -> Any:
    """GET a Prometheus-compatible API endpoint with ``params``; return its ``data`` member."""
    url = base_url + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise AssertionError(
            f"VictoriaMetrics {path} {params} -> HTTP {exc.code}: {detail}"
        ) from exc
    if payload.get("status") != "success":
        raise AssertionError(f"VictoriaMetrics {path} {params} -> {payload}")
    return payload["data"]


def find_victoria_binary() -> str:
    """Path of ``victoria-metrics`` (or of ``$VICTORIA_METRICS_BIN``)."""
    candidate = os.environ.get("VICTORIA_METRICS_BIN") or shutil.which("victoria-metrics")
    if not candidate or not os.access(candidate, os.X_OK):
        raise VictoriaSetupError(
            "'victoria-metrics' executable not found (looked at $VICTORIA_METRICS_BIN and "
            f"PATH={os.environ.get('PATH')}); the integration tests need it "
            "(`make backends`, or `apt-get install victoria-metrics`)."
        )
    return candidate


def import_lines(history: History) -> bytes:
    """``history`` in VictoriaMetrics' JSON line import format: one line per series, with
    ``values`` exactly as Prometheus stores them (``Series.values``) and timestamps in ms."""
    timestamps = [ts * 1000 for ts in history.timestamps]
    lines = [
        json.dumps(
            {
                "metric": {"__name__": s.name, **s.labels},
                "values": s.values(),
                "timestamps": timestamps,
            },
            separators=(",", ":"),
        )
        for s in [*history.series, *history.gauges]
    ]
    return ("\n".join(lines) + "\n").encode()


def start_victoria_server(
    workdir: Path, now: float | None = None, span: int = HISTORY_SPAN
) -> VictoriaServer:
    """Build the history around ``now`` (default: the current time), start VictoriaMetrics
    with :data:`FLAGS` on a free 127.0.0.1 port with its storage in ``workdir``, import the
    history, flush it and wait until queries see all of it.  The caller must ``stop()`` it."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    history = build_history(time.time() if now is None else now, span=span)
    timings["build_history"] = time.monotonic() - started
    if history.end - time.time() >= 2 * DAY:  # pragma: no cover - a caller's mistake
        raise VictoriaSetupError("VictoriaMetrics 1.79 drops samples more than 2 days ahead")

    started = time.monotonic()
    body = import_lines(history)
    timings["encode"] = time.monotonic() - started

    started = time.monotonic()
    bare = start_victoria_process(workdir, FLAGS)
    timings["startup"] = time.monotonic() - started
    server = VictoriaServer(
        url=bare.url,
        data_dir=bare.data_dir,
        log_path=bare.log_path,
        process=bare.process,
        history=history,
        timings=timings,
    )
    try:
        started = time.monotonic()
        _post(server.url + "/api/v1/import", body)
        timings["import"] = time.monotonic() - started
        started = time.monotonic()
        _get(server.url + "/internal/force_flush")
        _wait_visible(server)
        timings["flush_and_visible"] = time.monotonic() - started
    except BaseException:
        server.stop()
        raise
    return server


def start_victoria_process(workdir: Path, flags: tuple[str, ...] = FLAGS) -> VictoriaProcess:
    """Start an empty VictoriaMetrics with ``flags`` on a free 127.0.0.1 port, its storage
    under ``workdir``, and wait until ``/health`` answers.  The caller must ``stop()`` it."""
    binary = find_victoria_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    server: VictoriaProcess | None = None
    for attempt in range(3):
        port = free_port()
        data_dir = workdir / f"data-{attempt}"
        log_path = workdir / f"victoria-metrics-{attempt}.log"
        cmd = [binary, f"-storageDataPath={data_dir}", f"-httpListenAddr=127.0.0.1:{port}"]
        process = spawn([*cmd, *flags], log_path)
        server = VictoriaProcess(
            url=f"http://127.0.0.1:{port}", data_dir=data_dir, log_path=log_path, process=process
        )
        if _wait_healthy(server):
            return server
        server.stop()
        if "address already in use" not in server.log():
            if process.returncode is not None and process.returncode >= 0:
                what = f"exited with code {process.returncode} before becoming healthy"
            else:
                what = f"did not become healthy within {READY_TIMEOUT:.0f} s"
            raise VictoriaSetupError(f"VictoriaMetrics {what}. Its output:\n{server.log()}")
    raise VictoriaSetupError(
        f"VictoriaMetrics could not bind a free port after 3 attempts:\n{server and server.log()}"
    )


# --------------------------------------------------------------------------- internals


def _wait_visible(server: VictoriaServer) -> None:
    """Poll until every series is seen at ``start``, ``now`` and ``end`` (the future part)
    and a 30-day increase of each metric equals the ground truth (every sample is in).

    Within 1e-12 relative: VictoriaMetrics stores values as decimals, so a histogram's
    ``_sum`` (many significant digits) comes back rounded; integer counts stay exact."""
    history = server.history
    expected_series = len(history.series) + len(history.gauges)
    checks: list[tuple[str, float, float]] = [
        ('count({__name__=~".+"})', t, expected_series)
        for t in (history.start, history.now, history.end)
    ]
    for name in sorted({s.name for s in history.series}):
        want = history.increase(name, None, history.end, 30 * DAY)
        checks.append((f"sum(increase({name}[30d]))", history.end, want))
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        failed = [
            (promql, t, want, got)
            for promql, t, want in checks
            if not _close(got := server.query_value(promql, time=t), want)
        ]
        if not failed:
            return
        if time.monotonic() > deadline:
            raise VictoriaSetupError(
                f"VictoriaMetrics does not serve the imported history within "
                f"{READY_TIMEOUT:.0f} s: (query, time, expected, got) = {failed[:3]}. "
                f"Its output:\n{server.log()}"
            )
        time.sleep(0.05)


def _close(got: float | None, want: float) -> bool:
    return got is not None and math.isclose(got, want, rel_tol=1e-12, abs_tol=0.0)


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[-2000:]
        raise VictoriaSetupError(f"POST {url} -> HTTP {exc.code}: {detail}") from exc


def _get(url: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[-2000:]
        raise VictoriaSetupError(f"GET {url} -> HTTP {exc.code}: {detail}") from exc


def _wait_healthy(server: VictoriaProcess) -> bool:
    """True once ``/health`` answers 200; False if the process died or time ran out."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return False


__all__ = [
    "FLAGS",
    "KIND",
    "VictoriaProcess",
    "VictoriaServer",
    "VictoriaSetupError",
    "api_get",
    "find_victoria_binary",
    "import_lines",
    "start_victoria_process",
    "start_victoria_server",
]
