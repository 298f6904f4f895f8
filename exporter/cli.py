"""The ``slo-exporter`` command: run, eval, validate.

Exit codes: 0 success; 1 the config is invalid; 2 bad command-line usage;
3 ``eval`` could not evaluate at least one SLO (backend errors); 4 ``run``
cannot use its ``--data-dir`` (history store damaged, foreign or in use);
5 ``run`` cannot listen on its ``--web.listen-address`` (port taken, no such
local address); 6 ``run`` cannot write its data directory. ``healthcheck`` exits 0
when /healthz answers at that address, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import structlog
import yaml

from exporter import __version__, decide_command, healthcheck, logs
from exporter.app import create_app
from exporter.backtest import command as backtest_command
from exporter.config import convert_command
from exporter.config.loader import effective_config, load_config
from exporter.config.schema import config_schema
from exporter.connections import fitting_cap, open_file_limit
from exporter.counters import Counters
from exporter.dashboards import command as dashboard_command
from exporter.data_dir import DataDirError, check_writable, default_data_dir
from exporter.discover import command as discover_command
from exporter.errors import ConfigError
from exporter.eval_output import to_json, to_table
from exporter.http_server import ListenError, bind, serve
from exporter.listen_address import default_listen, default_web_config, parse_listen
from exporter.pipeline.cycle import EvaluationRun, Pipeline
from exporter.pipeline.generation import build_generation, secrets_of
from exporter.report import command as report_command
from exporter.rules import command as rules_command
from exporter.settings import Settings
from exporter.shard import Shard, parse_shard
from exporter.store.file_format import StoreError
from exporter.store.history import HistoryStore
from exporter.web_config import WebConfigError, load_web_config
from exporter.web_security import WebSecurity

CONFIG_HELP = "config file (native, OpenSLO, Sloth or Pyrra), or a directory of them"
EXIT_CONFIG = 1
EXIT_EVAL_FAILED = 3
EXIT_STORE = 4
EXIT_LISTEN = 5
EXIT_DATA_DIR = 6


def parse_time(text: str) -> float:
    """``--at``: unix seconds or an RFC 3339 timestamp (``2026-11-27T12:00:00Z``)."""
    with contextlib.suppress(ValueError):
        return float(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither unix seconds nor an RFC 3339 time like 2026-11-27T12:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or +HH:MM")
    return parsed.timestamp()


def parse_max_connections(text: str) -> int:
    """``--web.max-connections``: a whole number, at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of connections >= 1")
    return int(text)


