"""The markdown summary of a benchmark results dict (see ``run.py``).

python benchmarks/report.py benchmarks/results/<stamp>.json   # prints it again
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import scale_report

MIB = 1024 * 1024
INTERVAL = 30


def _num(value: float | None, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.{digits}f}"
    return text + unit


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f} ms"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value / MIB:,.0f} MiB"


def _ratio(theirs: float | None, ours: float | None) -> str:
    if not theirs or not ours:
        return "–"
    ratio = theirs / ours
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.2g}×"


def machine_line(m: dict[str, Any]) -> str:
    parts = [
        f"{m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB RAM",
        f"Linux {m['kernel']}",
        f"Python {m['python']}",
        m["prometheus"].replace("prometheus, version ", "Prometheus "),
    ]
    if "slo_generator" in m:
        parts.append(f"slo-generator {m['slo_generator']}")
    parts.append(f"slo-exporter {m['commit']}")
    return "; ".join(parts)


def _cycles_per_minute(steady: dict[str, Any]) -> float:
    return 60 / max(INTERVAL, steady["cycle_seconds_median"])


def exporter_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| SLOs | mode | queries / SLO / cycle | cycle s (median / max) | exporter CPU s / cycle "
        "| Prometheus CPU s / cycle | RSS steady / peak | store / SLO | cold start to /readyz "
        "| /metrics p50 / p99 (gzip) | /metrics p50 / p99 (plain) | /metrics size |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        for mode, r in size["modes"].items():
            s = r.get("steady")
            if s is None:
                lines.append(
                    f"| {size['slos']:,} | {mode} | {r.get('error', 'no result')} |" + " |" * 9
                )
                continue
            gz, plain = r.get("metrics_gzip", {}), r.get("metrics_identity", {})
            store = r.get("store_bytes_per_slo")
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{size['slos']:,}",
                        mode,
                        _num(s["queries_per_slo_per_cycle"]),
                        f"{_num(s['cycle_seconds_median'])} / {_num(s['cycle_seconds_max'])}",
                        _num(s["exporter_cpu_seconds_per_cycle"]),
                        _num(s["prometheus_cpu_seconds_per_cycle"]),
                        f"{_mib(s['rss_bytes'])} / {_mib(r.get('peak_rss_bytes'))}",
                        "–" if store is None else f"{store / 1024:,.1f} KiB",
                        _num(r.get("cold_start_seconds"), 1, " s")
                        + (" (restart)" if r.get("store_reused") else ""),
                        f"{_num(gz.get('p50_ms'), 1)} / {_num(gz.get('p99_ms'), 1)} ms",
                        f"{_num(plain.get('p50_ms'), 1)} / {_num(plain.get('p99_ms'), 1)} ms",
                        _mib(plain.get("body_bytes")),
                    ]
                )
                + " |"
            )
    return lines


def comparison_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| SLOs | slo-exporter cycle (query / store) | slo-generator, one round "
        "| ratio to query / store | native rules, Σ group time per round (measured; "
        "month-old estimate) | ratio to query / store | CPU s per minute: exporter + Prometheus "
        "(query / store) vs. Prometheus for rules |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        modes = size["modes"]
        q = modes.get("query", {}).get("steady")
        st = modes.get("store", {}).get("steady")
        ours_q = q["cycle_seconds_median"] if q else None
        ours_s = st["cycle_seconds_median"] if st else None
        sg = size.get("slo_generator", {})
        sg_round = sg.get("round_seconds")
        sg_text = _num(sg_round, 1, " s")
        if sg_round is not None and not sg.get("complete"):
            sg_text += f" (est.: {sg['done']:,} SLOs in {sg['elapsed_seconds']:.0f} s)"
        rules = size.get("rules", {})
        measured, steady = (
            rules.get("sum_last_duration_seconds"),
            rules.get("steady_estimate_seconds"),
        )
        rules_text = f"{_num(measured)} s; {_num(steady)} s" if measured is not None else "–"
        cpu = []
        for s in (q, st):
            if s is None:
                cpu.append("–")
            else:
                per_cycle = (
                    s["exporter_cpu_seconds_per_cycle"] + s["prometheus_cpu_seconds_per_cycle"]
                )
                cpu.append(_num(per_cycle * _cycles_per_minute(s)))
        rules_cpu = rules.get("prometheus_cpu_seconds_per_minute")
        if rules_cpu is not None:
            rules_cpu -= rules.get("prometheus_idle_cpu_seconds_per_minute", 0)
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{size['slos']:,}",
                    f"{_num(ours_q)} s / {_num(ours_s)} s",
                    sg_text,
                    f"{_ratio(sg_round, ours_q)} / {_ratio(sg_round, ours_s)}",
                    rules_text,
                    f"{_ratio(steady, ours_q)} / {_ratio(steady, ours_s)}",
                    f"{cpu[0]} / {cpu[1]} vs. {_num(rules_cpu)}",
                ]
            )
            + " |"
        )
    return lines


def setup_lines(results: dict[str, Any]) -> list[str]:
    setup = results.get("setup", {})
    data = setup.get("data", {})
    lines = []
    if data:
        spec = data.get("spec", {})
        days = (spec.get("end", 0) - spec.get("start", 0)) / 86400
        made = "reused from an earlier run" if data.get("reused") else "made in this run"
        lines.append(
            f"- History ({made}): {data.get('series', '?')} series, {days:.1f} days at 1 min "
            f"({data.get('samples', 0) / 1e6:.1f} M samples); writing OpenMetrics "
            f"{data.get('write_openmetrics_seconds', '?')} s, promtool backfill "
            f"{data.get('promtool_seconds', '?')} s, TSDB {_mib(data.get('tsdb_bytes'))}."
        )
    if "prometheus_startup_seconds" in setup:
        lines.append(f"- Prometheus start: {setup['prometheus_startup_seconds']} s.")
    venv = setup.get("venv")
    if venv and not venv.get("reused"):
        lines.append(f"- benchmarks/.venv (slo-generator, py-spy): {venv['seconds']} s.")
    return lines


def _exporter_notes(n: int, mode: str, r: dict[str, Any]) -> list[str]:
    out = []
    if r.get("store_reused"):
        out.append(
            f"{n:,} SLOs, {mode}: started on the store an earlier run filled (--keep-store): "
            "the start time is a restart's (gap filling), not a cold start's"
        )
    if r.get("store_dropped"):
        out.append(
            f"{n:,} SLOs, {mode}: --keep-store, but the kept store was dropped and filled "
            f"again: {r['store_dropped']}"
        )
    probes = r.get("readyz_during_cold_start")
    if probes and r.get("cold_start_seconds") is not None:
        out.append(
            f"{n:,} SLOs, {mode}: config loaded and serving after "
            f"{r.get('config_load_seconds')} s; /readyz answered in {probes['p50_ms']} ms "
            f"(median), {probes['max_ms']} ms (max) while the first cycle ran"
        )
    steady = r.get("steady")
    if steady and steady.get("machine_cpu_seconds_per_cycle") is not None:
        ours = steady["exporter_cpu_seconds_per_cycle"] + steady["prometheus_cpu_seconds_per_cycle"]
        other = steady["machine_cpu_seconds_per_cycle"] - ours
        if other > max(0.2 * ours, 1.0):
            out.append(
                f"{n:,} SLOs, {mode}: other processes used {other:.1f} CPU s per cycle "
                "during the measurement (the numbers may be disturbed)"
            )
    return out


def notes(results: dict[str, Any]) -> list[str]:
    out = list(results.get("notes", []))
    for size in results["sizes"]:
        for mode, r in size["modes"].items():
            out.extend(_exporter_notes(size["slos"], mode, r))
            if r.get("error"):
                out.append(f"{size['slos']:,} SLOs, {mode}: {r['error']}")
            if r.get("slo_evaluation_failures"):
                out.append(
                    f"{size['slos']:,} SLOs, {mode}: {r['slo_evaluation_failures']} failed SLO "
                    f"evaluations, first: {r.get('first_failure')}"
                )
            backfill = r.get("backfill")
            if backfill:
                out.append(
                    f"{size['slos']:,} SLOs, store: the history backfill of "
                    f"{backfill.get('selectors')} selectors took "
                    f"{backfill.get('duration_seconds')} s"
                )
        sg = size.get("slo_generator", {})
        if sg.get("error"):
            out.append(f"{size['slos']:,} SLOs, slo-generator: {sg['error'][-300:]}")
        elif sg.get("sli_30d_relative_difference"):
            d = sg["sli_30d_relative_difference"]
            out.append(
                f"{size['slos']:,} SLOs: slo-generator's 30-day SLI vs. ours over {d['compared']:,}"
                f" SLOs: median relative difference {d['median']:.1e}, max {d['max']:.1e}"
            )
        rules = size.get("rules", {})
        if rules.get("error"):
            out.append(f"{size['slos']:,} SLOs, rules: {rules['error']}")
        elif rules:
            out.append(
                f"{size['slos']:,} SLOs, rules: {rules.get('rules', 0):,.0f} rules in "
                f"{rules.get('groups')} groups, reload {rules.get('reload_seconds')} s, "
                f"missed iterations {rules.get('missed_iterations', 0):.0f}, failures "
                f"{rules.get('evaluation_failures', 0):.0f}, discarded results "
                f"{rules.get('discarded_results_logged', '?')}; mean group "
                f"{_ms(rules.get('warm_group_mean_seconds'))} with 30 days of step records, "
                f"{_ms(rules.get('cold_group_mean_seconds'))} with minutes"
            )
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# slo-exporter benchmark {results['started']}",
        "",
        f"Machine: {machine_line(results['machine'])}.",
        "",
        f"Command: `{results['command']}`",
        "",
        "## slo-exporter",
        "",
        *exporter_table(results),
        "",
        "## Compared",
        "",
        *comparison_table(results),
        "",
        "## Setup",
        "",
        *setup_lines(results),
    ]
    if results.get("scale"):
        lines += ["", "## Scale", "", *scale_report.scale_table(results["scale"])]
    extra = notes(results)
    if extra:
        lines += ["", "## Notes", "", *(f"- {n}" for n in extra)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
