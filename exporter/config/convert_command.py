"""``slo-exporter convert -c PATH``: print the native config (or OpenSLO) any input makes.

``PATH`` is a file or a directory whose ``*.yaml``/``*.yml`` files are read
together: native, OpenSLO v1, Sloth and Pyrra documents, mixed as ``-c``
allows (:mod:`exporter.config.inputs`). Secret header values are printed
as ``<redacted>``, as ``show`` prints them. ``--backend-url`` gives the backend
when no file does (Sloth and Pyrra name none). The result is checked like a
config before it is printed; problems go to stderr, one line each, and the
exit code is 1.

``--to openslo`` prints OpenSLO v1 documents instead
(:mod:`exporter.openslo.export`): read back, they give the same SLOs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from exporter.config.inputs import FORMAT_NAMES, convert_inputs, formats
from exporter.config.loader import without_secrets
from exporter.config.openslo_input import check_native, load_converted
from exporter.errors import ConfigError
from exporter.openslo import Converted, convert_located, read_openslo, to_yaml
from exporter.openslo.dump import dump_documents
from exporter.openslo.export import to_openslo

EXIT_CONFIG = 1


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``convert`` to ``subparsers`` (from ``ArgumentParser.add_subparsers``).

    The parsed arguments carry ``handler``: call ``args.handler(args)`` for
    the exit code.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "convert",
        help="print the native config (or OpenSLO) equivalent to any input",
        description=(
            "Print the native slo-exporter config equivalent to native, OpenSLO v1, Sloth "
            "or Pyrra files, or (--to openslo) the OpenSLO v1 documents of a config."
        ),
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        required=True,
        help="a config file, or a directory of *.yaml/*.yml files",
    )
    parser.add_argument(
        "--to",
        choices=["native", "openslo"],
        default="native",
        help="the format to print (default: native)",
    )
    parser.add_argument(
        "--backend-url",
        help="the PromQL API to use when no file gives a backend (Sloth and Pyrra give none)",
    )
    parser.set_defaults(handler=run)
    return parser


def _converted(path: Path, backend_url: str | None) -> tuple[Converted, list[str], str]:
    """The input as a native config, the files it was read from and its formats' names."""
    sources = read_openslo(path)
    found = formats(sources)
    if found <= {"openslo"} and backend_url is None:
        converted = convert_located(sources)
    else:
        converted = convert_inputs(sources, backend_url)
    check_native(converted)
    names = [name for kind, name in FORMAT_NAMES.items() if kind in found]
    files = list(dict.fromkeys(source for source, _ in sources))
    return converted, files, " and ".join(names) or "OpenSLO"


def run(args: argparse.Namespace) -> int:
    """Convert ``args.config`` and print it; 1 (problems on stderr) if it cannot be used."""
    try:
        converted, files, names = _converted(args.config, args.backend_url)
        if args.to == "openslo":
            documents, findings = to_openslo(load_converted(converted, args.config))
            if findings:
                raise ConfigError(converted.report(findings))
            text = dump_documents(documents)
        else:
            text = to_yaml(without_secrets(converted.config), files, names)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    sys.stdout.write(text)
    return 0
