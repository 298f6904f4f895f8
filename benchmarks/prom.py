"""The benchmark's Prometheus: backfill with promtool, start, reload rules, read its metrics.

Stdlib only. Everything listens on 127.0.0.1. The promtool flag and its reason are the
ones ``tests/prometheus_server.py`` documents: promtool 2.42 re-reads the whole input once
per output block, so blocks of 486 h (2 h x 3**5) keep a month to two or three passes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BLOCK_DURATION = "486h"
READY_TIMEOUT = 120.0


class SetupError(RuntimeError):
    """Prometheus or promtool is missing or failed."""


def find_binary(name: str, env_var: str) -> str:
    candidate = os.environ.get(env_var) or shutil.which(name)
    if not candidate:
        raise SetupError(f"{name} not found (set ${env_var} or install Debian's prometheus)")
    return candidate


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def promtool_backfill(openmetrics: Path, data_dir: Path) -> None:
    """Turn the OpenMetrics file into TSDB blocks in ``data_dir``."""
    promtool = find_binary("promtool", "PROMTOOL_BIN")
    cmd = [promtool, "tsdb", "create-blocks-from", "openmetrics"]
    cmd += [f"--max-block-duration={MAX_BLOCK_DURATION}", str(openmetrics), str(data_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise SetupError(f"promtool failed ({proc.returncode}): {proc.stderr[-3000:]}")


def http_get(url: str, timeout: float = 60.0, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Prometheus text exposition as (name, labels, value); enough for our own use."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            label_text, value_text = rest.rsplit("}", 1)
            labels = {}
            for part in _split_labels(label_text):
                key, _, value = part.partition("=")
                labels[key] = json.loads(value)
        else:
            name, value_text = line.split(" ", 1)
            labels = {}
        value = value_text.split()[0]
        out.append((name, labels, float(value)))
    return out


def _split_labels(text: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current))
    return [p for p in parts if p]


@dataclass
class Prometheus:
    """A running Prometheus on ``url``; ``config`` is rewritten to load or drop rules."""

    url: str
    config: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    query_log: Path | None = None
    """Prometheus' query log (``query_log_file``): every query with the samples it read."""

    @classmethod
    def start(cls, data_dir: Path, workdir: Path, *, query_log: bool = False) -> Prometheus:
        binary = find_binary("prometheus", "PROMETHEUS_BIN")
        config = workdir / "prometheus.yml"
        logged = workdir / "prometheus-queries.log" if query_log else None
        if logged is not None:
            logged.unlink(missing_ok=True)
        write_config(config, rule_files=[], query_log=logged)
        port = free_port()
        log_path = workdir / "prometheus.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={data_dir}",
                    "--storage.tsdb.retention.time=100y",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--web.enable-lifecycle",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
        server = cls(f"http://127.0.0.1:{port}", config, process, log_path, logged)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SetupError(f"Prometheus exited: {server.log_tail()}")
            with contextlib.suppress(OSError):
                http_get(server.url + "/-/ready", timeout=2)
                return server
            time.sleep(0.1)
        server.stop()
        raise SetupError(f"Prometheus not ready in {READY_TIMEOUT:.0f} s: {server.log_tail()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, limit: int = 4000) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-limit:]

    def query(self, promql: str, at: float | None = None) -> Any:
        params = {"query": promql}
        if at is not None:
            params["time"] = str(at)
        body = http_get(self.url + "/api/v1/query?" + urllib.parse.urlencode(params))
        payload = json.loads(body)
        if payload.get("status") != "success":
            raise SetupError(f"query {promql!r}: {payload}")
        return payload["data"]

    def metrics(self) -> list[tuple[str, dict[str, str], float]]:
        """Prometheus' own /metrics, parsed."""
        return parse_metrics(http_get(self.url + "/metrics").decode())

    def api_queries(self) -> float:
        """Instant and range queries Prometheus has answered so far (its own counter)."""
        total = 0.0
        for name, labels, value in self.metrics():
            if name == "prometheus_http_requests_total" and labels.get("handler") in (
                "/api/v1/query",
                "/api/v1/query_range",
            ):
                total += value
        return total

    def query_log_offset(self) -> int:
        """Where the query log ends now (0 without one): give it to :meth:`samples_read`."""
        if self.query_log is None or not self.query_log.exists():
            return 0
        return self.query_log.stat().st_size

    def samples_read(self, since: int) -> tuple[int, int]:
        """Queries logged after byte ``since`` and the samples they read (Prometheus'
        ``totalQueryableSamples``, what ``stats=all`` reports); (0, 0) without a log."""
        if self.query_log is None or not self.query_log.exists():
            return 0, 0
        queries = samples = 0
        with open(self.query_log, "rb") as log:
            log.seek(since)
            for line in log:
                entry = json.loads(line)
                queries += 1
                samples += entry.get("stats", {}).get("samples", {}).get("totalQueryableSamples", 0)
        return queries, samples

    def load_rules(self, rule_files: list[Path]) -> float:
        """Point the config at ``rule_files`` and reload; return the reload's seconds."""
        write_config(self.config, rule_files, query_log=self.query_log)
        started = time.monotonic()
        http_get(self.url + "/-/reload", timeout=600, data=b"")
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def write_config(path: Path, rule_files: list[Path], query_log: Path | None = None) -> None:
    lines = [
        "# Written by benchmarks/prom.py: no scrapes, the data comes from backfilled blocks.",
        "global:",
        "  evaluation_interval: 1m",
        *([f"  query_log_file: {json.dumps(str(query_log))}"] if query_log else []),
        "scrape_configs: []",
        "# The backfilled blocks reach hours past now, and Prometheus refuses samples older",
        '# than its newest block ("out of bounds") unless out-of-order ingestion is on:',
        "# without this, recording rules would compute and then discard every result.",
        "storage:",
        "  tsdb:",
        "    out_of_order_time_window: 30d",
    ]
    if rule_files:
        lines.append("rule_files:")
        lines.extend(f"  - {json.dumps(str(p))}" for p in rule_files)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
