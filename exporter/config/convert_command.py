"""``slo-exporter convert -c PATH``: print the native config equivalent to OpenSLO files.

``PATH`` is an OpenSLO file (several documents separated by ``---`` are
fine) or a directory whose ``*.yaml``/``*.yml`` files are read together.
The result is checked against the native schema before it is printed;
problems go to stderr, one line each, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from exporter.config.openslo_input import check_native
from exporter.errors import ConfigError
from exporter.openslo import convert_located, read_openslo, to_yaml

EXIT_CONFIG = 1


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``convert`` to ``subparsers`` (from ``ArgumentParser.add_subparsers``).

    The parsed arguments carry ``handler``: call ``args.handler(args)`` for
    the exit code.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "convert",
        help="print the native config equivalent to OpenSLO files",
        description="Print the native slo-exporter config equivalent to OpenSLO v1 documents.",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        required=True,
        help="OpenSLO file, or a directory of *.yaml/*.yml files",
    )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Convert ``args.config`` and print it; 1 (problems on stderr) if it cannot be used."""
    try:
        sources = read_openslo(args.config)
        converted = convert_located(sources)
        check_native(converted)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    sys.stdout.write(to_yaml(converted.config, [source for source, _ in sources]))
    return 0
