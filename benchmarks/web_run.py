"""Latency of the status page and the JSON API at N SLOs while evaluation cycles run.

    PATH=$PWD/.cache/backends/usr/bin:$PATH .venv/bin/python benchmarks/web_run.py --slos 10000

The same synthetic history and Prometheus as ``run.py`` (same ``--workdir``: its TSDB is
reused), the exporter in store mode (``--data-dir``) at a 30 s interval, so that cycles
are short and one starts every 30 s. With ``--selectors shared`` (the default here) the
SLOs of a service share their selectors: the store keeps 200 streams and the backfill
takes minutes instead of hours; what a page costs depends on the number of SLOs, not on
their streams.

Once ``/readyz`` answers and one more cycle has run, one client (one keep-alive
connection, as a person's browser) requests the routes in turn, back to back, for
``--seconds`` or ``--rounds`` rounds: ``/``, ``/?page=50``, ``/slo/{name}``,
``/api/v1/slos``, ``/api/v1/slos/{name}`` and ``/healthz`` (the names drawn at random,
so no single SLO's page is warm). Each request is timed from sending to the last byte.
The first request of each route is reported apart (it may build what later ones reuse),
and so are the requests sent while a cycle ran (from the log's ``evaluated`` events:
each ends a cycle of ``duration_seconds``). Results: ``results/web-<UTC time>.json`` and
``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import exporter_run
import prom
import run
import synth

HERE = Path(__file__).resolve().parent
ROUTES = ("/", "/?page=50", "/slo/{name}", "/api/v1/slos", "/api/v1/slos/{name}", "/healthz")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--slos", type=int, default=10000, help="number of SLOs (default %(default)s)")
    p.add_argument("--selectors", choices=("distinct", "shared"), default="shared")
    p.add_argument("--services", type=int, default=100, help="services in the history")
    p.add_argument("--warm", type=int, default=100, help="as run.py (shares its TSDB)")
    p.add_argument("--python", default=sys.executable, help="Python with slo-exporter")
    p.add_argument("--workdir", type=Path, default=HERE / ".work")
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--future-hours", type=float, default=8.0, help="data past now")
    p.add_argument("--fresh-data", action="store_true", help="regenerate the TSDB")
    p.add_argument("--ready-timeout", type=float, default=3600.0, help="seconds to /readyz")
    p.add_argument("--seconds", type=float, default=240.0, help="bound of the measurement")
    p.add_argument("--rounds", type=int, default=200, help="rounds over the routes at most")
    p.add_argument("--label", default="", help="a word for the results file (e.g. before)")
    return p.parse_args(argv)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


class Client:
    """One keep-alive connection; ``get`` returns (status, seconds, body bytes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def get(self, path: str) -> tuple[int, float, int]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            return 0, time.perf_counter() - started, 0
        return response.status, time.perf_counter() - started, len(body)


def measure(client: Client, slos: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every request of the measurement: route, status, start (wall clock), seconds, bytes."""
    pick = random.Random(16)
    samples = []
    deadline = time.monotonic() + args.seconds
    for _ in range(args.rounds):
        if time.monotonic() > deadline:
            break
        for route in ROUTES:
            name = synth.slo_name(pick.randrange(slos))
            started = time.time()
            status, seconds, size = client.get(route.replace("{name}", name))
            samples.append(
                {"route": route, "status": status, "start": started, "seconds": seconds,
                 "bytes": size}
            )  # fmt: skip
    return samples


def _cycles(log: exporter_run.LogTail, since: float) -> list[tuple[float, float]]:
    """(start, end) in wall-clock time of each cycle that ended after ``since``, from the
    log's time stamps (the log is read only at the end)."""
    log.poll()
    out = []
    for e in log.named("evaluated"):
        end = dt.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp()
        if end > since:
            out.append((end - float(e["duration_seconds"]), end))
    return out


def summarise(samples: list[dict[str, Any]], cycles: list[tuple[float, float]]) -> dict[str, Any]:
    """p50/p99/max per route: all requests after the first, and those sent during a cycle."""
    out: dict[str, Any] = {}
    for route in ROUTES:
        mine = [s for s in samples if s["route"] == route]
        if not mine:
            continue
        rest = [s["seconds"] for s in mine[1:]]
        during = [s["seconds"] for s in mine[1:] if any(a <= s["start"] <= b for a, b in cycles)]
        out[route] = {
            "requests": len(mine),
            "errors": sum(1 for s in mine if s["status"] != 200),
            "first_ms": _ms(mine[0]["seconds"]),
            "p50_ms": _ms(_percentile(rest, 0.5)),
            "p99_ms": _ms(_percentile(rest, 0.99)),
            "max_ms": _ms(max(rest) if rest else None),
            "during_cycle": len(during),
            "during_cycle_p50_ms": _ms(_percentile(during, 0.5)),
            "during_cycle_p99_ms": _ms(_percentile(during, 0.99)),
            "bytes": mine[-1]["bytes"],
        }
    return out


def start_exporter(args: argparse.Namespace, config: Path) -> exporter_run.Exporter:
    port = prom.free_port()
    log_path = args.workdir / f"exporter-web-{args.slos}.log"
    store = args.workdir / f"store-web-{args.slos}-{args.selectors}"
    shutil.rmtree(store, ignore_errors=True)
    cmd = [args.python, "-m", "exporter", "--log-format", "json", "run", "-c", str(config),
           "--listen", f"127.0.0.1:{port}", "--data-dir", str(store)]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=args.workdir
        )
    return exporter_run.Exporter(
        process, f"http://127.0.0.1:{port}", exporter_run.LogTail(log_path), time.monotonic()
    )


def bench(args: argparse.Namespace, server: prom.Prometheus, results: dict[str, Any]) -> None:
    config = args.workdir / f"slos-web-{args.slos}.yaml"
    synth.write_json(config, synth.exporter_config(args.slos, args.services, args.selectors,
                                                    server.url))  # fmt: skip
    exporter = start_exporter(args, config)
    try:
        deadline = exporter.spawned + args.ready_timeout
        while not exporter_run._ready(exporter.url) and exporter.alive():
            if time.monotonic() > deadline:
                results["error"] = f"not ready within {args.ready_timeout:.0f} s"
                return
            time.sleep(1.0)
        results["ready_seconds"] = round(time.monotonic() - exporter.spawned, 1)
        exporter_run._wait_cycles(exporter, 1, time.monotonic() + 900)
        port = int(exporter.url.rsplit(":", 1)[1])
        began = time.time()
        samples = measure(Client(port), args.slos, args)
        cycles = _cycles(exporter.log, began)
        results["measured_seconds"] = round(time.time() - began, 1)
        results["cycles_during"] = [round(b - a, 2) for a, b in cycles]
        results["routes"] = summarise(samples, cycles)
    finally:
        exporter.stop()
        results["exit_code"] = exporter.process.returncode


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Status page and API latency at {results['slos']:,} SLOs ({results['started']})",
        "",
        f"Machine: {run.report.machine_line(results['machine'])}; load average "
        f"{results['load_before']} before, {results['load_after']} after (shared machine).",
        f"Cycles during the measurement (s): {results.get('cycles_during')}",
        "",
        "| route | requests | first ms | p50 ms | p99 ms | max ms | during a cycle: n, p50, p99 ms"
        " | bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for route, r in results.get("routes", {}).items():
        lines.append(
            f"| `{route}` | {r['requests']} | {r['first_ms']} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r['max_ms']} | {r['during_cycle']}, {r['during_cycle_p50_ms']}, "
            f"{r['during_cycle_p99_ms']} | {r['bytes']:,} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if run.lock_workdir(args.workdir) is None:
        return 1
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {
        "started": stamp,
        "slos": args.slos,
        "selectors": args.selectors,
        "machine": run.machine(args.python),
        "load_before": [round(x, 1) for x in os.getloadavg()],
    }
    spec, data_dir, _ = run.ensure_data(args)
    server = prom.Prometheus.start(data_dir, args.workdir)
    try:
        run.check_data(server, spec)
        bench(args, server, results)
    finally:
        server.stop()
    results["load_after"] = [round(x, 1) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"web-{stamp}" + (f"-{args.label}" if args.label else "")
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    text = markdown(results)
    (args.out / f"{name}.md").write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
