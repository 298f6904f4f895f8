"""Time one evaluation round of Google's slo-generator over N SLO configs.

Runs in the benchmark's own virtualenv (``benchmarks/.venv``, where slo-generator is
installed); the benchmark calls it as

    benchmarks/.venv/bin/python slo_generator_driver.py SHARED.json SLOS.json OUT.json --budget S

It calls ``slo_generator.compute.compute`` (what ``slo-generator compute`` runs per SLO
file) for each SLO in turn, without exporters, and stops early once ``--budget`` seconds
have passed: the result then says how many SLOs were done.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("shared")
    parser.add_argument("slos")
    parser.add_argument("out")
    parser.add_argument("--budget", type=float, default=300.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import_started = time.perf_counter()
    from slo_generator.compute import compute  # noqa: PLC0415 - timed on purpose

    import_seconds = time.perf_counter() - import_started
    with open(args.shared, encoding="utf-8") as f:
        shared = json.load(f)
    with open(args.slos, encoding="utf-8") as f:
        slos = json.load(f)

    durations: list[float] = []
    invalid = 0
    slis: dict[str, float] = {}
    started = time.perf_counter()
    for slo in slos:
        if time.perf_counter() - started > args.budget:
            break
        one = time.perf_counter()
        reports = compute(slo, shared, timestamp=time.time(), do_export=False)
        durations.append(time.perf_counter() - one)
        for report in reports:
            if not report.get("valid", False):
                invalid += 1
            elif report["error_budget_policy_step_name"] == "30d":
                slis[slo["metadata"]["name"]] = report["sli_measurement"]
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "slos": len(slos),
        "done": len(durations),
        "elapsed_seconds": elapsed,
        "per_slo_seconds": elapsed / len(durations) if durations else None,
        "invalid_reports": invalid,
        "import_seconds": import_seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "sli_30d": slis,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
