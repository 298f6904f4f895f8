"""The ``backtest`` subcommand: the config's alert conditions over a past period.

::

    slo-exporter backtest -c FILE [--slo NAME]... [--period 2026-11 | --last 30d |
                          --from T --to T] [--step 5m] [--format table|json] [-o FILE]

Exit codes: 0 written; 1 the config is invalid or the file cannot be
written; 2 bad usage (period or step options, no SLO selected); 3 the
backend failed or does not hold the period.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exporter.backtest.output import to_json, to_table
from exporter.backtest.replay import Backtest, BacktestError, check_period, run_backtest
from exporter.command_run import (
    EXIT_CONFIG,
    EXIT_USAGE,
    backend_slos,
    refuse_scrape,
    run_folded,
    write_output,
)
from exporter.domain.durations import format_duration, parse_duration
from exporter.report import period
from exporter.report.build import ReportError
from exporter.settings import Settings

FORMATS: dict[str, Callable[[Backtest], str]] = {"table": to_table, "json": to_json}


def _step(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 5m") from None


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share of the budget from 0 to 1")
    return value


def register(subparsers: Any, parse_time: Callable[[str], float], config_help: str) -> None:
    """Add the ``backtest`` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "backtest",
        help="replay the config's alert conditions over a past period",
        description=(
            "Evaluate each SLO's burn-rate alert conditions at every evaluation time of a "
            "past period: the alerts that would have fired, the incidents the report finds, "
            "which alert caught each and when, precision and recall. Default period: the "
            "last completed calendar month in UTC."
        ),
    )
    parser.add_argument("-c", "--config", type=Path, required=True, help=config_help)
    parser.add_argument("--slo", action="append", default=[], help="only this SLO")
    period.add_options(parser, parse_time)
    parser.add_argument(
        "--step", type=_step, default=None,
        help="evaluate every STEP (default: evaluation.interval; coarser only)",
    )  # fmt: skip
    parser.add_argument(
        "--min-incident-budget", dest="min_share", type=_share, default=None, metavar="RATIO",
        help="count incidents that spent at least this share of a period's budget (default: "
        "the least any of the SLO's alert conditions is tuned to notice; 0: every one)",
    )  # fmt: skip
    parser.add_argument("--format", choices=list(FORMATS), default="table")
    parser.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")


def _usage(settings: Settings, args: argparse.Namespace) -> tuple[int, str, list[str]] | str:
    """(step, where it came from, the SLOs to replay), or the one-line reason why not."""
    interval = settings.evaluation.interval
    if args.step is not None and args.step < interval:
        return (
            f"--step {format_duration(args.step)} is finer than evaluation.interval "
            f"{format_duration(interval)}: the exporter never evaluates more often"
        )
    known = [s.name for s in settings.slos]
    shaped = {s.name for s in settings.slos if s.grouping is not None or s.sli_is_composite}
    for name in args.slo:
        if name not in known:
            return f"--slo {name}: no such SLO in {args.config}"
        if name in shaped:
            return f"--slo {name}: backtest does not replay grouped or composite SLOs yet"
    names = [n for n in known if (not args.slo or n in args.slo) and n not in shaped]
    if not names:
        return f"{args.config}: no SLO to replay (grouped and composite SLOs are not replayed yet)"
    if args.step is None:
        return interval, "evaluation.interval", names
    return args.step, "--step", names


async def _replay(
    settings: Settings,
    args: argparse.Namespace,
    names: list[str],
    window: tuple[int, int],
    step: tuple[int, str],
) -> Backtest:
    async with backend_slos(settings, names) as (gate, slos):
        return await run_backtest(gate, slos, *window, *step, args.min_share)


def _build(settings: Settings, args: argparse.Namespace) -> Backtest | int:
    """The backtest, or the exit code after printing why there is none."""
    try:
        start, end = period.from_options(args)
    except ValueError as err:
        print(f"backtest: {err}", file=sys.stderr)
        return EXIT_USAGE
    usage = _usage(settings, args)
    if isinstance(usage, str):
        print(f"backtest: {usage}", file=sys.stderr)
        return EXIT_USAGE
    step, source, names = usage
    try:
        check_period([s for s in settings.slos if s.name in names], start, end, step)
    except BacktestError as err:
        print(f"backtest: {err}", file=sys.stderr)
        return EXIT_USAGE
    replay = _replay(settings, args, names, (start, end), (step, source))
    return run_folded("backtest", replay, (ReportError,))


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Replay what ``args`` ask for and write it to ``args.output`` or stdout."""
    if refuse_scrape(settings, args.config, "backtest"):
        return EXIT_CONFIG
    backtest = _build(settings, args)
    if isinstance(backtest, int):
        return backtest
    return write_output(FORMATS[args.format](backtest), args.output, "backtest", EXIT_CONFIG)
