"""Synthetic history and SLO definitions for the benchmark (stdlib only).

History: ``http_requests_total{service="svcNNN",code=...}`` for ``services`` services and
four codes, one sample per minute from ``now - span`` to ``now + future`` (counters start
at 0). As in ``tests/history.py``, the samples extend past the moment the data is made
(``future``) so that the daemon, which evaluates at the real current time, always finds a
sample at T. Traffic is 20-400 requests/min per service with a daily cycle; 5xx rates
differ by service (a few services burn budget, a few had an outage).

SLO ``i`` (``bench-0000i``) is a ratio SLO on service ``i mod services`` with one of four
objectives. With ``selectors="distinct"`` both of its selectors carry the matcher
``bench!="i"``: no series has a ``bench`` label, so it matches the service's series like
the plain selector, but no two SLOs send the same query, so query deduplication and the
store's shared streams cannot make the benchmark trivial. With ``selectors="shared"`` the
SLOs of one service share their selectors (the best case for deduplication).

For the recording-rule comparison the first ``warm`` SLOs also get the step records that
``slo-exporter rules --mode native`` would have recorded over the whole span
(``slo:good_events:step_increase`` and ``slo:total_events:step_increase``, one per
minute, up to the moment the data is made), so their rule groups' window sums read a full
30 days as they would in steady state, not the few minutes recorded during the benchmark.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

STEP = 60
DAY = 86400
CODES = ("200", "404", "500", "503")
OBJECTIVES = (99.0, 99.5, 99.9, 99.95)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
"""The exporter's default windows; with the 30d period, eight windows per SLO."""
WINDOW_SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": DAY}
WINDOW_SECONDS |= {"3d": 3 * DAY, "30d": 30 * DAY}
BURN_THRESHOLDS = {"5m": 14.4, "30m": 6, "1h": 14.4, "2h": 3, "6h": 6, "1d": 3, "3d": 1}
BURN_THRESHOLDS |= {"30d": 1}
GOOD = 'code!~"5.."'


@dataclass(frozen=True)
class DataSpec:
    """What the history holds; two histories with equal specs are interchangeable."""

    services: int
    start: int
    end: int
    made_at: int
    """The whole minute the data was made at; warm step records end here."""
    warm: int
    seed: int = 7

    @property
    def samples(self) -> int:
        return (self.end - self.start) // STEP + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "services": self.services,
            "start": self.start,
            "end": self.end,
            "made_at": self.made_at,
            "warm": self.warm,
            "seed": self.seed,
        }


def service_name(s: int) -> str:
    return f"svc{s:03d}"


def slo_name(i: int) -> str:
    return f"bench-{i:05d}"


def _profile(s: int) -> tuple[float, float, tuple[int, int] | None]:
    """Base requests/min, 5xx probability and an optional outage (minutes ago) of service s."""
    rng = random.Random(f"profile-{s}")
    base = rng.uniform(20, 400)
    p5xx = rng.choice((0.0002, 0.0005, 0.001, 0.002, 0.004, 0.01))
    outage = None
    if s % 10 == 3:
        ago = rng.randint(60, 20 * 1440)
        outage = (ago, ago - rng.randint(10, 120))
    return base, p5xx, outage


def _service_increments(spec: DataSpec, s: int) -> dict[str, list[int]]:
    """Per-minute increments of each code of service ``s`` (index 0 is the start: 0)."""
    base, p5xx, outage = _profile(s)
    rng = random.Random(spec.seed * 1_000_003 + s)
    n = spec.samples
    out = {code: [0] * n for code in CODES}
    phase = rng.uniform(0, 2 * math.pi)
    rand = rng.random
    for k in range(1, n):
        ts = spec.start + k * STEP
        daily = 1 + 0.35 * math.sin(2 * math.pi * (ts % DAY) / DAY + phase)
        total = int(base * daily * (0.9 + 0.2 * rand()) + rand())
        p = p5xx
        if outage is not None:
            ago = (spec.made_at - ts) // STEP
            if outage[1] < ago <= outage[0]:
                p = 0.3
        bad = int(total * p + rand())
        bad = min(bad, total)
        e500 = int(bad * 0.6 + rand())
        e500 = min(e500, bad)
        e404 = min(total - bad, int((total - bad) * 0.01 + rand()))
        out["500"][k] = e500
        out["503"][k] = bad - e500
        out["404"][k] = e404
        out["200"][k] = total - bad - e404
    return out


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _write_counter(out: TextIO, head: str, increments: list[int], start: int) -> None:
    value = 0
    lines = []
    for k, inc in enumerate(increments):
        value += inc
        lines.append(f"{head}{value} {start + k * STEP}\n")
    out.writelines(lines)


def slo_labels(i: int, services: int) -> dict[str, str]:
    """The labels the SLO's series carry besides slo and service."""
    return {"team": f"team-{(i % services) % 10}"}


