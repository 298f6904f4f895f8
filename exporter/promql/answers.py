"""Reading a PromQL HTTP API's answers: the ``data`` object, instant values, series.

Every answer is checked before a number leaves here: HTTP status, JSON shape,
the API's own error object, the result type and each sample. What does not
fit becomes a :class:`~exporter.errors.BackendError` whose message names the
backend by its safe URL and quotes at most ~200 characters of the body, with
every secret blanked out (:class:`Voice`).

An answer over :data:`LARGE_ANSWER` bytes is read in a worker thread
(:func:`off_the_loop`), and its JSON is decoded in pieces (:func:`_pieces`):
``json.loads`` holds the GIL for the whole document (a 7 MB range answer:
0.3 s), which would stall the event loop even from a thread; decoding one
result element at a time hands the GIL back between elements.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import gc
import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from exporter.errors import (
    BackendError,
    BackendHTTPError,
    BackendResponseError,
    BackendTimeout,
    QueryError,
)
from exporter.settings import safe_url

T = TypeVar("T")
Labels = dict[str, str]
"""A series' labels as the API gives them, the metric name under ``__name__``."""
_CLIP = 200
_QUERY_ERROR_STATUSES = frozenset({400, 422})
LARGE_ANSWER = 64 * 1024
"""Bytes above which an answer is read off the event loop, its JSON in pieces. Below,
parsing takes less than a millisecond or two: cheaper than a hop to a thread."""


@dataclass(frozen=True)
class QueryValue:
    """A query's value (the sum of its samples) and how many series it had (0: none matched)."""

    value: float
    series: int


@dataclass(frozen=True)
class Voice:
    """How messages about one backend speak: its safe URL, its secrets blanked."""

    where: str
    secrets: tuple[str, ...]

    def clip(self, text: str) -> str:
        """``text`` on one line, secrets blanked, cut to about 200 characters."""
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        # Secrets are gone from the whole text; only its start is tidied and quoted.
        text = " ".join(text[: 8 * _CLIP].split())
        return text if len(text) <= _CLIP else text[:_CLIP] + "…"


class _CollectorPause:
    """The cyclic garbage collector off while any thread is inside :meth:`held`.

    Decoding a big answer allocates hundreds of thousands of containers, which sets
    off full collections of the whole heap: each holds the GIL, the event loop's
    thread with it, for tens of milliseconds. An answer makes no reference cycles;
    reference counting frees it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._was_enabled = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The collector stays off until the last holder leaves, then is as it was."""
        with self._lock:
            if self._holders == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._was_enabled:
                    gc.enable()


_COLLECTOR_PAUSE = _CollectorPause()
_READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slo-exporter-answers")
"""Threads of their own for big answers: with ``evaluation.concurrency`` (16) of them in
flight they would take every thread of the event loop's default pool, and ``/metrics``
rendering would queue behind them. Two is enough: the GIL lets one decode at a time."""


async def off_the_loop(work: Callable[[], T]) -> T:
    """``work()`` in an answer-reading thread, the cyclic collector paused meanwhile."""

    def paused() -> T:
        with _COLLECTOR_PAUSE.held():
            return work()

    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        _READERS, functools.partial(context.run, paused)
    )


def api_data(voice: Voice, status: int, location: str, body: bytes) -> dict[str, Any]:
    payload = _json(body)
    if status != 200:
        raise _http_error(voice, status, location, body, payload)
    if not isinstance(payload, dict):
        what = "not JSON" if payload is None else "not a JSON object"
        raise BackendResponseError(
            f"unexpected answer from {voice.where} ({what}): {voice.clip(_text(body))}"
        )
    if payload.get("status") == "error":
        raise QueryError(_api_error(voice, payload))
    data = payload.get("data")
    if payload.get("status") != "success" or not isinstance(data, dict):
        raise BackendResponseError(
            f"unexpected JSON from {voice.where}, no status/data: {voice.clip(_text(body))}"
        )
    return data


def _http_error(
    voice: Voice, status: int, location: str, body: bytes, payload: object
) -> BackendError:
    if isinstance(payload, dict) and payload.get("status") == "error":
        message = _api_error(voice, payload)
        if payload.get("errorType") == "timeout":
            return BackendTimeout(f"{voice.where} gave up: {message}")
        if status in _QUERY_ERROR_STATUSES:
            return QueryError(message)
        return BackendHTTPError(f"HTTP {status} from {voice.where}: {message}", status=status)
    if 300 <= status < 400:
        target = voice.clip(safe_url(location)) if location else "?"
        return BackendHTTPError(
            f"HTTP {status} from {voice.where}: redirected to {target};"
            " set backend.url to the final address",
            status=status,
        )
    return BackendHTTPError(
        f"HTTP {status} from {voice.where}: {voice.clip(_text(body))}", status=status
    )


def _api_error(voice: Voice, payload: dict[str, Any]) -> str:
    error_type = payload.get("errorType") or "error"
    return voice.clip(f"{error_type}: {payload.get('error') or 'no message'}")


def instant_value(voice: Voice, data: dict[str, Any]) -> QueryValue:
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        value, series = _sample(voice, result), 1
    elif kind == "vector" and isinstance(result, list):
        # Each sample is checked, so +Inf and -Inf cannot cancel out into NaN.
        value = sum(finite(vector_sample(voice, s)) for s in result)
        series = len(result)
    elif kind in ("matrix", "string"):
        raise BackendResponseError(
            f"the query gave a {kind} result; it must give an instant vector or a scalar"
        )
    else:
        raise BackendResponseError(
            f"unexpected result from {voice.where}: {voice.clip(json.dumps(data))}"
        )
    return QueryValue(finite(value), series)


