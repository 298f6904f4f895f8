"""The scale rows: config load at N SLOs, the cycle's CPU outside the store, N SLOs in one process.

    python benchmarks/scale_run.py --load-sizes 10000 --process-sizes 50000

For every ``--load-sizes`` N: the benchmark's N SLOs written as YAML (block style, as
people write it), then ``config_load.py`` in a child process: cold load and compile,
a reload with one SLO changed, ``validate`` as a new process, and one cycle's CPU
outside the store on synthetic window counts (budget math, folding, rendering, gzip).

For every ``--process-sizes`` N: ``slo-exporter run`` with those N SLOs at a 60 s
interval, ``--data-dir``, and a cheap source instead of the benchmark's Prometheus:
``source: scrape`` on a static target in this process serving the same 400
``http_requests_total`` series (100 services, four codes) with counters that grow at
steady rates. Every SLO keeps its own selectors (``bench!="i"``), so the store holds
two streams per SLO. Measured: time to ``/readyz``, the cycles from the JSON log,
the exporter's CPU per cycle and RSS (steady and peak) from /proc, ``/metrics`` scraped
back to back with and without gzip while cycles run, the exposition's size.
The source is cheap on purpose: at 50,000 SLOs a Prometheus backfill of 100,000
selectors takes hours (the store's cold start, not this slice).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import exporter_run
import procstat
import prom
import synth
import yaml

HERE = Path(__file__).resolve().parent
INTERVAL = "60s"


def write_config(path: Path, slos: int, source: dict[str, Any] | None = None) -> Path:
    """The benchmark's ``slos`` SLOs as block YAML; with ``source``, scraped instead of
    read from a backend."""
    config = synth.exporter_config(slos, 100, "distinct", "http://127.0.0.1:9")
    config["evaluation"] = {"interval": INTERVAL}
    if source is not None:
        del config["backend"]
        config["source"] = source
    path.write_text(yaml.dump(config, Dumper=yaml.CSafeDumper, sort_keys=False, width=200))
    return path


def load_row(python: str, slos: int, workdir: Path) -> dict[str, Any]:
    """config_load.py's figures for ``slos`` SLOs (a child process, so its RSS is its own)."""
    config = write_config(workdir / f"scale-{slos}.yaml", slos)
    cmd = [python, str(HERE / "config_load.py"), str(config)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        return {"slos": slos, "error": done.stderr[-2000:]}
    result: dict[str, Any] = json.loads(done.stdout)
    result["config_bytes"] = config.stat().st_size
    return result


class Target:
    """A /metrics target serving the benchmark's 400 counters, growing at steady rates."""

    def __init__(self, port: int) -> None:
        self.started = time.time()
        self.rates = [
            (synth.service_name(s), code, (20 + 3.8 * s) / 60 * share)
            for s in range(100)
            for code, share in zip(synth.CODES, (0.95, 0.04, 0.007, 0.003), strict=True)
        ]
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = target.body()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/metrics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def body(self) -> bytes:
        elapsed = time.time() - self.started
        lines = ["# TYPE http_requests_total counter"]
        for service, code, rate in self.rates:
            value = int(1000 + rate * elapsed)
            lines.append(f'http_requests_total{{service="{service}",code="{code}"}} {value}')
        return ("\n".join(lines) + "\n").encode()

    def close(self) -> None:
        self.server.shutdown()


def process_row(
    python: str, slos: int, workdir: Path, limits: exporter_run.Limits, ports: list[int]
) -> dict[str, Any]:
    """``slos`` SLOs in one ``run`` process on a scraped source (see the module doc)."""
    target = Target(ports[0])
    config = write_config(
        workdir / f"scale-process-{slos}.yaml",
        slos,
        {"scrape": {"url": target.url, "interval": INTERVAL}},
    )
    store = workdir / f"scale-store-{slos}"
    subprocess.run(["rm", "-rf", str(store)], check=True)
    url = f"http://127.0.0.1:{ports[1]}"
    log_path = workdir / f"scale-process-{slos}.log"
    cmd = [python, "-m", "exporter", "--log-format", "json", "run", "-c", str(config)]
    cmd += ["--listen", f"127.0.0.1:{ports[1]}", "--data-dir", str(store)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    running = exporter_run.Exporter(process, url, exporter_run.LogTail(log_path), time.monotonic())
    result: dict[str, Any] = {"slos": slos, "source": "scrape (static target)"}
    try:
        _measure_process(running, limits, result)
    finally:
        running.stop()
        target.close()
        result["exit_code"] = process.returncode
        result["log_problems"] = [
            {k: v for k, v in e.items() if not k.startswith("_")}
            for e in running.log.events
            if e.get("level") in ("error", "critical")
        ][:5]
    return result


def _measure_process(
    running: exporter_run.Exporter, limits: exporter_run.Limits, result: dict[str, Any]
) -> None:
    pid = running.process.pid
    deadline = running.spawned + limits.ready_timeout
    while time.monotonic() < deadline and running.alive():
        if exporter_run._ready(running.url, timeout=10):
            break
        time.sleep(1)
    else:
        result["error"] = "not ready" if running.alive() else "exited"
        return
    result["ready_seconds"] = time.monotonic() - running.spawned
    result["rss_at_ready_bytes"] = procstat.usage(pid).rss_bytes
    steady_deadline = time.monotonic() + limits.steady_timeout
    exporter_run._wait_cycles(running, 1, steady_deadline)  # the first after ready
    before = procstat.usage(pid)
    cycles = exporter_run._wait_cycles(running, limits.cycles, steady_deadline)
    after = procstat.usage(pid)
    result["cycles"] = [exporter_run._cycle(e) for e in cycles]
    if cycles:
        result["exporter_cpu_seconds_per_cycle"] = (after.cpu_seconds - before.cpu_seconds) / len(
            cycles
        )
    result["metrics_gzip"] = exporter_run._scrape(running.url, limits, gzip=True)
    result["metrics_identity"] = exporter_run._scrape(running.url, limits, gzip=False)
    usage = procstat.usage(pid)
    result["rss_bytes"] = usage.rss_bytes
    result["peak_rss_bytes"] = usage.peak_rss_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--load-sizes", default="10000", help="comma-separated; '' for none")
    parser.add_argument("--process-sizes", default="50000", help="comma-separated; '' for none")
    parser.add_argument("--workdir", type=Path, default=HERE / ".work")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument(
        "--ports", default="", help="two ports (target, exporter); default: free ones"
    )
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = scale_rows(args)
    text = json.dumps(results, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


def scale_rows(args: argparse.Namespace) -> dict[str, Any]:
    """Every load and process row ``args`` asks for (run.py calls this too)."""
    sizes = [int(s) for s in args.load_sizes.split(",") if s]
    results: dict[str, Any] = {"load": [load_row(args.python, n, args.workdir) for n in sizes]}
    limits = exporter_run.Limits(
        ready_timeout=3600, steady_timeout=1200, cycles=args.cycles, scrapes=args.scrapes
    )
    results["process"] = []
    for n in (int(s) for s in args.process_sizes.split(",") if s):
        ports = [int(p) for p in args.ports.split(",")] if args.ports else []
        ports = ports or [prom.free_port(), prom.free_port()]
        results["process"].append(process_row(args.python, n, args.workdir, limits, ports))
    return results


if __name__ == "__main__":
    sys.exit(main())
