"""Run ``slo-exporter run`` as a subprocess and measure it (query mode or store mode).

Phases, each bounded in time:

1. cold start: spawn, poll ``/readyz`` until 200 (the first cycle finished: in store
   mode it counts the SLOs by direct queries while the store fills behind);
2. steady state: in store mode wait for the backfill to finish (``store_filled_seconds``)
   and skip the cycle after it (it reads the gap the backfill left), then measure
   ``cycles`` cycles from the JSON log's ``evaluated`` events: wall time and queries of
   each, the exporter's CPU seconds (/proc/PID/stat) and Prometheus' CPU seconds and
   answered queries over them;
3. ``/metrics`` latency: a second process scrapes back to back on 127.0.0.1 while cycles
   go on, once without and once with ``Accept-Encoding: gzip`` (what Prometheus sends);
4. optionally a py-spy profile; then the self-metrics, store size and peak RSS.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import procstat
import prom

HERE = Path(__file__).resolve().parent
LONG_CYCLE = 120.0
"""Seconds: when the cycle that made the exporter ready took longer, measure one more only."""


@dataclass
class Limits:
    """Time bounds and counts of one exporter run."""

    ready_timeout: float = 1800.0
    steady_timeout: float = 900.0
    cycles: int = 3
    scrapes: int = 200
    scrape_seconds: float = 45.0
    profile_seconds: float = 0.0
    py_spy: Path | None = None
    keep_store: bool = False
    """Start store mode on the store an earlier run left (a restart, not a cold start)."""
    ready_only: bool = False
    """Stop once ``/readyz`` is 200 (the cold start is all that is measured)."""


@functools.cache
def no_store_flag(python: str) -> bool:
    """Whether that slo-exporter's ``run`` keeps a store unless told ``--no-store`` (releases
    before 0.2 query every window unless given ``--data-dir``)."""
    out = subprocess.run(
        [python, "-m", "exporter", "run", "--help"], capture_output=True, text=True, check=False
    ).stdout
    return "--no-store" in out


class LogTail:
    """Follows the exporter's JSON log; keeps every event with the time it was seen."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
        self._partial = ""
        self.events: list[dict[str, Any]] = []
        self.other: list[str] = []

    def poll(self) -> list[dict[str, Any]]:
        new = []
        chunk = self._file.read()
        if not chunk:
            return new
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                self.other.append(line)
                continue
            event["_seen"] = time.monotonic()
            self.events.append(event)
            new.append(event)
        return new

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == name]

    def close(self) -> None:
        self._file.close()


@dataclass
class Exporter:
    process: subprocess.Popen[bytes]
    url: str
    log: LogTail
    spawned: float
    errors: list[str] = field(default_factory=list)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _ready(url: str, timeout: float = 30.0) -> bool:
    try:
        prom.http_get(url + "/readyz", timeout=timeout)
    except (urllib.error.URLError, OSError):
        return False
    return True


def _wait_cycles(exporter: Exporter, count: int, deadline: float) -> list[dict[str, Any]]:
    """Wait for ``count`` more ``evaluated`` events (fewer if the deadline passes)."""
    got: list[dict[str, Any]] = []
    while len(got) < count and time.monotonic() < deadline and exporter.alive():
        got.extend(e for e in exporter.log.poll() if e.get("event") == "evaluated")
        if len(got) < count:
            time.sleep(0.05)
    return got[:count] if len(got) >= count else got


def _wait_filled(exporter: Exporter, deadline: float) -> list[dict[str, Any]]:
    """Wait for the first ``history_fill_done``; the ``evaluated`` events meanwhile."""
    got: list[dict[str, Any]] = []
    while not exporter.log.named("history_fill_done") and time.monotonic() < deadline:
        if not exporter.alive():
            break
        got.extend(e for e in exporter.log.poll() if e.get("event") == "evaluated")
        time.sleep(0.05)
    return got


