"""What the commands that read a past period share: their errors as one line each, and
their text written to ``-o FILE`` or stdout.

``report`` and ``backtest`` fold errors the same way: a config error prints its problems
(exit 1), an error of the command itself prints ``COMMAND: message`` and a backend error
also names the query it sent (exit 3). ``discover`` keeps its own exit codes but writes
its output the same way.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from exporter.errors import BackendError, ConfigError

EXIT_CONFIG = 1
EXIT_FAILED = 3

T = TypeVar("T")


def run_folded(
    command: str, work: Coroutine[Any, Any, T], plain: tuple[type[Exception], ...]
) -> T | int:
    """``work``'s result, or the exit code after printing its error in one line per problem.

    ``plain`` are the command's own errors, printed as ``COMMAND: message``."""
    try:
        return asyncio.run(work)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    except plain as err:
        print(f"{command}: {err}", file=sys.stderr)
    except BackendError as err:
        print(f"{command}: {err} (query {err.query})", file=sys.stderr)
    return EXIT_FAILED


def write_output(text: str, output: Path | None, what: str, failed: int) -> int:
    """Write ``text`` to ``output`` (stdout when None): exit code 0, or ``failed`` after
    printing ``FILE: cannot write the WHAT: reason``."""
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"{output}: cannot write the {what}: {exc.strerror or exc}", file=sys.stderr)
        return failed
    return 0
