"""Issue 17's table, every row in one run, for this release and the previous one.

    PATH=$PWD/.cache/backends/usr/bin:$PATH .venv/bin/python benchmarks/run.py --goals

``run.py --goals`` measures, on one Prometheus holding the synthetic month (``synth.py``)
and on the same machine, each row of the performance table for two releases: this one
(the interpreter given by ``--python``) and the previous one (``--previous``, a commit
installed by :func:`previous_python` into a virtualenv of its own under the workdir, from
``git archive``: nothing of it is kept in the repository). The rows:

1. ``run`` as a user starts it (no mode flag: this release keeps a store, the previous one
   queries every window), 1,000 SLOs: steady cycle and Prometheus CPU per cycle;
2. first exact numbers on ``/metrics`` (``/readyz`` 200) with an empty store, 10,000 SLOs
   (bounded by ``--goals-ready-timeout``; a release still not ready is reported as such);
3. the same at 1,000 SLOs (this release: row 1's run; the previous one: a run with
   ``--data-dir``, as its users had to ask for the store);
4. store on disk per SLO once filled, 1,000 SLOs;
5. config load of 10,000 SLOs (block YAML): ``load_config`` and, where the release has
   it, compiling the queries (``build_generation``), CPU in a fresh process without the
   imports, best of two; row 2's run also gives spawn to the ``started`` log line;
6. exporter CPU per steady cycle at 10,000 SLOs: one process on a scraped source (a
   Prometheus backfill of 20,000 selectors takes over half an hour; the scraped source
   fills nothing, so every cycle is a steady one), ``scale_run.process_row``;
7. 50,000 SLOs in one process, the same way: ready, RSS, ``/metrics`` gzip p99;
8. one-shot ``eval`` of 100 SLOs x 8 windows (best of ``--goals-eval-rounds`` as a
   process) against one slo-generator round with a 4-step policy on the same Prometheus.

``goals_report.py`` turns the result into the table (both releases and the goal side by
side) that the README shows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import eval_run
import exporter_run
import prom
import scale_run
import slo_generator_run
import synth

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PREVIOUS = "e792ddf"
"""The previous release (0.1.0, 2026-11-27): the commit its benchmark figures came from."""
EVAL_SLOS = 100
GENERATOR_WINDOWS = ("1h", "6h", "3d", "30d")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``run.py``'s ``--goals`` options."""
    p.add_argument("--goals", action="store_true", help="measure issue 17's table (goals.py)")
    p.add_argument("--previous", default=PREVIOUS, help="previous release's commit ('' none)")
    p.add_argument(
        "--goals-releases", default="previous,this",
        help="which releases to measure, in order (default %(default)s)",
    )  # fmt: skip
    p.add_argument("--goals-ready-timeout", type=float, default=600.0, help="10k /readyz bound")
    p.add_argument("--goals-small", type=int, default=1000, help="SLOs of rows 1, 3, 4")
    p.add_argument("--goals-large", type=int, default=10000, help="SLOs of rows 2, 5, 6")
    p.add_argument("--goals-process", type=int, default=50000, help="SLOs of row 7 (0: none)")
    p.add_argument("--goals-eval-rounds", type=int, default=5)


def previous_python(workdir: Path, commit: str) -> str:
    """The interpreter of a virtualenv holding slo-exporter at ``commit`` (made once)."""
    home = workdir / f"previous-{commit}"
    python = home / "venv" / "bin" / "python"
    if python.exists():
        return str(python)
    src = home / "src"
    src.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, str(src)], check=True)
    return str(python)


LOAD_SCRIPT = """
import json, sys, time
from exporter.config.loader import load_config
try:
    from exporter.pipeline.generation import build_generation
except ImportError:  # releases that compiled each SLO's queries every cycle
    build_generation = None
cpu = time.process_time()
settings = load_config(sys.argv[1])
load = time.process_time() - cpu
compile_cpu = None
if build_generation is not None:
    cpu = time.process_time()
    build_generation(settings, None)
    compile_cpu = time.process_time() - cpu
print(json.dumps({"load_cpu": load, "compile_cpu": compile_cpu}))
"""


def config_load(python: str, workdir: Path, n: int, rounds: int = 2) -> dict[str, Any]:
    """CPU seconds of loading (and, where the release has it, compiling) ``n`` SLOs as
    block YAML in a fresh process, imports excluded; the best of ``rounds``."""
    config = scale_run.write_config(workdir / f"goals-load-{n}.yaml", n)
    best: dict[str, Any] = {}
    for _ in range(rounds):
        done = subprocess.run(
            [python, "-c", LOAD_SCRIPT, str(config)],
            capture_output=True, text=True, check=False, cwd=workdir, timeout=1800,
        )  # fmt: skip
        if done.returncode != 0:
            return {"error": done.stderr[-2000:]}
        got = json.loads(done.stdout)
        total = got["load_cpu"] + (got["compile_cpu"] or 0.0)
        if not best or total < best["total_cpu"]:
            best = {**got, "total_cpu": total}
    return best