def _direct_slos(url: str) -> float:
    """SLOs the last cycle counted with direct queries (0 for releases without the metric)."""
    try:
        body = prom.http_get(url + "/metrics", timeout=120).decode()
    except (urllib.error.URLError, OSError):
        return 0.0
    wanted = [line for line in body.splitlines() if line.startswith("slo_exporter_cycle_slos{")]
    for name, labels, value in prom.parse_metrics("\n".join(wanted)):
        if name == "slo_exporter_cycle_slos" and labels.get("path") == "direct":
            return value
    return 0.0


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def _scrape(url: str, limits: Limits, gzip: bool) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "scrape_loop.py"), url + "/metrics"]
    cmd += ["--count", str(limits.scrapes), "--seconds", str(limits.scrape_seconds)]
    if gzip:
        cmd.append("--gzip")
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, timeout=limits.scrape_seconds + 300
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    data = json.loads(proc.stdout)
    latencies = data["latencies"]
    return {
        "scrapes": len(latencies),
        "errors": data["errors"],
        "p50_ms": _ms(_percentile(latencies, 0.50)),
        "p99_ms": _ms(_percentile(latencies, 0.99)),
        "max_ms": _ms(max(latencies) if latencies else None),
        "body_bytes": statistics.median(data["bytes"]) if data["bytes"] else None,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _profile(pid: int, limits: Limits, out: Path) -> dict[str, Any]:
    """py-spy for ``profile_seconds``: a speedscope file and the top functions by own time."""
    if limits.py_spy is None or limits.profile_seconds <= 0:
        return {}
    raw = out.with_suffix(".txt")
    cmd = [str(limits.py_spy), "record", "-p", str(pid), "-d", str(int(limits.profile_seconds))]
    cmd += ["-r", "50", "--nonblocking", "-f", "raw", "-o", str(raw)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, timeout=limits.profile_seconds + 120
    )
    if proc.returncode != 0 or not raw.exists():
        return {"error": (proc.stderr or proc.stdout)[-2000:]}
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count

    def top(table: dict[str, int]) -> list[tuple[str, float]]:
        ranked = sorted(table.items(), key=lambda kv: -kv[1])[:15]
        return [(name, round(count / total, 3)) for name, count in ranked]

    return {"samples": total, "file": str(raw), "own": top(own), "inclusive": top(inclusive)}


def _self_metrics(url: str) -> dict[str, Any]:
    """The exporter's slo_exporter_* series (the SLO series are skipped: they are many)."""
    body = prom.http_get(url + "/metrics", timeout=120).decode()
    wanted = [line for line in body.splitlines() if line.startswith("slo_exporter_")]
    wanted = [line for line in wanted if "last_successful_evaluation" not in line]
    out: dict[str, float] = {}
    for name, labels, value in prom.parse_metrics("\n".join(wanted)):
        if name.endswith("_bucket"):
            continue
        key = name + ("{" + ",".join(f"{k}={v}" for k, v in labels.items()) + "}" if labels else "")
        out[key] = value
    sli = {}
    for line in body.splitlines():
        if line.startswith("slo_sli_ratio{") and 'window="30d"' in line:
            for name_, labels, value in prom.parse_metrics(line):
                if name_ == "slo_sli_ratio":
                    sli[labels["slo"]] = value
    return {"self": out, "sli_30d": sli, "series": body.count("\n")}


def run_exporter(
    python: str,
    config: Path,
    mode: str,
    workdir: Path,
    prometheus: prom.Prometheus,
    slos: int,
    limits: Limits,
    data_stamp: str = "",
) -> dict[str, Any]:
    """One mode at one size; every number the benchmark reports about our daemon.

    ``data_stamp`` names the synthetic history in Prometheus: with ``--keep-store`` a
    store is reused only when it was filled from that same history (the history is
    placed around the moment it was made, so a store filled from an earlier one holds
    other numbers).
    """
    port = prom.free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / f"exporter-{mode}-{slos}.log"
    cmd = [python, "-m", "exporter", "--log-format", "json", "run", "-c", str(config)]
    cmd += ["--listen", f"127.0.0.1:{port}"]
    store_dir = workdir / f"store-{slos}"
    stamp_path = workdir / f"store-{slos}.data"
    filled_from = stamp_path.read_text(encoding="utf-8") if stamp_path.exists() else None
    kept = mode == "store" and limits.keep_store and store_dir.exists()
    reused = kept and filled_from == data_stamp
    if mode == "store":
        if not reused:
            shutil.rmtree(store_dir, ignore_errors=True)
            stamp_path.write_text(data_stamp, encoding="utf-8")
        cmd += ["--data-dir", str(store_dir)]
    elif no_store_flag(python):
        cmd += ["--no-store"]
    result: dict[str, Any] = {"mode": mode, "slos": slos, "command": " ".join(cmd)}
    result["store_reused"] = reused
    if kept and not reused:
        result["store_dropped"] = "it was filled from another synthetic history"
    queries_before = prometheus.api_queries()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
        )
    exporter = Exporter(process, url, LogTail(log_path), time.monotonic())
    try:
        _measure(exporter, prometheus, mode, slos, limits, result, workdir)
        result["prometheus_queries_total_run"] = prometheus.api_queries() - queries_before
        if mode == "store" and store_dir.exists():
            size = sum(p.stat().st_size for p in store_dir.iterdir() if p.is_file())
            result["store_bytes"] = size
            result["store_bytes_per_slo"] = size / slos
    finally:
        exporter.stop()
        result["exit_code"] = exporter.process.returncode
        problems = [
            e
            for e in exporter.log.events
            if e.get("level") in ("error", "warning", "critical")
            and e.get("event") != "slo_evaluation_failed"
        ]
        failed = exporter.log.named("slo_evaluation_failed")
        result["log_problems"] = [_strip(e) for e in problems[:5]]
        result["slo_evaluation_failures"] = len(failed)
        if failed:
            result["first_failure"] = _strip(failed[0])
    return result


