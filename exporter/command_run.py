"""What the commands that read a past period share: their errors as one line each, and
their text written to ``-o FILE`` or stdout.

``report`` and ``backtest`` refuse a scraped source the same way
(:func:`refuse_scrape`), compile the SLOs they read the same way
(:func:`backend_slos`) and fold errors the same way: a config error prints its problems
(exit 1), an error of the command itself prints ``COMMAND: message`` and a backend error
also names the query it sent (exit 3). ``discover`` keeps its own exit codes but writes
its output the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Collection, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from exporter.errors import BackendError, ConfigError
from exporter.pipeline.compiled import CompiledSLO
from exporter.pipeline.generation import build_generation
from exporter.promql.gate import QueryGate
from exporter.settings import Settings

EXIT_CONFIG = 1
EXIT_USAGE = 2
EXIT_FAILED = 3

T = TypeVar("T")


def refuse_scrape(settings: Settings, config: object, command: str) -> bool:
    """Whether ``settings`` scrape their events (nothing to read a past period from);
    True after printing so."""
    if settings.scrape is None:
        return False
    print(f"{config}: {command} needs a 'backend:' config to read", file=sys.stderr)
    return True


@contextlib.asynccontextmanager
async def backend_slos(
    settings: Settings, names: Collection[str]
) -> AsyncIterator[tuple[QueryGate, list[CompiledSLO]]]:
    """The backend's query gate and the SLOs named ``names``, compiled, for as long as
    the block runs (``settings`` read a backend: see :func:`refuse_scrape`)."""
    async with aiohttp.ClientSession() as session:
        generation = build_generation(settings, session)
        assert generation.gate is not None  # refuse_scrape() kept scraped sources out
        yield generation.gate, [s for s in generation.slos if s.name in names]


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