def _config(workdir: Path, n: int, spec: synth.DataSpec, server: prom.Prometheus) -> Path:
    path = workdir / f"goals-slos-{n}.yaml"
    synth.write_json(path, synth.exporter_config(n, spec.services, "distinct", server.url))
    return path


def _limits(args: argparse.Namespace, **changes: Any) -> exporter_run.Limits:
    base: dict[str, Any] = {
        "ready_timeout": args.ready_timeout,
        "steady_timeout": args.steady_timeout,
        "cycles": args.cycles,
        "scrapes": args.scrapes,
        "scrape_seconds": args.scrape_seconds,
    }
    return exporter_run.Limits(**{**base, **changes})


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] goals: {message}", file=sys.stderr, flush=True)


def measure_release(
    args: argparse.Namespace,
    release: str,
    python: str,
    spec: synth.DataSpec,
    server: prom.Prometheus,
) -> dict[str, Any]:
    """Every row for one release (see the module docstring)."""
    workdir = args.workdir / f"goals-{release}"
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = json.dumps(spec.to_json())
    small, large = args.goals_small, args.goals_large
    out: dict[str, Any] = {"python": python, "commit": _commit(python)}
    default_mode = "store" if exporter_run.no_store_flag(python) else "query"
    out["default_mode"] = default_mode
    _log(f"{release}: `run` with no mode flag ({default_mode}), {small} SLOs")
    out["default_small"] = exporter_run.run_exporter(
        python, _config(workdir, small, spec, server), default_mode, workdir, server, small,
        _limits(args), stamp,
    )  # fmt: skip
    if default_mode != "store":
        _log(f"{release}: store mode, {small} SLOs, until /readyz")
        out["store_small"] = exporter_run.run_exporter(
            python, _config(workdir, small, spec, server), "store", workdir, server, small,
            _limits(args, ready_only=True), stamp,
        )  # fmt: skip
    bound = args.goals_ready_timeout
    _log(f"{release}: store mode, {large} SLOs, until /readyz (at most {bound:.0f} s)")
    out["store_large"] = exporter_run.run_exporter(
        python, _config(workdir, large, spec, server), "store", workdir, server, large,
        _limits(args, ready_only=True, ready_timeout=args.goals_ready_timeout), stamp,
    )  # fmt: skip
    _log(f"{release}: config load, {large} SLOs")
    out["config_load_large"] = config_load(python, workdir, large)
    process_limits = _limits(args, ready_timeout=1800, steady_timeout=1200, scrapes=100)
    _log(f"{release}: {large} SLOs in one process on a scraped source")
    ports = [prom.free_port(), prom.free_port()]
    out["process_large"] = scale_run.process_row(python, large, workdir, process_limits, ports)
    if args.goals_process:
        _log(f"{release}: {args.goals_process} SLOs in one process on a scraped source")
        ports = [prom.free_port(), prom.free_port()]
        out["process_huge"] = scale_run.process_row(
            python, args.goals_process, workdir, process_limits, ports
        )
    _log(f"{release}: one-shot eval, {EVAL_SLOS} SLOs x 8 windows")
    config = _config(workdir, EVAL_SLOS, spec, server)
    queries = server.api_queries()
    with contextlib.chdir(workdir):  # `python -m exporter` must not find this checkout's
        out["eval"] = eval_run.time_eval(python, config, args.goals_eval_rounds, None, server)
    out["eval"]["prometheus_queries_per_round"] = (
        server.api_queries() - queries
    ) / args.goals_eval_rounds
    return out


def _commit(python: str) -> str:
    home = Path(python).parent.parent.parent
    if home.name.startswith("previous-"):
        return home.name.removeprefix("previous-")
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or "?"


def measure(
    args: argparse.Namespace,
    spec: synth.DataSpec,
    server: prom.Prometheus,
    save: Callable[[dict[str, Any]], object] = lambda _: None,
) -> dict[str, Any]:
    """The goals section of a results file: each release's rows, then slo-generator's;
    ``save`` is given the section after each release (a run stopped half-way keeps it)."""
    out: dict[str, Any] = {"releases": {}}
    for release in (r for r in args.goals_releases.split(",") if r):
        if release == "previous":
            if not args.previous:
                continue
            python = previous_python(args.workdir, args.previous)
        else:
            python = args.python
        out["releases"][release] = measure_release(args, release, python, spec, server)
        save(out)
    _log(f"slo-generator, {EVAL_SLOS} SLOs, {len(GENERATOR_WINDOWS)} windows")
    this = out["releases"].get("this", {}).get("eval", {})
    out["slo_generator"] = slo_generator_run.measure(
        args.workdir, server, EVAL_SLOS, spec.services, "distinct", 600.0, this.pop("sli", None),
        windows=GENERATOR_WINDOWS,
    )  # fmt: skip
    for release in out["releases"].values():
        release.get("eval", {}).pop("sli", None)
    return out
