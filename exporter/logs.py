"""Logging: every line the process writes, its libraries' included, in one format.

structlog renders JSON lines in containers and readable lines on a terminal. Events
are short snake_case names with key/value context (``evaluated slos=4 queries=64``).
The standard library's records (aiohttp, asyncio, warnings) go through the same
renderer (structlog's ``ProcessorFormatter``), so a JSON log holds nothing but JSON
lines. A library's line caused by a client or the system (a malformed request, a
reset connection, no file descriptor left) is one line: its exception becomes an
``error`` field, never a traceback, and the same library line is written at most
``REPEATS`` times per ``REPEAT_WINDOW`` seconds (the next one after a pause says how
many were left out). A last processor replaces every known secret value with
``<redacted>``, whatever field it slipped into.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

import structlog
from aiohttp.http_exceptions import HttpProcessingError

REDACTED = "<redacted>"
_secrets: list[str] = []

REPEATS = 5
REPEAT_WINDOW = 10.0
"""A library line (same logger, same message template) is written at most ``REPEATS``
times in ``REPEAT_WINDOW`` seconds."""

_ONE_LINE_ERRORS = (OSError, HttpProcessingError)
"""Exceptions a client or the system causes: logged as their message, without traceback."""


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


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())


def library_line(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor for the standard library's records: the message on one line,
    and an exception a client or the system caused as an ``error`` field instead of a
    traceback (a bug's traceback stays, as one JSON field)."""
    event["event"] = one_line(str(event.get("event", "")))
    exc_info = event.get("exc_info")
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if isinstance(error, _ONE_LINE_ERRORS):
        del event["exc_info"]
        event["error"] = one_line(f"{type(error).__name__}: {error}")
    return event


def client_error_is_warning(record: logging.LogRecord) -> bool:
    """Logger filter for aiohttp's server: a request the parser refused is the client's
    mistake, not the exporter's, so it is a warning (aiohttp logs it as an error)."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, HttpProcessingError) and record.levelno > logging.WARNING:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


class _Repeats(logging.Filter):
    """Lets the same library line (logger and message template) through at most
    ``REPEATS`` times per ``REPEAT_WINDOW`` seconds; the exporter's own lines all pass."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._windows: dict[tuple[str, str], list[float]] = {}
        """(logger, template) -> [window start, lines written, lines left out]"""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "_logger"):  # structlog's own events (wrap_for_formatter)
            return True
        now = self._clock()
        if len(self._windows) > 1000:  # templates with variable text: forget, stay small
            self._windows.clear()
        window = self._windows.setdefault((record.name, str(record.msg)), [now, 0, 0])
        if now - window[0] >= REPEAT_WINDOW:
            if window[2]:
                record.suppressed = int(window[2])
            window[:] = [now, 0, 0]
        window[1] += 1
        if window[1] > REPEATS:
            window[2] += 1
            return False
        return True


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at write time (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


_handler: logging.Handler | None = None
"""The root handler ``configure`` installed (replaced when it is called again)."""


def configure(fmt: str = "auto", level: str = "info", stream: Any = None) -> None:
    """Set up structlog and route the standard library's logging through it; ``fmt`` is
    ``json``, ``console`` or ``auto`` (console on a TTY)."""
    global _handler  # noqa: PLW0603 - one root handler per process
    out = stream if stream is not None else _CurrentStderr()
    if fmt == "auto":
        fmt = "console" if out.isatty() else "json"
    renderer: Callable[..., Any]
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    number = logging.getLevelNamesMapping()[level.upper()]
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.stdlib.ExtraAdder(allow=["suppressed"]),
                library_line,
            ],
            processors=[
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact_secrets,
                renderer,
            ],
        )
    )
    handler.addFilter(_Repeats())
    handler.setLevel(number)  # after the filter below lowered a record's level
    logging.getLogger("aiohttp.server").addFilter(client_error_is_warning)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(number)
    _handler = handler
    logging.captureWarnings(False)  # forget a hook someone swapped out since, then
    logging.captureWarnings(True)  # send Python warnings through the handler
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
