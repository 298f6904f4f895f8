"""Queries against a PromQL HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics).

One call, :meth:`PromQLClient.query`, gives one number: the sum of the
result vector's samples (0.0 for an empty vector: no series, no events) or
the scalar. :meth:`PromQLClient.series` gives the samples of an instant
vector one by one, with their labels, and :meth:`PromQLClient.range_series`
does the same for a range query (``/api/v1/query_range``): the history store
reads raw counter values with them. Every failure becomes a
:class:`~exporter.errors.BackendError` subclass carrying the query and the
evaluation time (a range query's end):

==========================================  =======================
what happened                               raised
==========================================  =======================
no answer within ``backend.timeout``        BackendTimeout
backend's own ``errorType: timeout``        BackendTimeout
cannot connect (refused, DNS, TLS, reset)   BackendUnavailable
answer broke off (closed mid-body)          BackendResponseError
answer over ``MAX_ANSWER_BYTES`` (64 MiB)   AnswerTooLarge (a BackendResponseError)
400/422 with the API's error JSON           QueryError
any other status than 200                   BackendHTTPError
not JSON, or not the API's JSON shape       BackendResponseError
matrix/string result, native histograms     BackendResponseError
``status: error`` with a 200                QueryError
NaN or infinite result                      QueryError
==========================================  =======================

Messages name the backend by :attr:`BackendSettings.safe_url`, quote at
most ~200 characters of any body, and have every secret header value
blanked out: they never carry credentials.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from exporter.errors import (
    BackendError,
    BackendResponseError,
    BackendTimeout,
    BackendUnavailable,
    ConfigError,
)
from exporter.promql.answers import (
    LARGE_ANSWER,
    Labels,
    QueryValue,
    Voice,
    api_data,
    instant_value,
    matrix_series,
    off_the_loop,
    vector_series,
)
from exporter.settings import BackendSettings, url_password

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_RANGE_POINTS",
    "AnswerTooLarge",
    "PromQLClient",
    "format_time",
    "secret_fragments",
]

T = TypeVar("T")

QUERY_PATH = "/api/v1/query"
RANGE_PATH = "/api/v1/query_range"
MAX_RANGE_POINTS = 11_000
"""Prometheus refuses a range query of more than 11,000 steps per series."""
_MIB = 1024 * 1024
MAX_ANSWER_BYTES = 64 * _MIB
"""The most of one answer a query reads. A 1,000-step range read of 1,000 series is
about 30 MiB; a 100-selector snapshot batch stays far below unless its selectors match
hundreds of thousands of series."""
_CHUNK = 256 * 1024


class AnswerTooLarge(BackendResponseError):
    """The answer is over :data:`MAX_ANSWER_BYTES`; a narrower query may fit."""


def format_time(at: float) -> str:
    """The ``time`` parameter for ``at``: a Unix timestamp, written exactly (``repr``)."""
    if not math.isfinite(at):
        raise ValueError(f"evaluation time must be finite, not {at}")
    return repr(float(at))


def _api_url(backend: BackendSettings, path: str) -> URL:
    url = URL(backend.url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(
            [f"backend.url must be an http(s) URL with a host, not {backend.safe_url!r}"]
        )
    if url.user is not None and "authorization" in {h.lower() for h in backend.all_headers()}:
        # aiohttp refuses the combination at every request; say so once, up front.
        raise ConfigError(
            ["backend: give credentials either in the URL or as an Authorization header"]
        )
    return url.with_path(url.path.rstrip("/") + path).with_query(url.query)


def _ssl_option(backend: BackendSettings) -> ssl.SSLContext | bool:
    if not backend.tls_verify:
        return False
    if backend.ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(backend.ca_file))
    except OSError as err:  # ssl.SSLError is an OSError
        reason = err.strerror or str(err)
        raise ConfigError([f"backend.ca_file: cannot load {backend.ca_file}: {reason}"]) from err


class PromQLClient:
    """Sends instant queries to one backend over a session owned by the caller."""

    def __init__(self, session: aiohttp.ClientSession, backend: BackendSettings) -> None:
        """Check the URL and headers and load the CA file now; ``ConfigError`` if unusable."""
        self._session = session
        self._backend = backend
        self._url = _api_url(backend, QUERY_PATH)
        self._range_url = _api_url(backend, RANGE_PATH)
        self._ssl = _ssl_option(backend)
        self._timeout = aiohttp.ClientTimeout(total=backend.timeout)
        self._voice = Voice(backend.safe_url, secret_fragments(backend))

    async def query(self, query: str, at: float) -> QueryValue:
        """The value of ``query`` at Unix time ``at``, and how many series made it.

        POSTs ``query`` and ``time`` as a form to ``<backend.url>/api/v1/query``
        (no URL-length limit), with the backend's headers and timeout.
        """
        form = {"query": query, "time": format_time(at)}
        return await self._ask(self._url, form, query, at, instant_value)

    async def series(self, query: str, at: float) -> list[tuple[Labels, float]]:
        """Each sample of the instant vector ``query`` at ``at``, with its labels.

        A scalar answer or a native histogram sample is a ``BackendResponseError``;
        NaN or an infinite value is a ``QueryError``.
        """
        form = {"query": query, "time": format_time(at)}
        return await self._ask(self._url, form, query, at, vector_series)

    async def range_series(
        self, query: str, start: float, end: float, step: int
    ) -> list[tuple[Labels, list[tuple[float, float]]]]:
        """Each series of the range query ``query`` from ``start`` to ``end`` every ``step`` s.

        Every series comes with its ``(time, value)`` pairs, only at the steps
        where it had a value. The caller keeps ``(end - start) / step`` within
        :data:`MAX_RANGE_POINTS`.
        """
        form = {
            "query": query,
            "start": format_time(start),
            "end": format_time(end),
            "step": str(step),
        }
        return await self._ask(self._range_url, form, query, end, matrix_series)

    async def _ask(
        self,
        url: URL,
        form: dict[str, str],
        query: str,
        at: float,
        read: Callable[[Voice, dict[str, Any]], T],
    ) -> T:
        """What ``read`` makes of the ``data`` of the answer to ``form``, or a BackendError.

        An answer over :data:`~exporter.promql.answers.LARGE_ANSWER` bytes is
        decoded and read in a worker thread: the event loop keeps serving.
        """
        status, location, body = await self._post(url, form, query, at)
        voice = self._voice

        def parse() -> T:
            return read(voice, api_data(voice, status, location, body))

        try:
            return parse() if len(body) <= LARGE_ANSWER else await off_the_loop(parse)
        except BackendError as err:
            err.query, err.at = query, at
            raise

    async def _post(
        self, url: URL, form: dict[str, str], query: str, at: float
    ) -> tuple[int, str, bytes]:
        """POST ``form`` to ``url``; the status, Location header and body, or a BackendError."""
        failure: BackendError | None = None
        try:
            async with self._session.post(
                url,
                data=form,
                headers=self._backend.all_headers(),
                timeout=self._timeout,
                ssl=self._ssl,
                allow_redirects=False,
            ) as response:
                status = response.status
                location = response.headers.get("Location", "")
                body, failure = await self._read(response)
        except (TimeoutError, aiohttp.ClientError) as err:
            failure = self._transport_error(err)
        if failure is not None:
            # Raised outside the except block on purpose: aiohttp's exception,
            # whose repr holds the request headers, must not ride along as
            # __context__ into logs.
            failure.query, failure.at = query, at
            raise failure
        return status, location, body

    async def _read(self, response: aiohttp.ClientResponse) -> tuple[bytes, BackendError | None]:
        """The whole body, or why there is none: too big or broken off.

        A body over :data:`MAX_ANSWER_BYTES` (decompressed) is refused as soon
        as that is known, from its Content-Length or while it streams in.
        """
        too_big = AnswerTooLarge(
            f"the answer from {self._where} is larger than {_size(MAX_ANSWER_BYTES)},"
            " the most slo-exporter reads of one answer"
        )
        if response.content_length is not None and response.content_length > MAX_ANSWER_BYTES:
            return b"", too_big
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    return b"", too_big
                chunks.append(chunk)
        except aiohttp.ClientPayloadError:  # closed before its Content-Length, bad chunking
            # The server answered; what it sent is unusable, not the connection.
            return b"", BackendResponseError(
                f"the answer from {self._where} broke off after {size} bytes"
            )
        return b"".join(chunks), None

    def _transport_error(self, err: TimeoutError | aiohttp.ClientError) -> BackendError:
        if isinstance(err, TimeoutError):  # aiohttp's timeouts are TimeoutError subclasses
            return BackendTimeout(f"no answer from {self._where} within {self._backend.timeout:g}s")
        if isinstance(err, aiohttp.InvalidURL):  # its message is the URL, password included
            return BackendUnavailable(f"invalid backend URL {self._where}")
        if isinstance(err, aiohttp.ClientResponseError):  # not HTTP, or broken HTTP
            return BackendResponseError(
                f"unreadable answer from {self._where}: {self._clip(err.message)}"
            )
        return BackendUnavailable(f"cannot reach {self._where}: {self._clip(_describe(err))}")

    @property
    def _where(self) -> str:
        return self._backend.safe_url

    def _clip(self, text: str) -> str:
        return self._voice.clip(text)


def _size(count: int) -> str:
    """``count`` bytes for people: ``64 MiB``, or the number when not whole MiB."""
    return f"{count // _MIB} MiB" if count % _MIB == 0 else f"{count} bytes"


def _describe(err: aiohttp.ClientError) -> str:
    """A short cause for a connection failure, from aiohttp's exception."""
    if isinstance(err, aiohttp.ClientConnectorError):
        return str(err.os_error.strerror or err.os_error)
    return str(err) or type(err).__name__


def secret_fragments(backend: BackendSettings) -> tuple[str, ...]:
    """Secret header values, the credential part of ``Scheme credential`` ones, URL password."""
    password = url_password(backend.url)
    fragments: set[str] = {password} if password else set()
    for value in backend.secret_headers.values():
        if value.strip():
            fragments.add(value)
        credential = value.partition(" ")[2].strip()
        if len(credential) >= 4:
            fragments.add(credential)
    # Longest first, so a whole value is blanked before a part of it.
    return tuple(sorted(fragments, key=len, reverse=True))