def parse_shard_arg(text: str) -> Shard:
    """``--shard``: ``I/N``, this replica's index and the number of replicas."""
    try:
        return parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_run_parser(sub: Any) -> None:
    """The ``run`` subcommand's arguments."""
    run = sub.add_parser("run", help="serve /metrics, evaluating on an interval")
    run.add_argument("-c", "--config", type=Path, required=True, help=CONFIG_HELP)
    run.add_argument(
        "--web.listen-address", "--listen", dest="listen", type=parse_listen,
        default=default_listen(), metavar="HOST:PORT",
        help="address to serve on (default: $SLO_EXPORTER_LISTEN_ADDRESS, else :9099, "
        "every IPv4 interface)",
    )  # fmt: skip
    run.add_argument(
        "--web.max-connections", dest="max_connections", type=parse_max_connections,
        default=None, metavar="N",
        help="open HTTP connections at most; at the limit the longest idle one is closed "
        "(default 512, less when the open-file limit is low)",
    )  # fmt: skip
    store = run.add_mutually_exclusive_group()
    store.add_argument(
        "--data-dir", type=Path, default=None,
        help="keep the history store here (default: $SLO_EXPORTER_DATA_DIR, else "
        "$XDG_STATE_HOME/slo-exporter, else ~/.local/state/slo-exporter)",
    )  # fmt: skip
    store.add_argument(
        "--no-store", action="store_true",
        help="keep no history: every window of every SLO is a query, every cycle",
    )  # fmt: skip
    run.add_argument(
        "--web.config.file", dest="web_config", type=Path, default=default_web_config(),
        metavar="FILE", help="TLS, basic auth and headers, in exporter-toolkit's web config "
        "format (re-read when it changes; default: $SLO_EXPORTER_WEB_CONFIG_FILE, else none)",
    )  # fmt: skip
    run.add_argument(
        "--shard", type=parse_shard_arg, default=Shard(),
        help="evaluate only shard I of N replicas' SLOs, e.g. 0/3 (default 0/1: all)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="slo-exporter",
        description="Turn SLI counters in a PromQL backend into error budgets on /metrics.",
    )
    parser.add_argument("--version", action="version", version=f"slo-exporter {__version__}")
    parser.add_argument(
        "--log-format", choices=["auto", "json", "console"], default="auto",
        help="log format (default: console on a terminal, JSON otherwise)",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], default="info"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    _add_run_parser(sub)

    ev = sub.add_parser("eval", help="evaluate once and print the result")
    ev.add_argument("-c", "--config", type=Path, required=True, help=CONFIG_HELP)
    ev.add_argument(
        "--at", type=parse_time, default=None,
        help="evaluation time: unix seconds or RFC 3339 (default: now)",
    )  # fmt: skip
    ev.add_argument("--format", choices=["json", "table"], default="table")

    val = sub.add_parser("validate", help="check a config file and exit")
    val.add_argument("-c", "--config", type=Path, required=True, help=CONFIG_HELP)

    show = sub.add_parser(
        "show", help="print the config as the exporter sees it (templates expanded)"
    )
    show.add_argument("-c", "--config", type=Path, required=True, help=CONFIG_HELP)

    sub.add_parser("schema", help="print the JSON Schema of the native config format")
    dashboard_command.register(sub)
    convert_command.register(sub)
    rules_command.register(sub)
    healthcheck.register(sub)
    decide_command.register(sub, parse_time)
    report_command.register(sub, parse_time, CONFIG_HELP)
    backtest_command.register(sub, parse_time, CONFIG_HELP)
    discover_command.register(sub, parse_time)
    return parser


def _load(path: Path) -> Settings | None:
    try:
        settings = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None
    logs.add_secrets(secrets_of(settings.backend))
    return settings


async def _evaluate(settings: Settings, at: float) -> EvaluationRun:
    async with aiohttp.ClientSession() as session:
        generation = build_generation(settings, session)
        built = Counters(session, None)
        counters = built.for_generation(generation)
        pipeline = Pipeline(generation.slos, counters, built.discovery(generation))
        return await pipeline.evaluate(at)


