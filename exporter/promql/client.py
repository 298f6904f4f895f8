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

import contextlib
import json
import math
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from exporter.errors import (
    BackendError,
    BackendHTTPError,
    BackendResponseError,
    BackendTimeout,
    BackendUnavailable,
    ConfigError,
    QueryError,
)
from exporter.settings import BackendSettings

__all__ = ["MAX_RANGE_POINTS", "Labels", "PromQLClient", "format_time"]

QUERY_PATH = "/api/v1/query"
RANGE_PATH = "/api/v1/query_range"
MAX_RANGE_POINTS = 11_000
"""Prometheus refuses a range query of more than 11,000 steps per series."""

Labels = dict[str, str]
"""A series' labels as the API gives them, the metric name under ``__name__``."""
_CLIP = 200
_QUERY_ERROR_STATUSES = frozenset({400, 422})


@dataclass(frozen=True)
class QueryValue:
    """A query's value (the sum of its samples) and how many series it had (0: none matched)."""

    value: float
    series: int


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
        self._secrets = _secret_fragments(backend)

    async def query(self, query: str, at: float) -> QueryValue:
        """The value of ``query`` at Unix time ``at``, and how many series made it.

        POSTs ``query`` and ``time`` as a form to ``<backend.url>/api/v1/query``
        (no URL-length limit), with the backend's headers and timeout.
        """
        data = await self._post(self._url, {"query": query, "time": format_time(at)}, query, at)
        try:
            return self._result(data)
        except BackendError as err:
            err.query, err.at = query, at
            raise

    async def series(self, query: str, at: float) -> list[tuple[Labels, float]]:
        """Each sample of the instant vector ``query`` at ``at``, with its labels.

        A scalar answer or a native histogram sample is a ``BackendResponseError``;
        NaN or an infinite value is a ``QueryError``.
        """
        data = await self._post(self._url, {"query": query, "time": format_time(at)}, query, at)
        try:
            if data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
                raise BackendResponseError(
                    f"the query gave a {data.get('resultType')} result, not an instant vector"
                )
            return [(self._labels(s), _finite(self._vector_sample(s))) for s in data["result"]]
        except BackendError as err:
            err.query, err.at = query, at
            raise

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
        data = await self._post(self._range_url, form, query, end)
        try:
            if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
                raise BackendResponseError(
                    f"the range query gave a {data.get('resultType')} result, not a matrix"
                )
            return [(self._labels(s), self._range_samples(s)) for s in data["result"]]
        except BackendError as err:
            err.query, err.at = query, end
            raise

    async def _post(self, url: URL, form: dict[str, str], query: str, at: float) -> dict[str, Any]:
        """POST ``form`` to ``url``; the answer's ``data`` object, or a ``BackendError``."""
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
                body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as err:
            failure = self._transport_error(err)
        if failure is not None:
            # Raised outside the except block on purpose: aiohttp's exception,
            # whose repr holds the request headers, must not ride along as
            # __context__ into logs.
            failure.query, failure.at = query, at
            raise failure
        try:
            return self._data(status, location, body)
        except BackendError as err:
            err.query, err.at = query, at
            raise

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
        """``text`` on one line, secrets blanked, cut to about 200 characters."""
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        text = " ".join(text.split())
        return text if len(text) <= _CLIP else text[:_CLIP] + "…"

    def _data(self, status: int, location: str, body: bytes) -> dict[str, Any]:
        payload = _json(body)
        if status != 200:
            raise self._http_error(status, location, body, payload)
        if not isinstance(payload, dict):
            what = "not JSON" if payload is None else "not a JSON object"
            raise BackendResponseError(
                f"unexpected answer from {self._where} ({what}): {self._clip(_text(body))}"
            )
        if payload.get("status") == "error":
            raise QueryError(self._api_error(payload))
        data = payload.get("data")
        if payload.get("status") != "success" or not isinstance(data, dict):
            raise BackendResponseError(
                f"unexpected JSON from {self._where}, no status/data: {self._clip(_text(body))}"
            )
        return data

    def _http_error(self, status: int, location: str, body: bytes, payload: object) -> BackendError:
        if isinstance(payload, dict) and payload.get("status") == "error":
            message = self._api_error(payload)
            if payload.get("errorType") == "timeout":
                return BackendTimeout(f"{self._where} gave up: {message}")
            if status in _QUERY_ERROR_STATUSES:
                return QueryError(message)
            return BackendHTTPError(f"HTTP {status} from {self._where}: {message}", status=status)
        if 300 <= status < 400:
            target = self._clip(_without_userinfo(location)) if location else "?"
            return BackendHTTPError(
                f"HTTP {status} from {self._where}: redirected to {target};"
                " set backend.url to the final address",
                status=status,
            )
        return BackendHTTPError(
            f"HTTP {status} from {self._where}: {self._clip(_text(body))}", status=status
        )

    def _api_error(self, payload: dict[str, Any]) -> str:
        error_type = payload.get("errorType") or "error"
        return self._clip(f"{error_type}: {payload.get('error') or 'no message'}")

    def _result(self, data: dict[str, Any]) -> QueryValue:
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar":
            value, series = self._sample(result), 1
        elif kind == "vector" and isinstance(result, list):
            # Each sample is checked, so +Inf and -Inf cannot cancel out into NaN.
            value = sum(_finite(self._vector_sample(s)) for s in result)
            series = len(result)
        elif kind in ("matrix", "string"):
            raise BackendResponseError(
                f"the query gave a {kind} result; it must give an instant vector or a scalar"
            )
        else:
            raise BackendResponseError(
                f"unexpected result from {self._where}: {self._clip(json.dumps(data))}"
            )
        return QueryValue(_finite(value), series)

    def _vector_sample(self, sample: object) -> float:
        if isinstance(sample, dict):
            if "histogram" in sample:
                raise BackendResponseError(
                    "the query gave native histogram samples; it must give plain numbers"
                )
            return self._sample(sample.get("value"))
        raise BackendResponseError(f"unexpected vector sample: {self._clip(json.dumps(sample))}")

    def _labels(self, sample: object) -> Labels:
        metric = sample.get("metric") if isinstance(sample, dict) else None
        if isinstance(metric, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metric.items()
        ):
            return dict(metric)
        raise BackendResponseError(f"unexpected series labels: {self._clip(json.dumps(sample))}")

    def _range_samples(self, series: dict[str, Any]) -> list[tuple[float, float]]:
        if "histograms" in series:
            raise BackendResponseError(
                "the query gave native histogram samples; it must give plain numbers"
            )
        values = series.get("values")
        if not isinstance(values, list):
            what = self._clip(json.dumps(series))
            raise BackendResponseError(f"unexpected matrix series: {what}")
        # The fast path: a backfill reads millions of well-formed pairs.
        try:
            out = [(float(stamp), float(value)) for stamp, value in values]
        except (TypeError, ValueError):
            return self._checked_samples(values)
        if any(type(s) not in _NUMBERS or type(v) is bool for s, v in values) or not all(
            math.isfinite(v) for _, v in out
        ):
            return self._checked_samples(values)
        return out

    def _checked_samples(self, values: list[Any]) -> list[tuple[float, float]]:
        """Each pair checked on its own: the error names the first bad one."""
        out: list[tuple[float, float]] = []
        for pair in values:
            value = _finite(self._sample(pair))
            stamp = pair[0]
            if not isinstance(stamp, int | float) or isinstance(stamp, bool):
                raise BackendResponseError(
                    f"unexpected sample time: {self._clip(json.dumps(pair))}"
                )
            out.append((float(stamp), value))
        return out

    def _sample(self, pair: object) -> float:
        """The value of a ``[timestamp, "value"]`` pair."""
        if isinstance(pair, list) and len(pair) == 2:
            raw = pair[1]
            if isinstance(raw, str | int | float) and not isinstance(raw, bool):
                with contextlib.suppress(ValueError):
                    return float(raw)
        raise BackendResponseError(f"unexpected sample: {self._clip(json.dumps(pair))}")


