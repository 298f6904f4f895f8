"""Issue 17's table from a ``run.py --goals`` result: each release's figure and the goal.

python benchmarks/goals_report.py benchmarks/results/<stamp>.json   # prints it again
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

KIB = 1024
MIB = 1024 * 1024
Release = dict[str, Any]


def _get(data: Release, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _s(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _not_ready(run: Release | None) -> str:
    """A cold start's figure: seconds to /readyz, or why there is none."""
    if not run:
        return "–"
    if run.get("cold_start_seconds") is not None:
        return _s(run["cold_start_seconds"])
    error = _last_line(run.get("error", "no figure"))
    progress = _get(run, "backfill_progress", "done_ratio")
    return error + (f" (store fill {progress:.0%} done)" if progress is not None else "")


def _last_line(text: object) -> str:
    """An error's last line (a traceback's says what went wrong), fit for a table cell."""
    lines = str(text or "–").strip().splitlines() or ["–"]
    return lines[-1][:200].replace("|", "/")


def row_default(r: Release) -> str:
    run = r.get("default_small") or {}
    steady = run.get("steady")
    if not steady:
        return f"{r.get('default_mode')} mode: {run.get('error', 'no steady cycle')}"
    return (
        f"{r.get('default_mode')} mode: {_s(steady['cycle_seconds_median'])} / "
        f"{_s(steady['prometheus_cpu_seconds_per_cycle'])}"
    )


def row_ready_large(r: Release) -> str:
    return _not_ready(r.get("store_large"))


def _small_store(r: Release) -> Release | None:
    if r.get("store_small"):
        return dict(r["store_small"])
    return r.get("default_small") if r.get("default_mode") == "store" else None


def row_ready_small(r: Release) -> str:
    text = _not_ready(_small_store(r))
    if r.get("default_mode") == "query":
        query = _not_ready(r.get("default_small"))
        text += f" (with `--data-dir`; its default query mode: {query})"
    return text


def row_store(r: Release) -> str:
    run = _small_store(r) or {}
    per_slo = run.get("store_bytes_per_slo")
    if per_slo is None:
        return "–"
    # the previous release was ready only once its store was filled
    filled = run.get("store_filled_seconds") is not None or r.get("default_mode") == "query"
    return f"{per_slo / KIB:,.0f} KiB" + ("" if filled else " (fill not done)")


def row_load(r: Release) -> str:
    load = r.get("config_load_large") or {}
    if "error" in load:
        return _last_line(load["error"])
    text = _s(load.get("load_cpu"))
    if load.get("compile_cpu") is not None:
        text += f" + {_s(load['compile_cpu'])} compile"
    started = _get(r, "store_large", "config_load_seconds")
    return text + (f" (daemon spawn to `started`: {_s(started)})" if started else "")


def row_cycle_cpu(r: Release) -> str:
    row = r.get("process_large") or {}
    if "error" in row:
        return _last_line(row["error"])
    return _s(row.get("exporter_cpu_seconds_per_cycle"))


def row_process(r: Release) -> str:
    row = r.get("process_huge")
    if not row:
        return "–"
    if "error" in row:
        problems = row.get("log_problems") or []
        why = problems[0].get("event", "") if problems else ""
        return f"{row['error']}{': ' + str(why)[:120] if why else ''}"
    rss = row.get("peak_rss_bytes")
    p99 = _get(row, "metrics_gzip", "p99_ms")
    cycles = [c["duration_seconds"] for c in row.get("cycles", []) if c.get("duration_seconds")]
    cycle = f"cycle {_s(max(cycles))} max, " if cycles else ""
    return (
        f"ready {_s(row.get('ready_seconds'))}, {cycle}RSS peak "
        f"{(rss or 0) / MIB / 1024:.2f} GB, gzip p99 {p99} ms"
    )


def row_eval(r: Release, generator: Release) -> str:
    best = _get(r, "eval", "best_seconds")
    theirs = generator.get("process_wall_seconds")
    if best is None:
        return _last_line(_get(r, "eval", "error"))
    ratio = f"{theirs / best:.2f}×" if theirs else "–"
    return f"{_s(best)} vs {_s(theirs)}: {ratio}"


ROWS: list[tuple[str, Callable[[Release], str], str]] = [
    (
        "`run` with no mode flag, {small} SLOs: cycle / Prometheus CPU per cycle",
        row_default,
        "store mode by default: ≤ 2 s / ≤ 1 s",
    ),
    ("first exact numbers (`/readyz` 200), {large} SLOs, empty store", row_ready_large, "≤ 120 s"),
    ("same, {small} SLOs", row_ready_small, "≤ 15 s"),
    ("store on disk per SLO ({small} SLOs, filled)", row_store, "≤ 40 KiB"),
    ("config load, {large} SLOs, CPU", row_load, "≤ 2 s"),
    ("exporter CPU per cycle, {large} SLOs (scraped source, 60 s)", row_cycle_cpu, "≤ 3 s"),
    (
        "{huge} SLOs in one process (scraped source, 60 s)",
        row_process,
        "RSS ≤ 2 GB, gzip p99 ≤ 200 ms",
    ),
]


def goals_table(results: dict[str, Any]) -> list[str]:
    goals = results["goals"]
    releases = goals["releases"]
    names = list(releases)
    settings = results.get("settings", {})
    sizes = {
        "small": f"{int(settings.get('goals_small', 1000)):,}",
        "large": f"{int(settings.get('goals_large', 10000)):,}",
        "huge": f"{int(settings.get('goals_process', 50000)):,}",
    }
    head = " | ".join(f"{n} ({releases[n].get('commit', '?')})" for n in names)
    out = [f"| figure | {head} | goal |", "|---" * (len(names) + 2) + "|"]
    for label, cell, goal in ROWS:
        cells = " | ".join(cell(releases[n]) for n in names)
        out.append(f"| {label.format(**sizes)} | {cells} | {goal} |")
    generator = goals.get("slo_generator", {})
    cells = " | ".join(row_eval(releases[n], generator) for n in names)
    out.append(
        f"| one-shot `eval`, 100 SLOs × 8 windows, vs slo-generator × 4 windows | {cells} | ≥ 5× |"
    )
    return out


def markdown(results: dict[str, Any]) -> str:
    """A ``--goals`` run's results file as markdown: the machine, the table, the notes."""
    machine = results["machine"]
    lines = [
        f"# slo-exporter goals {results['started']}",
        "",
        f"Machine: {machine['cpu_model']}, {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB RAM, Python {machine['python']}, {machine['prometheus']}.",
        "",
        f"Command: `{results['command']}`",
        "",
        *goals_table(results),
        "",
        *(f"- {line}" for line in notes(results)),
    ]
    return "\n".join(lines) + "\n"


def notes(results: dict[str, Any]) -> list[str]:
    """What each release's runs logged as problems, and the machine's other load."""
    out = []
    for name, release in results["goals"]["releases"].items():
        for key, run in release.items():
            if not isinstance(run, dict):
                continue
            busy = _get(run, "steady", "machine_cpu_seconds_per_cycle")
            if busy is not None:
                out.append(f"{name} {key}: machine CPU {busy:.2f} s per cycle (all processes)")
            for problem in run.get("log_problems", [])[:2]:
                out.append(f"{name} {key}: logged {json.dumps(problem)[:240]}")
    return out


if __name__ == "__main__":
    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.stdout.write(markdown(data))