def _strip(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if not k.startswith("_")}


def _measure(
    exporter: Exporter,
    prometheus: prom.Prometheus,
    mode: str,
    slos: int,
    limits: Limits,
    result: dict[str, Any],
    workdir: Path,
) -> None:
    if not _cold_start(exporter, limits, result) or limits.ready_only:
        return
    wall = _steady(exporter, prometheus, mode, slos, limits, result)
    if not exporter.alive():
        result["error"] = f"exited with {exporter.process.returncode}"
        return
    result["metrics_identity"] = _scrape(exporter.url, limits, gzip=False)
    result["metrics_gzip"] = _scrape(exporter.url, limits, gzip=True)
    exporter.log.poll()
    result["cycles_during_scrapes"] = [
        _cycle(e) for e in exporter.log.named("evaluated") if e["_seen"] > wall
    ]
    pid = exporter.process.pid
    result["profile"] = _profile(pid, limits, workdir / f"profile-{mode}-{slos}")
    with contextlib.suppress(OSError, ValueError):
        result["final"] = _self_metrics(exporter.url)
    usage = procstat.usage(pid)
    result["peak_rss_bytes"] = usage.peak_rss_bytes
    result["final_rss_bytes"] = usage.rss_bytes


def _cold_start(exporter: Exporter, limits: Limits, result: dict[str, Any]) -> bool:
    """Wait for /readyz; False (with ``result["error"]``) when it never came."""
    deadline = exporter.spawned + limits.ready_timeout
    probes: list[float] = []
    while time.monotonic() < deadline and exporter.alive():
        asked = time.perf_counter()
        ready = _ready(exporter.url)
        probes.append(time.perf_counter() - asked)
        if ready:
            break
        exporter.log.poll()
        time.sleep(0.2)
    exporter.log.poll()
    # /readyz answers from memory: its latency while the first cycle (or the backfill)
    # runs shows how long the event loop is blocked at a time.
    result["readyz_during_cold_start"] = {
        "probes": len(probes),
        "p50_ms": _ms(_percentile(probes, 0.5)),
        "p99_ms": _ms(_percentile(probes, 0.99)),
        "max_ms": _ms(max(probes) if probes else None),
    }
    if not exporter.alive():
        result["error"] = f"exited with {exporter.process.returncode} before ready"
        return False
    if not _ready(exporter.url):
        result["error"] = f"not ready within {limits.ready_timeout:.0f} s"
        result["cycles_before_timeout"] = len(exporter.log.named("evaluated"))
        progress = exporter.log.named("history_fill_progress")
        if progress:
            result["backfill_progress"] = _strip(progress[-1])
        return False
    result["cold_start_seconds"] = round(time.monotonic() - exporter.spawned, 2)
    started = exporter.log.named("started")
    if started:
        result["config_load_seconds"] = round(started[0]["_seen"] - exporter.spawned, 2)
    fills = exporter.log.named("history_fill_done")
    if fills:
        result["backfill"] = _strip(fills[0])
    result["cycles_until_ready"] = [_cycle(e) for e in exporter.log.named("evaluated")]
    result["cold_usage"] = procstat.usage(exporter.process.pid).__dict__
    return True