_NUMBERS = (int, float)


def _finite(value: float) -> float:
    if math.isnan(value):
        raise QueryError("query returned NaN")
    if math.isinf(value):
        raise QueryError(f"query returned {'+' if value > 0 else '-'}Inf")
    return value


def _json(body: bytes) -> object:
    """The parsed body, or None when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return None


def _without_userinfo(location: str) -> str:
    url = URL(location)
    return str(url.with_user(None)) if url.is_absolute() else location


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace") if body else "(empty body)"


def _describe(err: aiohttp.ClientError) -> str:
    """A short cause for a connection failure, from aiohttp's exception."""
    if isinstance(err, aiohttp.ClientConnectorError):
        return str(err.os_error.strerror or err.os_error)
    return str(err) or type(err).__name__


def _secret_fragments(backend: BackendSettings) -> tuple[str, ...]:
    """Secret header values, the credential part of ``Scheme credential`` ones, URL password."""
    password = URL(backend.url).password
    fragments: set[str] = {password} if password else set()
    for value in backend.secret_headers.values():
        if value.strip():
            fragments.add(value)
        credential = value.partition(" ")[2].strip()
        if len(credential) >= 4:
            fragments.add(credential)
    # Longest first, so a whole value is blanked before a part of it.
    return tuple(sorted(fragments, key=len, reverse=True))
