"""The ``dashboard`` subcommand: write the Grafana dashboards as JSON files.

::

    slo-exporter dashboard [-c FILE] [-o DIR]

Without ``-c`` it writes the generic dashboards (``slo-overview.json``,
``slo-detail.json``), which work for any config through their variables;
the repository's ``grafana/dashboards`` is exactly this output. With ``-c``
it writes variants for that config: the overview with a burn-rate column per
window the SLOs use, and one detail dashboard pinned to each SLO
(``slo-detail-<name>.json``). Existing files of the same names are replaced;
others are left alone.

Exit codes: 0 written; 1 the config is invalid or a file cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from exporter.config.loader import load_config
from exporter.dashboards.generate import JSON, config_dashboards, generic_dashboards
from exporter.errors import ConfigError

DEFAULT_OUTPUT = Path("grafana/dashboards")
EXIT_FAILED = 1


def register(subparsers: Any) -> None:
    """Add the ``dashboard`` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "dashboard",
        help="write Grafana dashboards as JSON",
        description=(
            "Write the Grafana dashboards. Without -c: the generic overview and detail "
            "dashboards, for any config. With -c: variants for that config, including one "
            "detail dashboard per SLO."
        ),
    )
    parser.add_argument(
        "-c", "--config", type=Path, default=None,
        help="SLO config file to tailor the dashboards to (default: generic dashboards)",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", type=Path, default=DEFAULT_OUTPUT,
        help=f"directory for the JSON files, created if missing (default: {DEFAULT_OUTPUT})",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Generate the dashboards ``args`` ask for and write them to ``args.output``."""
    if args.config is None:
        dashboards = generic_dashboards()
    else:
        try:
            settings = load_config(args.config)
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return EXIT_FAILED
        dashboards = config_dashboards(settings.slos)
    output: Path = args.output
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name, dashboard in dashboards.items():
            (output / name).write_text(render(dashboard), encoding="utf-8")
            print(output / name)
    except OSError as exc:
        print(f"{output}: cannot write the dashboards: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def render(dashboard: JSON) -> str:
    """A dashboard as the JSON text Grafana reads: sorted keys, so regenerating diffs cleanly."""
    return json.dumps(dashboard, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
