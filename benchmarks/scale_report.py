"""The scale rows of a results dict as markdown: config load, cycle CPU, N SLOs in one process."""

from __future__ import annotations

from typing import Any

MIB = 1024 * 1024
GOALS = {
    "load": "≤ 2 s",
    "cycle": "≤ 3 s",
    "rss": "≤ 2 GB",
    "gzip_p99": "≤ 200 ms",
}


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / MIB:,.0f} MiB"


def load_lines(row: dict[str, Any]) -> list[str]:
    """Config load, compile, reload and cycle CPU at one size."""
    if "error" in row:
        return [f"| config of {row['slos']:,} SLOs | error: {row['error'][-200:]} | | |"]
    n = row["slos"]
    load, comp, reload = row["load"], row["compile"], row["reload_one_changed"]
    cycle = row.get("cycle", {})
    lines = [
        f"| config load + compile, {n:,} SLOs (CPU) | {_s(load['cpu'] + comp['cpu'])} "
        f"({_s(load['cpu'])} + {_s(comp['cpu'])}; wall {_s(load['wall'] + comp['wall'])}) "
        f"| {GOALS['load']} |",
        f"| reload with one SLO changed (CPU) | {_s(reload['load_cpu'] + reload['compile_cpu'])}"
        f" ({reload['recompiled']} recompiled) | |",
        f"| `validate` as a new process (wall) | {_s(row.get('validate_seconds'))} | |",
    ]
    if cycle:
        lines.append(
            f"| cycle CPU outside the store, {n:,} SLOs | {_s(cycle['total_cpu'])} (math "
            f"{_s(cycle['evaluate_cpu'])}, render {_s(cycle['render_cpu'])}, gzip "
            f"{_s(cycle['gzip_cpu'])}; {cycle['exposition_bytes'] / MIB:,.0f} MiB plain, "
            f"{cycle['exposition_gzip_bytes'] / MIB:,.1f} MiB gzip) | {GOALS['cycle']} (all "
            "of the exporter's CPU) |"
        )
    lines.append(f"| RSS, config compiled + one exposition | {_mib(row.get('rss_bytes'))} | |")
    return lines


def process_lines(row: dict[str, Any]) -> list[str]:
    """One process row: N SLOs on a scraped source with --data-dir."""
    n = row["slos"]
    if "error" in row:
        return [f"| {n:,} SLOs in one process | {row['error']} | |"]
    gz = row.get("metrics_gzip", {})
    cycles = row.get("cycles", [])
    wall = cycles[-1]["duration_seconds"] if cycles else None
    return [
        f"| {n:,} SLOs, one process ({row['source']}, `--data-dir`, 60 s): ready | "
        f"{_s(row.get('ready_seconds'))} | |",
        f"| cycle wall / exporter CPU | {_s(wall)} / "
        f"{_s(row.get('exporter_cpu_seconds_per_cycle'))} | within 60 s |",
        f"| RSS steady / peak | {_mib(row.get('rss_bytes'))} / "
        f"{_mib(row.get('peak_rss_bytes'))} | {GOALS['rss']} |",
        f"| `/metrics` gzip p50 / p99 ({gz.get('scrapes', 0)} scrapes, "
        f"{(gz.get('body_bytes') or 0) / MIB:,.1f} MiB) | {gz.get('p50_ms')} / "
        f"{gz.get('p99_ms')} ms | {GOALS['gzip_p99']} |",
    ]


def scale_table(scale: dict[str, Any]) -> list[str]:
    """Every scale row measured, as one table."""
    lines = ["| figure | measured | goal |", "|---|---|---|"]
    for row in scale.get("load", []):
        lines += load_lines(row)
    for row in scale.get("process", []):
        lines += process_lines(row)
    return lines