def vector_series(voice: Voice, data: dict[str, Any]) -> list[tuple[Labels, float]]:
    """Each sample of an instant vector with its labels; any other result is an error."""
    result = data.get("result")
    if data.get("resultType") != "vector" or not isinstance(result, list):
        raise BackendResponseError(
            f"the query gave a {data.get('resultType')} result, not an instant vector"
        )
    return [(series_labels(voice, s), finite(vector_sample(voice, s))) for s in result]


def matrix_series(
    voice: Voice, data: dict[str, Any]
) -> list[tuple[Labels, list[tuple[float, float]]]]:
    """Each series of a range answer with its ``(time, value)`` pairs."""
    result = data.get("result")
    if data.get("resultType") != "matrix" or not isinstance(result, list):
        raise BackendResponseError(
            f"the range query gave a {data.get('resultType')} result, not a matrix"
        )
    return [(series_labels(voice, s), range_samples(voice, s)) for s in result]


def vector_sample(voice: Voice, sample: object) -> float:
    if isinstance(sample, dict):
        if "histogram" in sample:
            raise BackendResponseError(
                "the query gave native histogram samples; it must give plain numbers"
            )
        return _sample(voice, sample.get("value"))
    raise BackendResponseError(f"unexpected vector sample: {voice.clip(json.dumps(sample))}")


def series_labels(voice: Voice, sample: object) -> Labels:
    metric = sample.get("metric") if isinstance(sample, dict) else None
    if isinstance(metric, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in metric.items()
    ):
        return dict(metric)
    raise BackendResponseError(f"unexpected series labels: {voice.clip(json.dumps(sample))}")


def range_samples(voice: Voice, series: dict[str, Any]) -> list[tuple[float, float]]:
    if "histograms" in series:
        raise BackendResponseError(
            "the query gave native histogram samples; it must give plain numbers"
        )
    values = series.get("values")
    if not isinstance(values, list):
        what = voice.clip(json.dumps(series))
        raise BackendResponseError(f"unexpected matrix series: {what}")
    # The fast path: a backfill reads millions of well-formed pairs.
    try:
        out = [(float(stamp), float(value)) for stamp, value in values]
    except (TypeError, ValueError):
        return _checked_samples(voice, values)
    if any(type(s) not in _NUMBERS or type(v) is bool for s, v in values) or not all(
        math.isfinite(v) for _, v in out
    ):
        return _checked_samples(voice, values)
    return out


def _checked_samples(voice: Voice, values: list[Any]) -> list[tuple[float, float]]:
    """Each pair checked on its own: the error names the first bad one."""
    out: list[tuple[float, float]] = []
    for pair in values:
        value = finite(_sample(voice, pair))
        stamp = pair[0]
        if not isinstance(stamp, int | float) or isinstance(stamp, bool):
            raise BackendResponseError(f"unexpected sample time: {voice.clip(json.dumps(pair))}")
        out.append((float(stamp), value))
    return out


def _sample(voice: Voice, pair: object) -> float:
    """The value of a ``[timestamp, "value"]`` pair."""
    if isinstance(pair, list) and len(pair) == 2:
        raw = pair[1]
        if isinstance(raw, str | int | float) and not isinstance(raw, bool):
            with contextlib.suppress(ValueError):
                return float(raw)
    raise BackendResponseError(f"unexpected sample: {voice.clip(json.dumps(pair))}")


_NUMBERS = (int, float)


def finite(value: float) -> float:
    if math.isnan(value):
        raise QueryError("query returned NaN")
    if math.isinf(value):
        raise QueryError(f"query returned {'+' if value > 0 else '-'}Inf")
    return value


def _json(body: bytes) -> object:
    """The parsed body, or None when it is not JSON (nesting too deep included)."""
    try:
        if len(body) <= LARGE_ANSWER:
            return json.loads(body)
        text = body.decode(json.detect_encoding(body), "surrogatepass")
        return _pieces(text)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError are ValueErrors
        return None


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
_SPLIT_DEPTH = 3
"""Containers nested less deeply than this are walked, the rest decoded whole: the
answer object (0), ``data`` (1), ``result`` (2) are walked; each sample or series (3)
is one call of the C decoder."""


def _pieces(text: str) -> object:
    """``json.loads(text)``, decoded in pieces so that another thread may run in between."""
    value, end = _piece(text, _skip(text, 0), 0)
    if _skip(text, end) != len(text):
        raise ValueError(f"extra data at character {end}")
    return value


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _piece(text: str, at: int, depth: int) -> tuple[object, int]:
    """The value starting at ``at`` (no whitespace before it) and where it ends."""
    opener = text[at : at + 1]
    if depth < _SPLIT_DEPTH and opener in ("[", "{"):
        return _container(text, at, depth)
    return _DECODER.raw_decode(text, at)


def _container(text: str, at: int, depth: int) -> tuple[object, int]:
    """The array or object starting at ``at``, each member decoded on its own."""
    is_object = text[at] == "{"
    closer = "}" if is_object else "]"
    items: list[object] = []
    members: dict[str, object] = {}
    at = _skip(text, at + 1)
    if text.startswith(closer, at):
        return (members if is_object else items), at + 1
    while True:
        if is_object:
            if not text.startswith('"', at):
                raise ValueError(f"expected a name at character {at}")
            name, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if not text.startswith(":", at):
                raise ValueError(f"expected ':' at character {at}")
            members[name], at = _piece(text, _skip(text, at + 1), depth + 1)
        else:
            item, at = _piece(text, at, depth + 1)
            items.append(item)
        at = _skip(text, at)
        if text.startswith(closer, at):
            return (members if is_object else items), at + 1
        if not text.startswith(",", at):
            raise ValueError(f"expected ',' or {closer!r} at character {at}")
        at = _skip(text, at + 1)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace") if body else "(empty body)"
