"""What Prometheus pays to evaluate the native recording rules of the same SLOs.

``slo-exporter rules --mode native -c CONFIG`` writes one rule group per SLO (evaluated
every ``alerting.native_interval``, 60 s by default). The benchmark points the running
Prometheus at that file, reloads it, waits until every group has run ``rounds`` more times
after its first evaluation, and reads per group ``prometheus_rule_group_last_duration_seconds``
(wall time of the group's last evaluation), plus Prometheus' own CPU seconds over those
rounds. Then it unloads the rules again.

Groups of the first ``warm`` SLOs read 30 days of step records backfilled with the data
(see ``synth.py``); the others only what they recorded since the reload, so their window
sums are cheaper than after a month of running. The steady-state estimate is
``N x`` the warm groups' mean duration.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import procstat
import prom

_FALLBACK = """\
import argparse, sys
from pathlib import Path
from exporter.config.loader import load_config
from exporter.rules.command import cmd_rules
config, out = Path(sys.argv[1]), Path(sys.argv[2])
args = argparse.Namespace(config=config, mode="native", format="rules", output=out, name=None,
                          namespace=None, label=[], skip_unsupported=False)
sys.exit(cmd_rules(load_config(config), args))
"""


def generate(python: str, config: Path, out: Path) -> dict[str, Any]:
    """Write the native rules; through the CLI, or its module while the CLI lacks ``rules``."""
    started = time.monotonic()
    cmd = [python, "-m", "exporter", "rules", "--mode", "native", "-c", str(config)]
    cmd += ["-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=1800)
    how = "slo-exporter rules --mode native"
    if proc.returncode == 2 and "invalid choice: 'rules'" in proc.stderr:
        fallback = [python, "-c", _FALLBACK, str(config), str(out)]
        proc = subprocess.run(fallback, capture_output=True, text=True, check=False, timeout=1800)
        how = "exporter.rules.command.cmd_rules (the CLI had no `rules` command yet)"
    if proc.returncode != 0:
        raise RuntimeError(f"rule generation failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return {
        "generated_by": how,
        "generate_seconds": round(time.monotonic() - started, 2),
        "file_bytes": out.stat().st_size,
    }


def _groups(metrics: list[tuple[str, dict[str, str], float]], prefix: str) -> dict[str, dict]:
    out: dict[str, dict[str, float]] = {}
    for name, labels, value in metrics:
        group = labels.get("rule_group", "")
        if not group.startswith(prefix):
            continue
        out.setdefault(group.removeprefix(prefix), {})[name] = value
    return out


def measure(
    python: str,
    config: Path,
    workdir: Path,
    prometheus: prom.Prometheus,
    slos: int,
    warm: int,
    rounds: int = 2,
    timeout: float = 480.0,
) -> dict[str, Any]:
    rules = workdir / f"rules-{slos}.yml"
    result = generate(python, config, rules)
    prefix = f"{rules};"
    idle0, idle_t0 = procstat.usage(prometheus.pid), time.monotonic()
    time.sleep(10)
    idle1, idle_t1 = procstat.usage(prometheus.pid), time.monotonic()
    idle_per_minute = (idle1.cpu_seconds - idle0.cpu_seconds) / (idle_t1 - idle_t0) * 60
    result["prometheus_idle_cpu_seconds_per_minute"] = round(idle_per_minute, 3)
    log_offset = prometheus.log_path.stat().st_size
    result["reload_seconds"] = round(prometheus.load_rules([rules]), 2)
    loaded = time.monotonic()
    first: dict[str, float] | None = None
    start_usage, start_time = None, 0.0
    groups: dict[str, dict[str, float]] = {}
    try:
        while time.monotonic() - loaded < timeout:
            time.sleep(5)
            groups = _groups(prometheus.metrics(), prefix)
            iterations = {
                g: m.get("prometheus_rule_group_iterations_total", 0) for g, m in groups.items()
            }
            if len(iterations) < slos or min(iterations.values()) < 1:
                continue
            if first is None:
                first, start_usage = iterations, procstat.usage(prometheus.pid)
                start_time = time.monotonic()
                result["all_groups_running_after_seconds"] = round(start_time - loaded, 1)
                continue
            if all(iterations[g] >= first[g] + rounds for g in iterations):
                break
        end_usage, end_time = procstat.usage(prometheus.pid), time.monotonic()
    finally:
        prometheus.load_rules([])
    with open(prometheus.log_path, "rb") as log:
        log.seek(log_offset)
        result["discarded_results_logged"] = log.read().count(b"Rule evaluation result discarded")
    result["groups"] = len(groups)
    if first is None or start_usage is None:
        result["error"] = f"not every group evaluated within {timeout:.0f} s"
        return result
    durations = {
        g: m["prometheus_rule_group_last_duration_seconds"]
        for g, m in groups.items()
        if "prometheus_rule_group_last_duration_seconds" in m
    }
    warm_names = {f"slo-native-bench-{i:05d}" for i in range(min(warm, slos))}
    warm_d = [d for g, d in durations.items() if g in warm_names]
    cold_d = [d for g, d in durations.items() if g not in warm_names]
    minutes = (end_time - start_time) / 60
    cpu_per_minute = (end_usage.cpu_seconds - start_usage.cpu_seconds) / minutes
    result.update(
        {
            "rules": sum(m.get("prometheus_rule_group_rules", 0) for m in groups.values()),
            "interval_seconds": 60,
            "sum_last_duration_seconds": sum(durations.values()),
            "warm_groups": len(warm_d),
            "warm_group_mean_seconds": statistics.mean(warm_d) if warm_d else None,
            "cold_group_mean_seconds": statistics.mean(cold_d) if cold_d else None,
            "steady_estimate_seconds": (
                statistics.mean(warm_d) * slos if warm_d else sum(durations.values())
            ),
            "missed_iterations": sum(
                m.get("prometheus_rule_group_iterations_missed_total", 0) for m in groups.values()
            ),
            "evaluation_failures": sum(
                m.get("prometheus_rule_evaluation_failures_total", 0) for m in groups.values()
            ),
            "measured_minutes": round(minutes, 2),
            "prometheus_cpu_seconds_per_minute": round(cpu_per_minute, 3),
            "prometheus_rss_bytes": end_usage.rss_bytes,
        }
    )
    return result