def write_openmetrics(spec: DataSpec, path: Path) -> int:
    """Write the history (and the warm SLOs' step records) as OpenMetrics; return sample count."""
    samples = 0
    good_steps: dict[int, list[int]] = {}
    total_steps: dict[int, list[int]] = {}
    warm_services = {i % spec.services for i in range(spec.warm)}
    with open(path, "w", encoding="utf-8") as out:
        out.write("# TYPE http_requests counter\n")
        for s in range(spec.services):
            increments = _service_increments(spec, s)
            for code in CODES:
                head = "http_requests_total" + _labels({"service": service_name(s), "code": code})
                _write_counter(out, head + " ", increments[code], spec.start)
                samples += spec.samples
            if s in warm_services:
                good_steps[s] = [
                    a + b for a, b in zip(increments["200"], increments["404"], strict=True)
                ]
                total_steps[s] = [
                    g + a + b
                    for g, a, b in zip(
                        good_steps[s], increments["500"], increments["503"], strict=True
                    )
                ]
        last = (spec.made_at - spec.start) // STEP
        for kind, steps in (("good", good_steps), ("total", total_steps)):
            if not steps:
                continue
            name = f"slo:{kind}_events:step_increase"
            out.write(f"# TYPE {name} gauge\n")
            for i in range(spec.warm):
                s = i % spec.services
                labels = {
                    "slo": slo_name(i),
                    "service": service_name(s),
                    **slo_labels(i, spec.services),
                }
                head = name + _labels(labels) + " "
                series = steps[s]
                out.writelines(
                    f"{head}{series[k]} {spec.start + k * STEP}\n" for k in range(1, last + 1)
                )
                samples += last
        out.write("# EOF\n")
    return samples


# --------------------------------------------------------------------------- SLO configs


def selectors(i: int, services: int, mode: str) -> tuple[str, str]:
    """The good and total selectors of SLO ``i``."""
    service = f'service="{service_name(i % services)}"'
    extra = f',bench!="{i}"' if mode == "distinct" else ""
    return (
        f"http_requests_total{{{service},{GOOD}{extra}}}",
        f"http_requests_total{{{service}{extra}}}",
    )


def _slo_entries(n: int, services: int, mode: str) -> Iterator[dict[str, Any]]:
    for i in range(n):
        good, total = selectors(i, services, mode)
        yield {
            "name": slo_name(i),
            "service": service_name(i % services),
            "objective": OBJECTIVES[(i // services) % len(OBJECTIVES)],
            "labels": slo_labels(i, services),
            "sli": {"ratio": {"good": good, "total": total}},
        }


def exporter_config(n: int, services: int, mode: str, backend_url: str) -> dict[str, Any]:
    """Our config for the first ``n`` SLOs (JSON is YAML, so it is written as JSON).

    Everything but the backend is the shipped default: 30 s interval, concurrency 16,
    windows 5m … 3d plus the 30-day period, the workbook's four alert conditions.
    """
    return {
        "backend": {"url": backend_url},
        "evaluation": {"interval": "30s"},
        "slos": list(_slo_entries(n, services, mode)),
    }


def slo_generator_configs(
    n: int, services: int, mode: str, backend_url: str, windows: tuple[str, ...] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """slo-generator's shared config and its ``n`` SLO configs (v2 format) for the same SLOs.

    The error budget policy has one step per window our exporter evaluates (the seven
    windows and the 30-day period), so both send the same ``sum(increase(sel[W]))``
    queries: two per window and SLO. ``windows`` names fewer steps (``eval_run.py``).
    """
    steps = [
        {
            "name": window,
            "window": WINDOW_SECONDS[window],
            "burn_rate_threshold": BURN_THRESHOLDS[window],
            "alert": False,
            "message_alert": "burning",
            "message_ok": "ok",
        }
        for window in (windows or (*WINDOWS, "30d"))
    ]
    shared = {
        "backends": {"prometheus": {"url": backend_url}},
        "error_budget_policies": {"default": {"steps": steps}},
    }
    slos = []
    for entry in _slo_entries(n, services, mode):
        ratio = entry["sli"]["ratio"]
        slos.append(
            {
                "apiVersion": "sre.google.com/v2",
                "kind": "ServiceLevelObjective",
                "metadata": {
                    "name": entry["name"],
                    "labels": {
                        "service_name": entry["service"],
                        "feature_name": "requests",
                        "slo_name": entry["name"],
                    },
                },
                "spec": {
                    "description": f"{entry['name']} availability",
                    "backend": "prometheus",
                    "method": "good_bad_ratio",
                    "exporters": [],
                    "service_level_indicator": {
                        "filter_good": ratio["good"],
                        "filter_valid": ratio["total"],
                    },
                    "goal": entry["objective"] / 100,
                },
            }
        )
    return shared, slos


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
