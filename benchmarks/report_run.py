"""``slo-exporter report`` over 30 days for N SLOs against the benchmark Prometheus.

    PATH=$PWD/.cache/backends/usr/bin:$PATH .venv/bin/python benchmarks/report_run.py --sizes 1000

Uses the history and SLOs of ``run.py`` (same ``--workdir``, so the TSDB is reused): starts
Prometheus on it, writes the config of N SLOs and times ``slo-exporter report --last 30d
--format json`` as a subprocess (wall time, its CPU seconds and Prometheus'), then checks
the report has every SLO. Results: ``benchmarks/results/report-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import procstat
import prom
import run
import synth

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="1000", help="numbers of SLOs (default %(default)s)")
    p.add_argument("--last", default="30d", help="the report period (default %(default)s)")
    p.add_argument("--format", default="json", choices=("json", "md", "html"))
    p.add_argument("--python", default=sys.executable, help="Python with slo-exporter")
    p.add_argument("--workdir", type=Path, default=HERE / ".work")
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--services", type=int, default=100)
    p.add_argument("--warm", type=int, default=100)
    p.add_argument("--future-hours", type=float, default=8.0)
    p.add_argument("--fresh-data", action="store_true")
    p.add_argument("--selectors", choices=("distinct", "shared"), default="distinct")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per report")
    return p.parse_args(argv)


def measure(args: argparse.Namespace, n: int, server: prom.Prometheus) -> dict[str, Any]:
    """One report of ``n`` SLOs: wall and CPU seconds, size, SLOs and incidents found."""
    config = args.workdir / f"slos-{n}.yaml"
    synth.write_json(config, synth.exporter_config(n, args.services, args.selectors, server.url))
    output = args.workdir / f"report-{n}.{args.format}"
    command = [args.python, "-m", "exporter", "--log-format", "json", "report", "-c", str(config)]
    command += ["--last", args.last, "--format", args.format, "-o", str(output)]
    before_prom = procstat.usage(server.pid).cpu_seconds
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=args.timeout
    )
    wall = time.monotonic() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    entry: dict[str, Any] = {
        "slos": n,
        "period": args.last,
        "format": args.format,
        "exit_code": done.returncode,
        "wall_seconds": round(wall, 2),
        "report_cpu_seconds": round(
            after_children.ru_utime + after_children.ru_stime
            - before_children.ru_utime - before_children.ru_stime, 2
        ),
        "report_peak_rss_bytes": after_children.ru_maxrss * 1024,
        "prometheus_cpu_seconds": round(procstat.usage(server.pid).cpu_seconds - before_prom, 2),
    }  # fmt: skip
    if done.returncode != 0:
        entry["stderr"] = done.stderr[-2000:]
        return entry
    entry["output_bytes"] = output.stat().st_size
    if args.format == "json":
        document = json.loads(output.read_text(encoding="utf-8"))
        entry["slos_reported"] = len(document["slos"])
        entry["incidents"] = sum(len(s["incidents"]) for s in document["slos"])
    return entry


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if run.lock_workdir(args.workdir) is None:
        return 1
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {"started": stamp, "machine": run.machine(args.python), "runs": []}
    spec, data_dir, timings = run.ensure_data(args)
    results["data"] = {**timings, "spec": spec.to_json()}
    server = prom.Prometheus.start(data_dir, args.workdir)
    try:
        run.check_data(server, spec)
        for n in (int(s) for s in args.sizes.split(",") if s):
            entry = measure(args, n, server)
            results["runs"].append(entry)
            print(json.dumps(entry), flush=True)
    finally:
        server.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"report-{stamp}.json"
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"written {path}", file=sys.stderr)
    return 0 if all(r["exit_code"] == 0 for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
