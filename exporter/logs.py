"""structlog setup: JSON lines in containers, readable lines on a terminal.

Events are short snake_case names with key/value context
(``evaluated slos=4 queries=64``). A last processor replaces every known
secret value with ``<redacted>``, whatever field it slipped into.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any, TextIO, cast

import structlog

REDACTED = "<redacted>"
_secrets: list[str] = []


def add_secrets(values: Iterable[str]) -> None:
    """Remember secret values (auth headers, URL passwords) that must never appear in a
    log line. Each config generation adds its own; those of earlier generations stay
    redacted, since a line about the old config may still be written after a reload."""
    known = {*_secrets, *(v for v in values if v)}
    _secrets[:] = sorted(known, key=len, reverse=True)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def redact_secrets(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: scrub secret values from every field."""
    if not _secrets:
        return event
    return {key: _scrub(value) for key, value in event.items()}


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at write time (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure(fmt: str = "auto", level: str = "info", stream: Any = None) -> None:
    """Set up structlog; ``fmt`` is ``json``, ``console`` or ``auto`` (console on a TTY)."""
    out = stream if stream is not None else _CurrentStderr()
    if fmt == "auto":
        fmt = "console" if out.isatty() else "json"
    renderer: Callable[..., Any]
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, out)),
        cache_logger_on_first_use=False,
    )
