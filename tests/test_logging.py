"""Every line the process logs, the libraries' included, is in the chosen format."""

from __future__ import annotations

import errno
import io
import json
import logging
import warnings
from collections.abc import Iterator

import pytest

from exporter import logs


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """JSON log lines into a buffer; console logging to stderr again afterwards."""
    stream = io.StringIO()
    logs.configure("json", "info", stream=stream)
    yield stream
    logs.configure("console", "info")


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_flood_of_one_library_error_is_a_few_json_lines_without_traceback(json_log):
    """asyncio's "out of system resource" error, repeated 500 times (what fd exhaustion
    does), is written a few times as one JSON line each, its OSError as one ``error``."""
    for _ in range(500):
        try:
            raise OSError(errno.EMFILE, "Too many open files")
        except OSError as err:
            logging.getLogger("asyncio").error(
                "socket.accept() out of system resource", exc_info=err
            )
    written = lines(json_log)
    assert 1 <= len(written) <= logs.REPEATS
    assert written[0]["logger"] == "asyncio"
    assert written[0]["error"] == "OSError: [Errno 24] Too many open files"
    assert "Traceback" not in json_log.getvalue()


def test_library_lines_follow_the_log_level(json_log):
    """--log-level applies to the libraries' records as to the exporter's own."""
    logs.configure("json", "error", stream=json_log)
    logging.getLogger("aiohttp.server").warning("a warning below the level")
    logging.getLogger("aiohttp.server").error("an error at the level")
    assert [line["event"] for line in lines(json_log)] == ["an error at the level"]


def test_a_python_warning_is_one_json_line(json_log):
    """A Python warning (a library's deprecation, say) is a JSON line, not two raw lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("something is deprecated", DeprecationWarning, stacklevel=1)
    (line,) = lines(json_log)
    assert line["logger"] == "py.warnings"
    assert "something is deprecated" in str(line["event"])
