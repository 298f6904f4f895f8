"""One-shot ``slo-exporter eval`` against slo-generator on the same SLOs and Prometheus.

    PATH=$PWD/.cache/backends/usr/bin:$PATH .venv/bin/python benchmarks/eval_run.py --sizes 100

Uses ``run.py``'s synthetic TSDB (same ``--workdir``, made if missing) and SLOs. For each
size it times, as processes (interpreter start, config load and all): ``slo-exporter eval
--format json`` on N SLOs x 8 windows (seven windows and the 30-day period), best of
``--rounds``; and one slo-generator round over the same N SLOs with an error budget policy
of ``--generator-windows`` steps (1h, 6h, 3d, 30d by default: a typical 4-step policy).
``--baseline SRC`` also times the ``exporter`` package found in the folder SRC (an older
checkout, put first on PYTHONPATH) for a before/after. Prometheus runs with its query log
on, so each side's samples read per round (``totalQueryableSamples``, summed over the
queries it sent) are reported beside its CPU: the profile of where the backend's time
goes. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import procstat
import prom
import run
import slo_generator_run
import synth

HERE = Path(__file__).resolve().parent
GENERATOR_WINDOWS = ("1h", "6h", "3d", "30d")


def time_eval(
    python: str, config: Path, rounds: int, source: Path | None, server: prom.Prometheus
) -> dict[str, Any]:
    """Best and every wall time of ``eval`` as a process; its CPU and Prometheus' per round
    (less moved by other load on the machine than wall time)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    walls = []
    out = ""
    logged = server.query_log_offset()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    backend = procstat.usage(server.pid).cpu_seconds
    for _ in range(rounds):
        started = time.monotonic()
        proc = subprocess.run(
            [python, "-m", "exporter", "--log-format", "json", "eval", "-c", str(config),
             "--format", "json"],
            capture_output=True, text=True, check=False, env=env, timeout=3600,
            cwd=config.parent,  # not the checkout: ``-m`` puts the cwd before PYTHONPATH
        )  # fmt: skip
        walls.append(round(time.monotonic() - started, 3))
        if proc.returncode != 0:
            return {"error": proc.stderr[-2000:], "walls": walls}
        out = proc.stdout
    document = json.loads(out)
    sli = {s["name"]: s["sli"] for s in document["slos"] if s.get("sli") is not None}
    failed = sum(1 for s in document["slos"] if "error" in s)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / rounds
    backend = (procstat.usage(server.pid).cpu_seconds - backend) / rounds
    queries, samples = server.samples_read(logged)
    return {
        "best_seconds": min(walls),
        "walls": walls,
        "failed": failed,
        "cpu_seconds": round(cpu, 3),
        "prometheus_cpu_seconds": round(backend, 3),
        "prometheus_queries_logged_per_round": queries / rounds,
        "prometheus_samples_read_per_round": samples / rounds,
        "sli": sli,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="100")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workdir", type=Path, default=HERE / ".work")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--baseline", type=Path, default=None, help="folder holding an older exporter/")
    p.add_argument("--generator-windows", default=",".join(GENERATOR_WINDOWS))
    p.add_argument("--generator-budget", type=float, default=600.0)
    args = p.parse_args(argv)
    defaults = run.parse_args(["--workdir", str(args.workdir)])
    defaults.workdir = defaults.workdir.resolve()
    defaults.workdir.mkdir(parents=True, exist_ok=True)
    if run.lock_workdir(defaults.workdir) is None:
        return 1
    slo_generator_run.ensure_venv()
    spec, data_dir, _ = run.ensure_data(defaults)
    server = prom.Prometheus.start(data_dir, defaults.workdir, query_log=True)
    results: dict[str, Any] = {"machine": run.machine(args.python), "sizes": []}
    windows = tuple(w for w in args.generator_windows.split(",") if w)
    try:
        run.check_data(server, spec)
        for n in (int(s) for s in args.sizes.split(",") if s):
            config = defaults.workdir / f"eval-slos-{n}.yaml"
            config.write_text(
                json.dumps(synth.exporter_config(n, spec.services, "distinct", server.url))
            )
            entry: dict[str, Any] = {"slos": n, "windows": 8, "generator_windows": len(windows)}
            queries = server.api_queries()
            entry["eval"] = time_eval(args.python, config, args.rounds, None, server)
            entry["eval"]["prometheus_queries_per_round"] = (
                server.api_queries() - queries
            ) / args.rounds
            if args.baseline is not None:
                entry["baseline"] = time_eval(
                    args.python, config, args.rounds, args.baseline, server
                )
            ours = entry["eval"].pop("sli", None)
            entry.get("baseline", {}).pop("sli", None)
            logged = server.query_log_offset()
            entry["slo_generator"] = slo_generator_run.measure(
                defaults.workdir, server, n, spec.services, "distinct", args.generator_budget,
                ours, windows=windows,
            )  # fmt: skip
            queries, samples = server.samples_read(logged)
            entry["slo_generator"]["prometheus_queries_logged"] = queries
            entry["slo_generator"]["prometheus_samples_read"] = samples
            theirs = entry["slo_generator"].get("process_wall_seconds")
            if theirs and "best_seconds" in entry["eval"]:
                entry["ratio_generator_over_eval"] = round(
                    theirs / entry["eval"]["best_seconds"], 2
                )
            results["sizes"].append(entry)
    finally:
        server.stop()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
