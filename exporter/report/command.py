"""The ``report`` subcommand: SLO figures over a past period.

::

    slo-exporter report -c FILE [--service S]... [--slo NAME]...
                        [--period 2026-11 | --last 30d | --from T --to T]
                        [--format html|md|json] [-o FILE] [--data-dir DIR]

Exit codes: 0 written; 1 the config is invalid or the file cannot be
written; 2 bad usage (period options, no SLO selected); 3 the backend failed
or does not hold the period, or the ``--data-dir`` store is unusable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exporter.command_run import (
    EXIT_CONFIG,
    EXIT_USAGE,
    backend_slos,
    refuse_scrape,
    run_folded,
    write_output,
)
from exporter.pipeline.store_steps import StoreSteps
from exporter.report import period
from exporter.report.build import Report, ReportError, build_report
from exporter.report.documents import to_json, to_markdown
from exporter.report.html import to_html
from exporter.settings import Settings
from exporter.store.file_format import FILE_NAME, StoreError
from exporter.store.history import HistoryStore

FORMATS: dict[str, Callable[[Report], str]] = {"html": to_html, "md": to_markdown, "json": to_json}


def register(subparsers: Any, parse_time: Callable[[str], float], config_help: str) -> None:
    """Add the ``report`` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "report",
        help="SLO report over a past period (HTML, Markdown or JSON)",
        description=(
            "Report each SLO over a past period: SLI, budget, incidents, daily burn-down, "
            "the previous period, recommendations and a weekly-review block per service. "
            "Default period: the last completed calendar month in UTC."
        ),
    )
    parser.add_argument("-c", "--config", type=Path, required=True, help=config_help)
    parser.add_argument("--service", action="append", default=[], help="only this service")
    parser.add_argument("--slo", action="append", default=[], help="only this SLO")
    period.add_options(parser, parse_time)
    parser.add_argument("--format", choices=list(FORMATS), default="html")
    parser.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="read from this history store where it covers the period (default: the backend)",
    )  # fmt: skip


def _selected(settings: Settings, args: argparse.Namespace) -> set[str] | str:
    """The names of the SLOs to report, or the one-line reason none can be.

    Grouped and composite SLOs are not reported (their events are not one query pair).
    """
    known = {s.name for s in settings.slos}
    services = {s.service for s in settings.slos}
    shaped = {s.name for s in settings.slos if s.grouping is not None or s.sli_is_composite}
    for name in args.slo:
        if name not in known:
            return f"--slo {name}: no such SLO in {args.config}"
        if name in shaped:
            return f"--slo {name}: report does not cover grouped or composite SLOs yet"
    for name in args.service:
        if name not in services:
            return f"--service {name}: no SLO of {args.config} has this service"
    return {
        s.name
        for s in settings.slos
        if (not args.slo or s.name in args.slo)
        and (not args.service or s.service in args.service)
        and s.name not in shaped
    } or "--service and --slo together select no SLO (grouped and composite SLOs are not reported)"


async def _report(
    settings: Settings, names: set[str], start: int, end: int, data_dir: Path | None
) -> Report:
    if data_dir is not None and not (data_dir / FILE_NAME).is_file():
        raise ReportError(f"{data_dir}: no history store here (no {FILE_NAME}): nothing to read")
    store = None if data_dir is None else await asyncio.to_thread(HistoryStore.open, data_dir)
    try:
        async with backend_slos(settings, names) as (gate, slos):
            steps = None if store is None else StoreSteps(store)
            return await build_report(gate, slos, start, end, steps)
    finally:
        if store is not None:
            store.close()


def _build(settings: Settings, args: argparse.Namespace) -> Report | int:
    """The report, or the exit code after printing why there is none."""
    try:
        start, end = period.from_options(args)
    except ValueError as err:
        print(f"report: {err}", file=sys.stderr)
        return EXIT_USAGE
    names = _selected(settings, args)
    if isinstance(names, str):
        print(f"report: {names}", file=sys.stderr)
        return EXIT_USAGE
    report = _report(settings, names, start, end, args.data_dir)
    return run_folded("report", report, (ReportError, StoreError))


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Build the report ``args`` ask for and write it to ``args.output`` or stdout."""
    if refuse_scrape(settings, args.config, "report"):
        return EXIT_CONFIG
    report = _build(settings, args)
    if isinstance(report, int):
        return report
    return write_output(FORMATS[args.format](report), args.output, "report", EXIT_CONFIG)
