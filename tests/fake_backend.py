"""An in-process fake PromQL HTTP API, for fault injection.

It answers ``<prefix>/api/v1/query`` and ``query_range`` (GET or POST; a range
query gets the same answers, so give it a matrix ``dict``) on 127.0.0.1 and records
every request. What it answers is set by :attr:`FakeBackend.mode`, which
tests may flip at any time:

===============  ===========================================================
``ok``           ``answers[query]``, else ``default`` (a one-sample vector of 1)
``empty``        an empty vector
``hang``         nothing, until ``hang_seconds`` pass or the backend closes
``http500``      HTTP 500 with ``error_body`` as plain text
``malformed``    HTTP 200 with a body that is not JSON
``badshape``     HTTP 200 with JSON but no ``data``
``query_error``  the API's error JSON: HTTP 400, ``bad_data``, unless changed
``nan``          a one-sample vector whose value is ``"NaN"``
``garbage``      bytes that are not HTTP at all, then the connection closes
``truncated``    HTTP 200 announcing a longer JSON body than it sends, then the
                 connection closes mid-answer
``endless``      HTTP 200 with a chunked JSON body that does not end: 256 MiB of
                 whitespace, then nothing until ``hang_seconds`` pass or the
                 backend closes (the client hanging up stops it early)
``huge``         HTTP 200 announcing a 1 TiB body: its first bytes, then nothing
                 until ``hang_seconds`` pass or the backend closes
===============  ===========================================================

It does not evaluate PromQL: tests that need real answers use the real
Prometheus fixture. A batch of queries (``label_replace(q, "slo_exporter_batch", "0",
"", "") or ...``, as the exporter sends many queries in one) is answered branch by
branch from the same ``answers``, each branch's series tagged (bytes are still sent as
the whole body, untagged). Use it as ``async with FakeBackend() as backend:`` or
through the ``fake_backend`` pytest fixture defined here.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self, get_args

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

Mode = Literal[
    "ok",
    "empty",
    "hang",
    "http500",
    "malformed",
    "badshape",
    "query_error",
    "nan",
    "garbage",
    "truncated",
    "endless",
    "huge",
]
MODES: tuple[Mode, ...] = get_args(Mode)

Data = dict[str, Any]
"""The ``data`` object of a successful API answer: ``{"resultType": ..., "result": ...}``."""
Value = float | str | Data | bytes
"""A number (or its string) answers as a one-sample vector; a dict is sent as ``data``;
bytes are sent as the whole body (JSON serialized ahead, so serving it costs nothing)."""
Answer = Value | Callable[[str, float], Value]
"""A value, or a function of the query and its ``time`` returning one."""


def promql_number(value: float | str) -> str:
    """``value`` written as the API writes sample values: ``"1.5"``, ``"NaN"``, ``"+Inf"``."""
    if isinstance(value, str):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def vector(*values: float | str, at: float = 0.0) -> Data:
    """A vector result with one sample per value, each series told apart by ``series``."""
    return {
        "resultType": "vector",
        "result": [
            {"metric": {"series": str(i)}, "value": [at, promql_number(v)]}
            for i, v in enumerate(values)
        ],
    }


def scalar(value: float | str, at: float = 0.0) -> Data:
    """A scalar result."""
    return {"resultType": "scalar", "result": [at, promql_number(value)]}


def good_of(good: float, total: float) -> Callable[[str, float], Value]:
    """Answers for an SLO whose good events are the total's without ``code=~"5.."``:
    ``good`` to a query that names ``"5.."``, ``total`` to the rest, and to a fused window
    query (``sum by (code) (...)``) a row of ``good`` with code 200 and one of the rest
    with code 500, so both ways of asking give the same numbers."""

    def answer(query: str, at: float) -> Value:
        if query.startswith("sum by (code)"):
            rows = [("200", good), ("500", total - good)]
            result = [{"metric": {"code": c}, "value": [at, promql_number(v)]} for c, v in rows]
            return {"resultType": "vector", "result": result}
        return good if '"5.."' in query else total

    return answer


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; ``form`` merges URL and body parameters."""

    method: str
    path: str
    form: Mapping[str, str]
    headers: CIMultiDict[str]

    @property
    def query(self) -> str | None:
        """The ``query`` parameter."""
        return self.form.get("query")

    @property
    def time(self) -> str | None:
        """The ``time`` parameter, exactly as sent."""
        return self.form.get("time")


