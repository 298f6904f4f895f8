"""Google's slo-generator on the same SLOs and the same Prometheus, in its own virtualenv."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import procstat
import prom
import synth

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REQUIREMENTS = ("slo-generator[prometheus]==2.6.0", "py-spy")


def ensure_venv() -> dict[str, Any]:
    """Create ``benchmarks/.venv`` with slo-generator and py-spy unless it is there already."""
    stamp = VENV / "benchmark-requirements.txt"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return {"reused": True}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return {"reused": False, "seconds": round(time.monotonic() - started, 1)}


def versions() -> dict[str, str]:
    code = (
        "import importlib.metadata as m; "
        "print(m.version('slo-generator'), m.version('prometheus-http-client'))"
    )
    out = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"slo_generator": out[0], "prometheus_http_client": out[1]}


def py_spy() -> Path | None:
    path = VENV / "bin" / "py-spy"
    return path if path.exists() else None


def measure(
    workdir: Path,
    prometheus: prom.Prometheus,
    slos: int,
    services: int,
    selectors: str,
    budget: float,
    ours_sli: dict[str, float] | None,
    windows: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    shared, configs = synth.slo_generator_configs(
        slos, services, selectors, prometheus.url, windows
    )
    shared_path = workdir / "slo-generator-shared.json"
    slos_path = workdir / f"slo-generator-slos-{slos}.json"
    out_path = workdir / f"slo-generator-result-{slos}.json"
    synth.write_json(shared_path, shared)
    synth.write_json(slos_path, configs)
    queries0, usage0 = prometheus.api_queries(), procstat.usage(prometheus.pid)
    cmd = [str(VENV / "bin" / "python"), str(HERE / "slo_generator_driver.py")]
    cmd += [str(shared_path), str(slos_path), str(out_path), "--budget", str(budget)]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=budget + 600)
    wall = time.monotonic() - started
    queries1, usage1 = prometheus.api_queries(), procstat.usage(prometheus.pid)
    if proc.returncode != 0:
        return {"error": proc.stderr[-3000:]}
    data = json.loads(out_path.read_text(encoding="utf-8"))
    done = data["done"]
    result: dict[str, Any] = {
        "slos": slos,
        "done": done,
        "complete": done == slos,
        "elapsed_seconds": data["elapsed_seconds"],
        "process_wall_seconds": round(wall, 2),
        "per_slo_seconds": data["per_slo_seconds"],
        "round_seconds": (
            data["elapsed_seconds"] if done == slos else data["per_slo_seconds"] * slos
        ),
        "invalid_reports": data["invalid_reports"],
        "cpu_seconds": data["cpu_seconds"],
        "prometheus_queries": queries1 - queries0,
        "queries_per_slo": (queries1 - queries0) / done if done else None,
        "prometheus_cpu_seconds": usage1.cpu_seconds - usage0.cpu_seconds,
        "budget_seconds": budget,
    }
    theirs = data["sli_30d"]
    if ours_sli:
        diffs = [
            abs(theirs[name] - ours) / ours
            for name, ours in ours_sli.items()
            if name in theirs and ours
        ]
        if diffs:
            result["sli_30d_relative_difference"] = {
                "compared": len(diffs),
                "median": statistics.median(diffs),
                "max": max(diffs),
            }
    return result
