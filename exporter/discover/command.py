"""The ``discover`` subcommand: a config for the services a backend's series show.

::

    slo-exporter discover --backend URL [--match 'job=~"api.*"'] [--template api|data_pipeline]
                          [--last 28d] [--at T] [-o FILE]

Exit codes: 0 written; 1 the file cannot be written; 2 bad usage; 3 the
backend cannot be reached or fails; 4 no series match (or none fits a
template); 5 the span reaches beyond the backend's retention.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from exporter.command_run import write_output
from exporter.discover import probe
from exporter.discover.render import Planned, render
from exporter.discover.shapes import classify
from exporter.discover.suggestions import load_text, plan_services
from exporter.domain.durations import format_duration, parse_duration
from exporter.errors import BackendError, ConfigError, SLOExporterError
from exporter.promql.client import PromQLClient
from exporter.promql.gate import QueryGate
from exporter.promql.selectors import parse_selector
from exporter.report.build import rfc3339
from exporter.settings import BackendSettings, safe_url

EXIT_WRITE = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
EXIT_NO_SERIES = 4
EXIT_RETENTION = 5
TEMPLATES = ("api", "data_pipeline")
STEP = 60


class DiscoverError(SLOExporterError):
    """Nothing to write (one line), with the exit code that says why."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _span(text: str) -> int:
    try:
        seconds = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 28d") from None
    if seconds < 3600:
        raise argparse.ArgumentTypeError(f"--last {text}: suggestions need at least 1h")
    return seconds


def _match(text: str) -> str:
    try:
        parse_selector(f"up{{{text}}}")
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--match {text!r}: {err}") from None
    return text


def register(subparsers: Any, parse_time: Callable[[str], float]) -> None:
    """Add the ``discover`` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "discover",
        help="write a config for the services found in a backend",
        description=(
            "Find services and their instrumentation in a PromQL backend (request counters "
            "with a status label, latency histograms, batch record counters), pick the "
            "template that fits and suggest objectives from what the last span achieved."
        ),
    )
    parser.add_argument("--backend", required=True, help="the backend's URL")
    parser.add_argument("--match", type=_match, help='label matchers, e.g. job=~"api.*"')
    parser.add_argument("--template", choices=TEMPLATES, help="only services of this template")
    parser.add_argument("--last", type=_span, default=28 * 86400, help="history to judge by")
    parser.add_argument("--at", type=parse_time, help="end of that history (default: now)")
    parser.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")


def _header(args: argparse.Namespace, start: int, at: int) -> list[str]:
    return [
        f"# Written by slo-exporter discover from {safe_url(args.backend)}"
        + (f" (series matching {args.match})" if args.match else "") + ".",
        f"# Judged by the last {format_duration(args.last)}: {rfc3339(start)} to {rfc3339(at)}.",
        "backend:",
        f"  url: {json.dumps(safe_url(args.backend))}",
    ]  # fmt: skip


async def _discover(args: argparse.Namespace, at: int) -> str:
    start = at - args.last
    async with aiohttp.ClientSession() as session:
        gate = QueryGate(PromQLClient(session, BackendSettings(url=args.backend)), 8)
        found = await probe.label_sets(gate, args.match, at)
        if not found:
            where = f" matching {args.match}" if args.match else ""
            raise DiscoverError(f"the backend has no series{where} at {rfc3339(at)}", 4)
        native = await probe.native_histograms(gate, {s["__name__"] for s in found}, at)
        discovery = classify(found, native)
        services = [s for s in discovery.services if args.template in (None, s.template)]
        if not services:
            raise DiscoverError(
                f"none of the {len(found)} series groups found fits "
                f"{'template ' + args.template if args.template else 'a template'}: "
                + "; ".join(discovery.unknown[:3]), 4,
            )  # fmt: skip
        selectors = [s.requests or (s.records or ("",))[0] for s in services]
        if await probe.first_hour_empty(gate, selectors, start):
            raise DiscoverError(
                f"--last {format_duration(args.last)} reaches back to {rfc3339(start)}, "
                "beyond the backend's retention (no samples of the services found in its "
                "first hour): choose a shorter --last", 5,
            )  # fmt: skip
        planned = [Planned(s, notes=s.found()) for s in services]
        header = _header(args, start, at)
        await plan_services(gate, planned, header, args.last, at)
        text = render(header, planned, discovery.unknown)
        await asyncio.to_thread(load_text, text)  # it loads unchanged, or ConfigError
        return text


def run(args: argparse.Namespace) -> int:
    """Discover, check the config loads unchanged, write it."""
    at = int(time.time() if args.at is None else args.at) // STEP * STEP
    try:
        text = asyncio.run(_discover(args, at))
    except DiscoverError as err:
        print(f"discover: {err}", file=sys.stderr)
        return err.code
    except BackendError as err:
        print(f"discover: {err} (query {err.query})", file=sys.stderr)
        return EXIT_BACKEND
    except ConfigError as exc:  # a discovered name the config format refuses
        print(f"discover: the config written would not load: {exc.problems[0]}", file=sys.stderr)
        return EXIT_NO_SERIES
    return write_output(text, args.output, "config", EXIT_WRITE)