def cmd_eval(settings: Settings, config: Path, at: float | None, fmt: str) -> int:
    """Evaluate once at ``at`` (default now) and print JSON or a table; exit 3 if any SLO failed."""
    if settings.scrape is not None:
        print(
            f"{config}: source: scrape has no PromQL backend for eval to query; eval needs a "
            "'backend:' config (run scrapes the targets itself)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        run = asyncio.run(_evaluate(settings, time.time() if at is None else at))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    if fmt == "json":
        print(to_json(settings.slos, run))
    else:
        print(to_table(settings.slos, run, colour=sys.stdout.isatty()))
    log = structlog.get_logger("slo_exporter")
    for name, error in run.failures.items():
        log.error("slo_evaluation_failed", slo=name, reason=error.reason, error=str(error))
    return EXIT_EVAL_FAILED if run.failures else 0


def _connection_cap(wanted: int | None) -> int:
    """``--web.max-connections`` (default 512), lowered to fit the open-file limit."""
    fd_limit = open_file_limit()
    cap = fitting_cap(fd_limit, wanted)
    if wanted is not None and cap < wanted:
        structlog.get_logger("slo_exporter").warning(
            "max_connections_lowered", wanted=wanted, max_connections=cap, open_files=fd_limit
        )
    return cap


def _store_problem(
    settings: Settings, config: Path, data_dir: Path | None
) -> tuple[str, int] | None:
    """Why ``run`` cannot keep its store as asked (one line and the exit code), or None."""
    if settings.scrape is not None and data_dir is None:
        line = f"{config}: source: scrape keeps its history in a store: drop --no-store"
        return line, EXIT_CONFIG
    if data_dir is not None:
        try:
            check_writable(data_dir)
        except DataDirError as err:
            return str(err), EXIT_DATA_DIR
    return None


def cmd_run(
    settings: Settings,
    config: Path,
    listen: tuple[str, int],
    data_dir: Path | None = None,
    shard: Shard | None = None,
    max_connections: int | None = None,
    web_config: Path | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT; exit 5 when it cannot listen on ``listen``, 6 when it
    cannot write ``data_dir`` (None: no store), 4 when that holds no usable store, 1 when
    ``web_config`` cannot be used."""
    problem = _store_problem(settings, config, data_dir)
    if problem is not None:
        print(problem[0], file=sys.stderr)
        return problem[1]
    security = None
    if web_config is not None:
        try:
            security = WebSecurity(web_config, load_web_config(web_config))
        except WebConfigError as err:
            print(err, file=sys.stderr)
            return EXIT_CONFIG
    try:
        sockets = bind(*listen)
    except ListenError as err:
        print(err, file=sys.stderr)
        return EXIT_LISTEN
    store = None
    if data_dir is not None:
        try:
            store = HistoryStore.open(data_dir, deep_check=False)
        except StoreError as err:
            for sock in sockets:
                sock.close()
            print(err, file=sys.stderr)
            return EXIT_STORE
    damaged: list[StoreError] = []

    def stop(err: StoreError) -> None:
        damaged.append(err)
        os.kill(os.getpid(), signal.SIGTERM)  # serve stops cleanly on it

    app = create_app(
        settings,
        config_path=config,
        handle_signals=True,
        store=store,
        shard=shard,
        on_damaged_store=stop,
        web_security=security,
    )
    tls = security.tls if security is not None else None
    asyncio.run(serve(app, sockets, _connection_cap(max_connections), tls=tls))
    if damaged:
        print(damaged[0], file=sys.stderr)
        return EXIT_STORE
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the native config format."""
    print(json.dumps(config_schema(), indent=2))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print the config as the exporter sees it, templates expanded."""
    try:
        data = effective_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="")
    return 0


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    """Say the config is valid and how many SLOs it has."""
    print(f"{args.config}: OK, {len(settings.slos)} SLOs")
    return 0


_WITHOUT_CONFIG: dict[str, Callable[[argparse.Namespace], int]] = {
    "dashboard": dashboard_command.run,
    "convert": convert_command.run,
    "schema": cmd_schema,
    "show": cmd_show,
    "healthcheck": healthcheck.run,
    "discover": discover_command.run,
}
"""Commands that read no config, or read it their own way."""

_WITH_CONFIG: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "rules": rules_command.cmd_rules,
    "decide": decide_command.cmd_decide,
    "report": report_command.run,
    "backtest": backtest_command.run,
    "eval": lambda settings, args: cmd_eval(settings, args.config, args.at, args.format),
    "run": lambda settings, args: cmd_run(
        settings,
        args.config,
        args.listen,
        None if args.no_store else args.data_dir or default_data_dir(),
        args.shard,
        args.max_connections,
        args.web_config,
    ),
}
"""Commands that work on the loaded config."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slo-exporter`` console script."""
    args = build_parser().parse_args(argv)
    logs.configure(args.log_format, args.log_level)
    without = _WITHOUT_CONFIG.get(args.command)
    if without is not None:
        return without(args)
    settings = _load(args.config)
    if settings is None:
        return EXIT_CONFIG
    return _WITH_CONFIG[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
