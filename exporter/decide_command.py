"""``slo-exporter decide``: the release gate for one service, for CI pipelines.

It evaluates the service's SLOs once at ``--at`` through the one pipeline, as
``eval`` does, and applies the config's error-budget policy
(:mod:`exporter.domain.decision`). When an exhausted rolling budget drives the
decision it evaluates twice more at the same ``T``, with extra windows, to see
when enough old bad events leave the period (:mod:`exporter.domain.recovery`).

Exit codes: 0 approve, 10 review, 11 defer, 12 block; 1 invalid config, 2 bad
usage (an unknown service or SLO), 3 an SLO of the service could not be
evaluated and the decision is not already ``block``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp

from exporter.counters import Counters
from exporter.decision_output import decision_json, decision_text, standing
from exporter.domain.budget import WindowEvents
from exporter.domain.decision import Risk, Verdict, decide
from exporter.domain.durations import format_duration
from exporter.domain.evaluate import SLOResult
from exporter.domain.model import SLO, Status
from exporter.domain.recovery import Recovery, first_recovery, shift_grid
from exporter.errors import ConfigError
from exporter.pipeline.cycle import EvaluationRun, Pipeline, listed
from exporter.pipeline.generation import build_generation
from exporter.settings import Settings

EXIT_CONFIG = 1
EXIT_USAGE = 2
EXIT_EVAL_FAILED = 3

Evaluate = Callable[[tuple[SLO, ...]], Awaitable[EvaluationRun]]


def register(subparsers: Any, parse_time: Callable[[str], float]) -> None:
    """Add the ``decide`` subcommand; ``parse_time`` reads ``--at`` as ``eval`` does."""
    parser = subparsers.add_parser(
        "decide",
        help="release gate: approve, review, defer or block a release by its error budgets",
        description="Decide on a release of a service from its SLOs' error budgets. Exit codes: "
        "0 approve, 10 review, 11 defer, 12 block.",
    )
    parser.add_argument("-c", "--config", type=Path, required=True, help="SLO config file")
    parser.add_argument("--service", required=True, help="the service to release")
    parser.add_argument("--slo", default=None, help="judge by this SLO of the service only")
    parser.add_argument("--risk", required=True, choices=[r.value for r in Risk])
    parser.add_argument(
        "--at", type=parse_time, default=None,
        help="evaluation time: unix seconds or RFC 3339 (default: now)",
    )  # fmt: skip
    parser.add_argument("--format", choices=["text", "json"], default="text")


def _chosen(settings: Settings, service: str, slo: str | None) -> tuple[SLO, ...] | str:
    """The SLOs that decide, or a one-line usage error."""
    of_service = tuple(s for s in settings.slos if s.service == service)
    if not of_service:
        known = ", ".join(sorted({s.service for s in settings.slos})) or "none"
        return f"--service {service!r}: no SLO of the config has this service (services: {known})"
    if slo is None:
        return of_service
    named = tuple(s for s in of_service if s.name == slo)
    if not named:
        names = ", ".join(s.name for s in of_service)
        return f"--slo {slo!r}: service {service!r} has no SLO of this name (its SLOs: {names})"
    return named


def cmd_decide(settings: Settings, args: argparse.Namespace) -> int:
    """Print the decision; the exit code says it to CI."""
    if settings.scrape is not None:
        print(
            f"{args.config}: source: scrape has no PromQL backend for decide to query; decide "
            "needs a 'backend:' config (the daemon serves /api/v1/decision)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    chosen = _chosen(settings, args.service, args.slo)
    if isinstance(chosen, str):
        print(chosen, file=sys.stderr)
        return EXIT_USAGE
    at = time.time() if args.at is None else args.at
    try:
        document, failed = asyncio.run(_decide(settings, chosen, Risk(args.risk), at))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    if args.format == "json":
        print(json.dumps(document, indent=2))
    else:
        print(decision_text(document))
    for line in failed:
        print(line, file=sys.stderr)
    if failed and document["decision"] != Verdict.BLOCK.value:
        return EXIT_EVAL_FAILED
    return int(document["exit_code"])


async def _decide(
    settings: Settings, chosen: tuple[SLO, ...], risk: Risk, at: float
) -> tuple[dict[str, Any], list[str]]:
    """Evaluate, decide, and look for the recovery of an exhausted budget that decided."""
    async with aiohttp.ClientSession() as session:

        async def evaluate(slos: tuple[SLO, ...]) -> EvaluationRun:
            generation = build_generation(replace(settings, slos=slos), session)
            built = Counters(session, None)
            counters = built.for_generation(generation)
            discovery = built.discovery(generation)
            return await Pipeline(generation.slos, counters, discovery).evaluate(at)

        run = await evaluate(chosen)
        failures = {name: f"evaluation failed: {err}" for name, err in run.failures.items()}
        shown = listed(chosen, run)  # a grouped SLO as its groups
        standings = [standing(s, run.results.get(s.name), failures.get(s.name, "")) for s in shown]
        decision = decide(standings, risk, settings.policy)
        recovery = None
        if decision.driver is not None and decision.driver.name in run.results:
            recovery = await _recovery(run.results[decision.driver.name], at, evaluate)
    failed = [f"SLO {name!r}: {why}" for name, why in failures.items()]
    return decision_json(chosen[0].service, at, decision, standings, recovery), failed


def _assumption(rate: WindowEvents, window: int) -> str:
    bad = 0.0 if rate.total == 0 else rate.bad / rate.total
    return (
        f"assuming traffic continues at the rate of the last {format_duration(window)}: "
        f"{rate.total / window:.4g} events/s, {bad:.3%} bad"
    )


async def _recovery(result: SLOResult, at: float, evaluate: Evaluate) -> Recovery | None:
    """When the exhausted budget of ``result`` recovers; None when it is not exhausted."""
    slo = result.slo
    if result.status is not Status.EXHAUSTED or slo.sliced:
        return None
    if slo.calendar is not None:
        return Recovery(int(result.bounds.end - at), 0, "the next calendar period starts afresh")
    status_window = result.windows.get(slo.status.window)
    if status_window is None:
        return None
    rate, period = status_window.events, slo.period
    assumption = _assumption(rate, slo.status.window)
    coarse = shift_grid(0, period)
    kept = await _kept(slo, coarse, at, evaluate)
    first = (
        None if kept is None else first_recovery(kept, rate, slo.status.window, slo.error_budget)
    )
    if first is None:
        return Recovery(None, coarse[0], assumption) if kept is not None else None
    before = max((s for s in coarse if s < first), default=0)
    fine = shift_grid(before, first)
    kept = await _kept(slo, fine, at, evaluate)
    if kept is None:
        return Recovery(first, coarse[0], assumption)
    found = first_recovery(kept, rate, slo.status.window, slo.error_budget)
    return Recovery(first if found is None else found, fine[0] - before, assumption)


async def _kept(
    slo: SLO, shifts: tuple[int, ...], at: float, evaluate: Evaluate
) -> dict[int, WindowEvents] | None:
    """Per shift ``d``: the events of the period that are still in it ``d`` seconds on."""
    windows = {slo.period - shift for shift in shifts if shift < slo.period}
    probe = replace(slo, windows=tuple(sorted({*slo.windows, *windows})))
    run = await evaluate((probe,))
    result = run.results.get(slo.name)
    if result is None:
        return None
    empty = WindowEvents(good=0.0, total=0.0)
    return {
        shift: result.windows[slo.period - shift].events if shift < slo.period else empty
        for shift in shifts
    }