@dataclass
class FakeBackend:
    """A fake PromQL API; start it with ``async with``, then use :attr:`url`."""

    prefix: str = ""
    ssl_context: ssl.SSLContext | None = None
    mode: Mode = "ok"
    answers: dict[str, Answer] = field(default_factory=dict)
    default: Answer = 1.0
    hang_seconds: float = 3600.0
    error_body: str = "upstream exploded"
    query_error_message: str = '1:5: parse error: unexpected "}"'
    query_error_status: int = 400
    query_error_type: str = "bad_data"
    requests: list[RecordedRequest] = field(default_factory=list)
    _server: TestServer | None = field(default=None, init=False, repr=False)
    _release: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "mode" and value not in MODES:
            raise ValueError(f"unknown fake backend mode {value!r}; use one of {MODES}")
        super().__setattr__(name, value)

    @property
    def url(self) -> str:
        """Base URL to give as ``backend.url``: ``http(s)://127.0.0.1:PORT<prefix>``."""
        if self._server is None:
            raise RuntimeError("the fake backend is not started")
        return str(self._server.make_url(self.prefix))

    @property
    def queries(self) -> list[str | None]:
        """The ``query`` parameter of every recorded request, in order."""
        return [r.query for r in self.requests]

    def make_app(self) -> web.Application:
        """An application serving this fake, e.g. for ``aiohttp_server``."""
        app = web.Application()
        app.router.add_route("*", self.prefix.rstrip("/") + "/api/v1/query", self._handle)
        app.router.add_route("*", self.prefix.rstrip("/") + "/api/v1/query_range", self._handle)
        return app

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1, over TLS when ``ssl_context`` is set."""
        self._release.clear()
        self._server = TestServer(self.make_app(), host="127.0.0.1")
        await self._server.start_server(ssl=self.ssl_context)

    async def close(self) -> None:
        """Let hanging requests go, then stop listening."""
        self._release.set()
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        form = dict(request.query)
        if request.method == "POST":
            form.update({k: str(v) for k, v in (await request.post()).items()})
        self.requests.append(
            RecordedRequest(request.method, request.path, form, CIMultiDict(request.headers))
        )
        mode = self.mode
        if mode == "hang":
            await self._hang()
            return web.Response(status=503, text="stopped hanging")
        if mode == "endless":
            return await self._endless(request)
        if mode == "huge":
            return await self._huge(request)
        fault = self._fault(mode, request)
        if fault is not None:
            return fault
        if "query" not in form:
            return _error(400, "bad_data", 'invalid parameter "query"')
        return self._answer(mode, form)

    async def _hang(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), self.hang_seconds)

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """Stream a JSON answer's start, then whitespace until the client hangs up."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            await response.write(_ANSWER_START)
            for _ in range(256):
                if self._release.is_set():
                    return response
                await response.write(_PADDING)
            await self._hang()
        return response

    async def _huge(self, request: web.Request) -> web.Response:
        """Announce a 1 TiB answer, send its first bytes, then nothing."""
        transport = request.transport
        if transport is not None:
            transport.write(_head(2**40) + _ANSWER_START)
            await self._hang()
            transport.close()
        return web.Response()

    def _fault(self, mode: Mode, request: web.Request) -> web.Response | None:
        """The answer of a mode that ignores the query, or None."""
        faults: dict[str, Callable[[], web.Response]] = {
            "garbage": lambda: _not_http(request),
            "truncated": lambda: _truncated(request),
            "http500": lambda: web.Response(status=500, text=self.error_body),
            "malformed": lambda: web.Response(
                text=f"<html>{self.error_body}</html>", content_type="text/html"
            ),
            "badshape": lambda: web.json_response({"status": "success"}),
        }
        make = faults.get(mode)
        return None if make is None else make()

    def _answer(self, mode: Mode, form: dict[str, str]) -> web.Response:
        if mode == "query_error":
            status, error_type = self.query_error_status, self.query_error_type
            return _error(status, error_type, self.query_error_message)
        at = float(form.get("time", "0"))
        if mode == "empty":
            return _success(vector(at=at))
        if mode == "nan":
            return _success(vector("NaN", at=at))
        branches = _BRANCH.findall(form["query"])
        if branches:
            return self._batch_answer(branches, at)
        answer = self.answers.get(form["query"], self.default)
        value = answer(form["query"], at) if callable(answer) else answer
        if isinstance(value, bytes):
            return web.Response(body=value, content_type="application/json")
        return _success(value if isinstance(value, dict) else vector(value, at=at))

    def _batch_answer(self, branches: list[tuple[str, str]], at: float) -> web.Response:
        """A batch (exporter.promql.batch) answered branch by branch, each series tagged;
        a branch answered by a scalar is refused, as Prometheus refuses it."""
        result: list[Data] = []
        for expression, tag in branches:
            answer = self.answers.get(expression, self.default)
            value = answer(expression, at) if callable(answer) else answer
            if isinstance(value, bytes):
                return web.Response(body=value, content_type="application/json")
            data = value if isinstance(value, dict) else vector(value, at=at)
            if data.get("resultType") != "vector":
                message = "expected type instant vector in call to function label_replace"
                return _error(400, "bad_data", message)
            for sample in data["result"]:
                result.append({**sample, "metric": {**sample["metric"], BATCH_TAG: tag}})
        return _success({"resultType": "vector", "result": result})


BATCH_TAG = "slo_exporter_batch"
_BRANCH = re.compile(r'label_replace\((.+?), "' + BATCH_TAG + r'", "(\d+)", "", ""\)')


def _not_http(request: web.Request) -> web.Response:
    """Answer bytes that are not HTTP at all, then hang up."""
    transport = request.transport
    if transport is not None:
        transport.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        transport.close()
    return web.Response()


_ANSWER_START = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},'
_PADDING = b" " * (1024 * 1024)


def _head(content_length: int) -> bytes:
    """The status line and headers of a 200 JSON answer of ``content_length`` bytes."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % content_length
    )


def _truncated(request: web.Request) -> web.Response:
    """Start a 200 answer whose Content-Length promises more than is sent, then hang up."""
    transport = request.transport
    if transport is not None:
        transport.write(_head(len(_ANSWER_START) + 100) + _ANSWER_START)
        transport.close()
    return web.Response()


def _success(data: Data) -> web.Response:
    return web.json_response({"status": "success", "data": data})


def _error(status: int, error_type: str, message: str) -> web.Response:
    body = {"status": "error", "errorType": error_type, "error": message}
    return web.json_response(body, status=status)


@pytest.fixture
async def fake_backend() -> AsyncIterator[FakeBackend]:
    """A started :class:`FakeBackend` in ``ok`` mode, closed after the test."""
    async with FakeBackend() as backend:
        yield backend
