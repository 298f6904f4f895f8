"""Config load, compile and the cycle's CPU outside the store, for one config (a child process).

``python benchmarks/config_load.py CONFIG.yaml`` prints one JSON object:

- ``load`` / ``compile``: CPU and wall seconds of :func:`load_config` and
  :func:`build_generation` from cold (selector parses forgotten), best of ``--repeat``;
- ``reload_one_changed``: load and compile again after one SLO's objective changed,
  with the previous generation (what the daemon's reload does);
- ``validate_seconds``: wall time of ``slo-exporter validate`` as a new process (imports
  included);
- ``cycle``: one evaluation's CPU outside the store, per step, on synthetic window
  counts (every window of every SLO, the same counts a store would hand over):
  the budget math (``domain.evaluate_slo``), folding the results into what ``/metrics``
  serves, rendering the text, compressing it once, and the self-metrics; the
  second cycle is measured (the first formats every label set once);
- ``rss_bytes``: the process' RSS with the config compiled and one exposition held.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from exporter.config.loader import load_config
from exporter.cycle_metrics import record_cycle
from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import evaluate_slo
from exporter.pipeline.cycle import EvaluationRun
from exporter.pipeline.generation import ConfigGeneration, build_generation
from exporter.promql.selectors import parse_selector
from exporter.selfmetrics import SelfMetrics
from exporter.serving import GZIP_LEVEL, ServedSLOs

_T = TypeVar("_T")


def timed(work: Callable[[], _T]) -> tuple[_T, float, float]:
    """``work()``, its CPU seconds and its wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = work()
    return value, time.process_time() - cpu, time.perf_counter() - wall


def measure_load(config: Path, repeat: int) -> tuple[ConfigGeneration, dict[str, Any]]:
    """Cold load and compile (best of ``repeat``), then a reload with one SLO changed."""
    best: dict[str, Any] = {}
    generation = None
    for _ in range(repeat):
        parse_selector.cache_clear()
        settings, load_cpu, load_wall = timed(lambda: load_config(config))
        generation, compile_cpu, compile_wall = timed(
            lambda settings=settings: build_generation(settings, None)
        )
        if not best or load_cpu + compile_cpu < best["load"]["cpu"] + best["compile"]["cpu"]:
            best = {
                "load": {"cpu": load_cpu, "wall": load_wall},
                "compile": {"cpu": compile_cpu, "wall": compile_wall},
            }
    assert generation is not None
    changed = config.with_name(config.stem + "-changed" + config.suffix)
    text = config.read_text(encoding="utf-8")
    changed.write_text(text.replace("objective: 99.0\n", "objective: 98.0\n", 1), "utf-8")
    previous = generation
    settings, load_cpu, _ = timed(lambda: load_config(changed))
    reloaded, compile_cpu, _ = timed(lambda: build_generation(settings, None, None, previous))
    kept = sum(a is b for a, b in zip(previous.slos, reloaded.slos, strict=True))
    best["reload_one_changed"] = {
        "load_cpu": load_cpu,
        "compile_cpu": compile_cpu,
        "recompiled": len(reloaded.slos) - kept,
    }
    changed.unlink()
    return generation, best


def synthetic_counts(generation: ConfigGeneration, at: float) -> dict[str, dict[int, WindowEvents]]:
    """Good and total events for every window of every SLO: a few per mille bad."""
    rng = random.Random(7)
    counts = {}
    for compiled in generation.slos:
        windows = compiled.slo.windows_at(at)
        rate = rng.uniform(20, 400) / 60
        bad = rng.uniform(0, 0.004)
        counts[compiled.name] = {
            w: WindowEvents(good=w * rate * (1 - bad), total=w * rate) for w in windows
        }
    return counts


def measure_cycle(generation: ConfigGeneration) -> tuple[ServedSLOs, dict[str, Any]]:
    """The CPU of one cycle outside counting, step by step (the second of two)."""
    served = ServedSLOs()
    served.apply(compiled.slo for compiled in generation.slos)
    metrics = SelfMetrics()
    steps: dict[str, Any] = {}
    for at in (1_800_000_000.0, 1_800_000_060.0):
        counts = synthetic_counts(generation, at)
        run = EvaluationRun(at=at)

        def evaluate(run: EvaluationRun = run, counts: Any = counts, at: float = at) -> None:
            for compiled in generation.slos:
                run.results[compiled.name] = evaluate_slo(compiled.slo, counts[compiled.name], at)

        _, evaluate_cpu, _ = timed(evaluate)
        _, fold_cpu, _ = timed(lambda run=run: served.fold(run, time.time()))
        entries = served.entries()
        text, render_cpu, _ = timed(lambda entries=entries: served._renderer.render(entries))
        packed, gzip_cpu, gzip_wall = timed(
            lambda text=text: gzip.compress(text, compresslevel=GZIP_LEVEL)
        )
        _, metrics_cpu, _ = timed(lambda run=run: record_cycle(metrics, run))
        steps = {
            "evaluate_cpu": evaluate_cpu,
            "fold_cpu": fold_cpu,
            "render_cpu": render_cpu,
            "gzip_cpu": gzip_cpu,
            "gzip_wall": gzip_wall,
            "self_metrics_cpu": metrics_cpu,
            "exposition_bytes": len(text),
            "exposition_gzip_bytes": len(packed),
            "series": text.count(b"\n") - 2 * text.count(b"# TYPE"),
        }
    steps["total_cpu"] = sum(v for k, v in steps.items() if k.endswith("_cpu"))
    return served, steps


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--repeat", type=int, default=2, help="cold loads; the best counts")
    parser.add_argument("--no-cycle", action="store_true", help="measure loading only")
    args = parser.parse_args(argv)
    log = Path(args.config).with_suffix(".log")
    with log.open("w") as sink:  # the self-metrics log each failed SLO; none fail here
        sys.stdout, stdout = sink, sys.stdout
        generation, result = measure_load(args.config, args.repeat)
        result["slos"] = len(generation.slos)
        if not args.no_cycle:
            _served, result["cycle"] = measure_cycle(generation)
        sys.stdout = stdout
    started = time.perf_counter()
    validate = [sys.executable, "-m", "exporter", "validate", "-c", str(args.config)]
    done = subprocess.run(validate, capture_output=True, text=True, check=False)
    result["validate_seconds"] = time.perf_counter() - started
    result["validate_output"] = (done.stdout or done.stderr).strip()[-300:]
    result["rss_bytes"] = rss_bytes()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