def _steady(
    exporter: Exporter,
    prometheus: prom.Prometheus,
    mode: str,
    slos: int,
    limits: Limits,
    result: dict[str, Any],
) -> float:
    """Measure the steady cycles; returns the time the measurement ended."""
    pid = exporter.process.pid
    deadline = time.monotonic() + limits.steady_timeout
    first = exporter.log.named("evaluated")
    wanted = limits.cycles
    if first and first[-1]["duration_seconds"] > LONG_CYCLE:
        wanted = 1  # every cycle is alike and long: one more is enough to measure
    if mode == "store":
        # Ready after the first cycle, the store filling behind: the cycles until the fill
        # is done count directly; the one after it reads the gap the fill took.
        warmup = _wait_filled(exporter, deadline)
        if exporter.log.named("history_fill_done"):
            done = exporter.log.named("history_fill_done")[0]["_seen"]
            result["store_filled_seconds"] = round(done - exporter.spawned, 2)
        warmup += _wait_cycles(exporter, 1, deadline)
        # After the fill each SLO still counts directly until the store covers its T (the
        # gap the fill took is read by the next cycles): steady means no SLO counted so.
        while _direct_slos(exporter.url) and time.monotonic() < deadline and exporter.alive():
            warmup += _wait_cycles(exporter, 1, deadline)
        took_over = exporter.log.named("evaluated")
        if took_over:
            result["store_took_over_seconds"] = round(took_over[-1]["_seen"] - exporter.spawned, 2)
        result["warmup_cycles"] = [_cycle(e) for e in warmup]
    cpu0, prom0 = procstat.usage(pid), procstat.usage(prometheus.pid)
    queries0, busy0 = prometheus.api_queries(), procstat.system_busy_seconds()
    cycles = _wait_cycles(exporter, wanted, deadline)
    cpu1, prom1 = procstat.usage(pid), procstat.usage(prometheus.pid)
    busy1 = procstat.system_busy_seconds()
    queries1, wall = prometheus.api_queries(), time.monotonic()
    result["cycles"] = [_cycle(e) for e in cycles]
    if not cycles:
        result["error"] = f"no steady cycle within {limits.steady_timeout:.0f} s"
        return wall
    n = len(cycles)
    durations = [e["duration_seconds"] for e in cycles]
    queries = statistics.mean(e["queries"] for e in cycles)
    result["steady"] = {
        "cycles": n,
        "cycle_seconds_median": statistics.median(durations),
        "cycle_seconds_max": max(durations),
        "queries_per_cycle": queries,
        "queries_per_slo_per_cycle": queries / slos,
        "prometheus_queries_per_cycle": (queries1 - queries0) / n,
        "exporter_cpu_seconds_per_cycle": (cpu1.cpu_seconds - cpu0.cpu_seconds) / n,
        "prometheus_cpu_seconds_per_cycle": (prom1.cpu_seconds - prom0.cpu_seconds) / n,
        "machine_cpu_seconds_per_cycle": (busy1 - busy0) / n,
        "rss_bytes": cpu1.rss_bytes,
        "failed_slos_last_cycle": cycles[-1].get("failed"),
    }
    return wall


def _cycle(event: dict[str, Any]) -> dict[str, Any]:
    keys = ("at", "slos", "failed", "queries", "duration_seconds")
    return {k: event.get(k) for k in keys}
