"""slo-exporter benchmark: one command, a real Prometheus with a month of synthetic history.

    .venv/bin/python benchmarks/run.py                       # 100, 1,000 and 10,000 SLOs
    .venv/bin/python benchmarks/run.py --sizes 100,1000      # the quick run

Run it with the Python that has slo-exporter installed (it starts ``python -m exporter``
with the same interpreter, or ``--python``). It needs ``prometheus`` and ``promtool``
(2.x) on PATH and creates its own virtualenv ``benchmarks/.venv`` for slo-generator and
py-spy. Everything listens on 127.0.0.1 and every phase has a time bound, so the run stops
by itself.

For each size N and each mode (query: every window is a query; store: ``--data-dir``) it
starts the exporter on N SLOs at a 30 s interval and measures cold start, steady-state
cycles, CPU, RSS, store size and ``/metrics`` latency (see ``exporter_run.py``); then it
times one round of slo-generator over the same N SLOs and the cost of the equivalent
native recording rules in Prometheus (``rules_run.py``). Last, without Prometheus, the
scale rows (``scale_run.py``): config load and the cycle's CPU outside the store at
``--load-sizes``, and ``--process-sizes`` SLOs in one process. Results go to
``benchmarks/results/<timestamp>.json`` and ``.md`` (and ``latest.*``); the synthetic
TSDB is kept in ``benchmarks/.work`` and reused while it still covers the run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import exporter_run
import goals
import goals_report
import procstat
import prom
import report
import rules_run
import scale_run
import slo_generator_run
import synth

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PERIOD = 30 * synth.DAY


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--sizes", default="100,1000,10000", help="numbers of SLOs (default %(default)s)"
    )
    p.add_argument("--modes", default="query,store", help="exporter modes (default %(default)s)")
    p.add_argument(
        "--selectors", choices=("distinct", "shared"), default="distinct",
        help="distinct: no two SLOs share a query (default); shared: SLOs of a service do",
    )  # fmt: skip
    p.add_argument("--services", type=int, default=100, help="services in the history")
    p.add_argument("--warm", type=int, default=100, help="SLOs with 30 days of step records")
    p.add_argument("--python", default=sys.executable, help="Python with slo-exporter")
    p.add_argument("--workdir", type=Path, default=HERE / ".work")
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--future-hours", type=float, default=8.0, help="data past now")
    p.add_argument("--fresh-data", action="store_true", help="regenerate the TSDB")
    p.add_argument("--cycles", type=int, default=3, help="steady cycles to measure")
    p.add_argument("--ready-timeout", type=float, default=5400.0, help="seconds to /readyz")
    p.add_argument("--steady-timeout", type=float, default=900.0, help="seconds for the cycles")
    p.add_argument("--scrapes", type=int, default=200, help="scrapes per /metrics loop")
    p.add_argument("--scrape-seconds", type=float, default=45.0, help="bound of each loop")
    p.add_argument("--profile-seconds", type=float, default=0.0, help="py-spy per exporter run")
    p.add_argument("--no-slo-generator", action="store_true")
    p.add_argument("--slo-generator-budget", type=float, default=300.0, help="seconds per size")
    p.add_argument("--no-rules", action="store_true")
    p.add_argument(
        "--keep-store",
        action="store_true",
        help="store mode: start on the store an earlier run left (a restart, not a cold start)",
    )
    p.add_argument("--rules-timeout", type=float, default=480.0)
    p.add_argument(
        "--load-sizes", default="10000",
        help="config load, compile and cycle CPU outside the store at these sizes (scale_run.py)",
    )  # fmt: skip
    p.add_argument(
        "--process-sizes", default="50000",
        help="SLOs in one process on a scraped source (scale_run.py); '' for none",
    )  # fmt: skip
    p.add_argument("--ports", default="", help=argparse.SUPPRESS)
    goals.add_arguments(p)
    return p.parse_args(argv)


# --------------------------------------------------------------------------- machine


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


def machine(python: str) -> dict[str, Any]:
    model, hypervisor = "?", ""
    with contextlib.suppress(OSError):
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("Hypervisor vendor:"):
                hypervisor = line.split(":", 1)[1].strip()
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = bool(_first_line(["git", "-C", str(REPO), "status", "--porcelain"]).strip("?"))
    return {
        "cpu_model": model + (f" ({hypervisor} VM)" if hypervisor else ""),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": _first_line([python, "-c", "import sys; print(sys.version.split()[0])"]),
        "prometheus": _first_line([prom.find_binary("prometheus", "PROMETHEUS_BIN"), "--version"]),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


# --------------------------------------------------------------------------- data


def _ulids(data_dir: Path) -> list[str]:
    if not data_dir.exists():
        return []
    return sorted(p.name for p in data_dir.iterdir() if p.is_dir() and len(p.name) == 26)


def ensure_data(args: argparse.Namespace) -> tuple[synth.DataSpec, Path, dict[str, Any]]:
    """The backfilled TSDB: reused when it matches and covers the run, else made anew.

    Reuse drops whatever an earlier run added (head, WAL, compacted rule output), so every
    run starts from the same blocks.
    """
    data_dir = args.workdir / "tsdb"
    meta_path = args.workdir / "tsdb.json"
    now = int(time.time())
    if meta_path.exists() and not args.fresh_data:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        spec = synth.DataSpec(**meta["spec"])
        fits = (
            spec.services == args.services
            and spec.warm == args.warm
            and spec.start <= now - PERIOD - 3600
            and spec.end >= now + 4 * 3600
            and set(meta["blocks"]) <= set(_ulids(data_dir))
        )
        if fits:
            for name in set(_ulids(data_dir)) - set(meta["blocks"]):
                shutil.rmtree(data_dir / name)
            for name in ("wal", "chunks_head", "wbl", "queries.active"):
                path = data_dir / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            return spec, data_dir, {**meta["timings"], "reused": True}
    shutil.rmtree(data_dir, ignore_errors=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    made_at = now // synth.STEP * synth.STEP
    spec = synth.DataSpec(
        services=args.services,
        start=made_at - PERIOD - 2 * synth.DAY,
        end=made_at + int(args.future_hours * 3600) // synth.STEP * synth.STEP,
        made_at=made_at,
        warm=args.warm,
    )
    openmetrics = args.workdir / "history.om.txt"
    started = time.monotonic()
    samples = synth.write_openmetrics(spec, openmetrics)
    timings: dict[str, Any] = {"write_openmetrics_seconds": round(time.monotonic() - started, 1)}
    timings["openmetrics_bytes"] = openmetrics.stat().st_size
    started = time.monotonic()
    prom.promtool_backfill(openmetrics, data_dir)
    timings["promtool_seconds"] = round(time.monotonic() - started, 1)
    openmetrics.unlink()
    timings["samples"] = samples
    timings["series"] = spec.services * len(synth.CODES) + 2 * spec.warm
    timings["tsdb_bytes"] = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    meta = {"spec": spec.to_json(), "blocks": _ulids(data_dir), "timings": timings}
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return spec, data_dir, {**timings, "reused": False}


def check_data(server: prom.Prometheus, spec: synth.DataSpec) -> None:
    now = time.time()
    got = server.query("count(http_requests_total)", now)["result"]
    want = spec.services * len(synth.CODES)
    if not got or float(got[0]["value"][1]) != want:
        raise prom.SetupError(f"Prometheus serves {got} raw series at now, expected {want}")
    if spec.warm:
        got = server.query('count({__name__=~"slo:.+_events:step_increase"})', spec.made_at)
        if not got["result"] or float(got["result"][0]["value"][1]) != 2 * spec.warm:
            raise prom.SetupError(f"warm step records not visible: {got}")


def store_available(python: str) -> bool:
    out = subprocess.run(
        [python, "-m", "exporter", "run", "--help"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return "--data-dir" in out


# --------------------------------------------------------------------------- main


def write_results(results: dict[str, Any], out_dir: Path, stamp: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1, default=str)
    markdown = goals_report.markdown(results) if "goals" in results else report.markdown(results)
    for name in (stamp, "latest"):
        (out_dir / f"{name}.json").write_text(text + "\n", encoding="utf-8")
        (out_dir / f"{name}.md").write_text(markdown, encoding="utf-8")
    return out_dir / f"{stamp}.md"


def lock_workdir(workdir: Path) -> int | None:
    """Hold ``workdir/benchmark.lock`` for the whole run; None when another run holds it.

    Two runs on one workdir would share (and delete) each other's TSDB, stores and logs.
    """
    fd = os.open(workdir / "benchmark.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 100).decode(errors="replace").strip() or "?"
        os.close(fd)
        print(
            f"{workdir} is in use by another benchmark run (pid {holder}); wait for it to "
            "finish or give this one its own --workdir (the TSDB is then made again)",
            file=sys.stderr,
        )
        return None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if lock_workdir(args.workdir) is None:
        return 1
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {
        "started": stamp,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(args.python),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "setup": {},
        "sizes": [],
    }
    if "store" in modes and not store_available(args.python):
        modes.remove("store")
        results["notes"] = ["store mode skipped: this slo-exporter has no run --data-dir"]
    if args.goals:
        sizes, args.load_sizes, args.process_sizes = [], "", ""
    need_venv = args.goals or not args.no_slo_generator or args.profile_seconds > 0
    if need_venv:
        _log("virtualenv benchmarks/.venv (slo-generator, py-spy)")
        results["setup"]["venv"] = slo_generator_run.ensure_venv()
        results["machine"].update(slo_generator_run.versions())
    _log("synthetic history")
    spec, data_dir, timings = ensure_data(args)
    results["setup"]["data"] = {**timings, "spec": spec.to_json()}
    started = time.monotonic()
    server = prom.Prometheus.start(data_dir, args.workdir)
    try:
        check_data(server, spec)
        results["setup"]["prometheus_startup_seconds"] = round(time.monotonic() - started, 1)
        results["setup"]["prometheus_rss_bytes"] = procstat.usage(server.pid).rss_bytes
        limits = exporter_run.Limits(
            ready_timeout=args.ready_timeout,
            steady_timeout=args.steady_timeout,
            cycles=args.cycles,
            scrapes=args.scrapes,
            scrape_seconds=args.scrape_seconds,
            profile_seconds=args.profile_seconds,
            py_spy=slo_generator_run.py_spy() if args.profile_seconds > 0 else None,
            keep_store=args.keep_store,
        )
        for n in sizes:
            entry = run_size(args, n, modes, spec, server, limits)
            results["sizes"].append(entry)
            path = write_results(results, args.out, stamp)
            _log(f"{n} SLOs done; results so far in {path}")
        if args.goals:

            def save(section: dict[str, Any]) -> None:
                results["goals"] = section
                write_results(results, args.out, stamp)

            results["goals"] = goals.measure(args, spec, server, save)
    finally:
        server.stop()
    if args.load_sizes or args.process_sizes:
        _log(f"scale rows: load {args.load_sizes or '-'}, process {args.process_sizes or '-'}")
        results["scale"] = scale_run.scale_rows(args)
    results["finished"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = write_results(results, args.out, stamp)
    print(path.read_text(encoding="utf-8"))
    _log(f"written {path} and {path.with_suffix('.json')}")
    return 0


def run_size(
    args: argparse.Namespace,
    n: int,
    modes: list[str],
    spec: synth.DataSpec,
    server: prom.Prometheus,
    limits: exporter_run.Limits,
) -> dict[str, Any]:
    config = args.workdir / f"slos-{n}.yaml"
    synth.write_json(config, synth.exporter_config(n, spec.services, args.selectors, server.url))
    entry: dict[str, Any] = {"slos": n, "selectors": args.selectors, "modes": {}}
    for mode in modes:
        _log(f"{n} SLOs: exporter, {mode} mode")
        entry["modes"][mode] = exporter_run.run_exporter(
            args.python, config, mode, args.workdir, server, n, limits, json.dumps(spec.to_json())
        )
    if not args.no_slo_generator:
        _log(f"{n} SLOs: slo-generator (budget {args.slo_generator_budget:.0f} s)")
        ours = next((m["final"]["sli_30d"] for m in entry["modes"].values() if "final" in m), None)
        entry["slo_generator"] = slo_generator_run.measure(
            args.workdir, server, n, spec.services, args.selectors, args.slo_generator_budget, ours
        )
    if not args.no_rules:
        _log(f"{n} SLOs: native recording rules in Prometheus")
        try:
            entry["rules"] = rules_run.measure(
                args.python, config, args.workdir, server, n, spec.warm, timeout=args.rules_timeout
            )
        except RuntimeError as err:
            entry["rules"] = {"error": str(err)}
    return entry


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
