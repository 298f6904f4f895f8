"""The PromQL HTTP client against the fake backend: values, requests sent, every failure."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fake_backend import Answer, Data, FakeBackend, Mode, scalar, vector

from exporter.errors import (
    BackendError,
    BackendHTTPError,
    BackendResponseError,
    BackendTimeout,
    BackendUnavailable,
    ConfigError,
    QueryError,
)
from exporter.promql.client import PromQLClient
from exporter.settings import BackendSettings

AT = 1_700_000_000.0
QUERY = 'sum(increase(http_requests_total{code!~"5.."}[5m]))'
SECRET = "s3cr3t-t0ken-value"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session owned by the test, as the daemon owns its own."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def make_client(session: aiohttp.ClientSession, url: str, **settings: Any) -> PromQLClient:
    return PromQLClient(session, BackendSettings(url=url, **settings))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (vector(1, 2, 3.5), 6.5),
        (vector("0.25"), 0.25),
        (vector("1e3", "-1"), 999.0),
        (vector(), 0.0),
        (scalar(4), 4.0),
        (scalar("0"), 0.0),
        (42, 42.0),
    ],
)
async def test_instant_values(
    fake_backend: FakeBackend, session: aiohttp.ClientSession, answer: Answer, expected: float
) -> None:
    """A vector gives the sum of its samples (0.0 when empty), a scalar its value."""
    fake_backend.answers[QUERY] = answer
    client = make_client(session, fake_backend.url)
    assert (await client.query(QUERY, AT)).value == expected


async def test_empty_mode_is_zero(
    fake_backend: FakeBackend, session: aiohttp.ClientSession
) -> None:
    """A selector matching no series means zero events, not an error."""
    fake_backend.mode = "empty"
    assert (await make_client(session, fake_backend.url).query(QUERY, AT)).value == 0.0


@pytest.mark.parametrize(
    ("at", "sent"),
    [(AT, "1700000000.0"), (1_700_000_000.123, "1700000000.123"), (1_700_000_030, "1700000030.0")],
)
async def test_request_form(
    fake_backend: FakeBackend, session: aiohttp.ClientSession, at: float, sent: str
) -> None:
    """The query is POSTed as a form with the exact evaluation time."""
    await make_client(session, fake_backend.url).query(QUERY, at)
    (request,) = fake_backend.requests
    assert request.method == "POST"
    assert request.path == "/api/v1/query"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(request.form) == {"query": QUERY, "time": sent}


async def test_long_query_is_sent_whole(
    fake_backend: FakeBackend, session: aiohttp.ClientSession
) -> None:
    """A query longer than any URL limit arrives intact, special characters included."""
    query = " + ".join(f'sum(x{{a="{i}&b=%20#?"}})' for i in range(2000))
    await make_client(session, fake_backend.url).query(query, AT)
    assert fake_backend.queries == [query]


@pytest.mark.parametrize("suffix", ["", "/"])
async def test_path_prefix_is_kept(session: aiohttp.ClientSession, suffix: str) -> None:
    """A backend URL with a path prefix gets /api/v1/query appended under it."""
    async with FakeBackend(prefix="/thanos/prefix") as backend:
        await make_client(session, backend.url + suffix).query(QUERY, AT)
        assert [r.path for r in backend.requests] == ["/thanos/prefix/api/v1/query"]


async def test_headers_are_sent(fake_backend: FakeBackend, session: aiohttp.ClientSession) -> None:
    """Plain and secret headers both go with every query."""
    client = make_client(
        session,
        fake_backend.url,
        headers={"X-Scope-OrgID": "tenant-1"},
        secret_headers={"Authorization": f"Bearer {SECRET}"},
    )
    await client.query(QUERY, AT)
    (request,) = fake_backend.requests
    assert request.headers["X-Scope-OrgID"] == "tenant-1"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


FAULTS: list[tuple[Mode, type[BackendError], str]] = [
    ("http500", BackendHTTPError, "HTTP 500"),
    ("malformed", BackendResponseError, "not JSON"),
    ("badshape", BackendResponseError, "no status/data"),
    ("query_error", QueryError, 'bad_data: 1:5: parse error: unexpected "}"'),
    ("nan", QueryError, "query returned NaN"),
    ("garbage", BackendResponseError, "unreadable answer"),
    ("truncated", BackendResponseError, "broke off after 73 bytes"),
]


@pytest.mark.parametrize(("mode", "error", "message"), FAULTS)
async def test_fault_modes(
    fake_backend: FakeBackend,
    session: aiohttp.ClientSession,
    mode: Mode,
    error: type[BackendError],
    message: str,
) -> None:
    """Each kind of bad answer raises its own error class, carrying the query and time."""
    fake_backend.mode = mode
    with pytest.raises(error, match=message) as caught:
        await make_client(session, fake_backend.url).query(QUERY, AT)
    assert type(caught.value) is error
    assert (caught.value.query, caught.value.at) == (QUERY, AT)


@pytest.mark.parametrize("mode", ["huge", "endless"])
async def test_oversized_answer_is_refused_early(
    fake_backend: FakeBackend, session: aiohttp.ClientSession, mode: Mode
) -> None:
    """An answer over 64 MiB, announced by its Content-Length or streamed on and on, is a
    malformed answer naming the limit, refused as soon as it is known to be too big (a
    client reading it whole would wait for the timeout instead)."""
    fake_backend.mode = mode
    client = make_client(session, fake_backend.url, timeout=5)
    async with asyncio.timeout(30):  # only guards the suite against a hang
        with pytest.raises(BackendResponseError, match="larger than 64 MiB") as caught:
            await client.query(QUERY, AT)
    assert caught.value.reason == "malformed"
    assert (caught.value.query, caught.value.at) == (QUERY, AT)
    assert "\n" not in str(caught.value)


async def test_http_error_status(fake_backend: FakeBackend, session: aiohttp.ClientSession) -> None:
    """An HTTP error carries its status code."""
    fake_backend.mode = "http500"
    with pytest.raises(BackendHTTPError) as caught:
        await make_client(session, fake_backend.url).query(QUERY, AT)
    assert caught.value.status == 500


@pytest.mark.parametrize(
    ("status", "error_type", "error"),
    [
        (400, "bad_data", QueryError),
        (422, "execution", QueryError),
        (422, "422", QueryError),  # VictoriaMetrics puts the status in errorType
        (503, "timeout", BackendTimeout),
        (503, "unavailable", BackendHTTPError),
        (500, "internal", BackendHTTPError),
    ],
)
async def test_api_errors(
    fake_backend: FakeBackend,
    session: aiohttp.ClientSession,
    status: int,
    error_type: str,
    error: type[BackendError],
) -> None:
    """The API's error JSON is a query error on 400/422, a timeout when it says so."""
    fake_backend.mode = "query_error"
    fake_backend.query_error_status, fake_backend.query_error_type = status, error_type
    fake_backend.query_error_message = "too many samples"
    with pytest.raises(error, match="too many samples") as caught:
        await make_client(session, fake_backend.url).query(QUERY, AT)
    assert type(caught.value) is error
    assert (caught.value.query, caught.value.at) == (QUERY, AT)


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (vector(1, "+Inf"), QueryError, r"query returned \+Inf"),
        (vector("+Inf", "-Inf"), QueryError, r"query returned \+Inf"),
        (vector(1e308, 1e308), QueryError, r"query returned \+Inf"),
        (scalar("-Inf"), QueryError, "query returned -Inf"),
        (scalar("NaN"), QueryError, "query returned NaN"),
        ({"resultType": "matrix", "result": []}, BackendResponseError, "matrix result"),
        ({"resultType": "string", "result": [0, "x"]}, BackendResponseError, "string result"),
        (
            {"resultType": "vector", "result": [{"metric": {}, "histogram": [0, {}]}]},
            BackendResponseError,
            "native histogram",
        ),
        ({"resultType": "vector", "result": [{"metric": {}}]}, BackendResponseError, "sample"),
        (vector("lots"), BackendResponseError, "unexpected sample"),
        (b"[" * 10_000 + b"]" * 10_000, BackendResponseError, "not JSON"),
        ({"resultType": "vector"}, BackendResponseError, "unexpected result"),
    ],
)
async def test_unusable_results(
    fake_backend: FakeBackend,
    session: aiohttp.ClientSession,
    answer: Answer,
    error: type[BackendError],
    message: str,
) -> None:
    """Non-finite values, non-instant results and broken samples are errors, never numbers."""
    fake_backend.answers[QUERY] = answer
    with pytest.raises(error, match=message) as caught:
        await make_client(session, fake_backend.url).query(QUERY, AT)
    assert (caught.value.query, caught.value.at) == (QUERY, AT)


async def test_hang_times_out(fake_backend: FakeBackend, session: aiohttp.ClientSession) -> None:
    """A backend that never answers gives BackendTimeout after the configured timeout."""
    fake_backend.mode = "hang"
    client = make_client(session, fake_backend.url, timeout=0.2)
    async with asyncio.timeout(30):  # only guards the suite against a hang
        with pytest.raises(BackendTimeout, match=r"within 0\.2s") as caught:
            await client.query(QUERY, AT)
    assert (caught.value.query, caught.value.at) == (QUERY, AT)
    assert caught.value.reason == "timeout"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nothing listening gives BackendUnavailable."""
    client = make_client(session, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(BackendUnavailable, match="cannot reach") as caught:
        await client.query(QUERY, AT)
    assert (caught.value.query, caught.value.at) == (QUERY, AT)


def _messages(error: BaseException) -> str:
    """str and repr of an exception and of everything it was raised from."""
    texts = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


@pytest.mark.parametrize(
    "mode",
    ["http500", "malformed", "badshape", "query_error", "nan", "hang", "garbage", "truncated"],
)
async def test_no_secret_in_errors(
    fake_backend: FakeBackend, session: aiohttp.ClientSession, mode: Mode
) -> None:
    """Secret header values and URL passwords appear in no error, even when a body echoes them."""
    fake_backend.mode = mode
    fake_backend.error_body = f"echo: X-Api-Key: Key {SECRET}"
    fake_backend.query_error_message = f"token {SECRET} rejected"
    url = fake_backend.url.replace("http://", f"http://user:{SECRET}-pw@")
    client = make_client(session, url, timeout=0.2, secret_headers={"X-Api-Key": f"Key {SECRET}"})
    with pytest.raises(BackendError) as caught:
        await client.query(QUERY, AT)
    assert SECRET not in _messages(caught.value)


async def test_no_secret_when_unreachable(session: aiohttp.ClientSession) -> None:
    """A connection error names the backend without its password."""
    client = make_client(
        session,
        f"http://user:{SECRET}@127.0.0.1:{_closed_port()}/prefix",
        secret_headers={"X-Api-Key": SECRET},
    )
    with pytest.raises(BackendUnavailable) as caught:
        await client.query(QUERY, AT)
    assert SECRET not in _messages(caught.value)
    assert "http://127.0.0.1:" in str(caught.value)


async def test_echoed_bodies_are_clipped(
    fake_backend: FakeBackend, session: aiohttp.ClientSession
) -> None:
    """An error body is quoted on one line, cut to about 200 characters."""
    fake_backend.mode = "http500"
    fake_backend.error_body = "boom\n" * 2000
    with pytest.raises(BackendHTTPError) as caught:
        await make_client(session, fake_backend.url).query(QUERY, AT)
    message = str(caught.value)
    assert len(message) < 300
    assert "\n" not in message


async def test_mode_can_change_between_queries(
    fake_backend: FakeBackend, session: aiohttp.ClientSession
) -> None:
    """The same client recovers when the backend does; the fake records every request."""
    client = make_client(session, fake_backend.url)
    fake_backend.mode = "http500"
    with pytest.raises(BackendHTTPError):
        await client.query(QUERY, AT)
    fake_backend.mode = "ok"
    assert (await client.query(QUERY, AT)).value == 1.0
    assert fake_backend.queries == [QUERY, QUERY]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "thanos:10902"}, "backend.url must be an http"),
        ({"url": "http://x", "ca_file": Path("/nonexistent/ca.pem")}, "backend.ca_file"),
        (
            {"url": "http://u:p@x", "secret_headers": {"authorization": "Bearer t"}},
            "either in the URL or as an Authorization header",
        ),
    ],
)
async def test_unusable_settings(
    session: aiohttp.ClientSession, settings: dict[str, Any], message: str
) -> None:
    """A non-http(s) URL, an unreadable CA file or two sets of credentials fail up front."""
    with pytest.raises(ConfigError, match=message):
        PromQLClient(session, BackendSettings(**settings))


# A test-only CA and a certificate for 127.0.0.1 it signed, valid 2000-2100.
TEST_CA = """\
-----BEGIN CERTIFICATE-----
MIIBcDCCARegAwIBAgIBATAKBggqhkjOPQQDAjAfMR0wGwYDVQQDDBRzbG8tZXhw
b3J0ZXIgdGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFow
HzEdMBsGA1UEAwwUc2xvLWV4cG9ydGVyIHRlc3QgQ0EwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAASSPgAhdoFAGhfjJiXG/MxltE4tmZKuQ4IOFO1Mxfog6fqNMrt9
7SCGHwyGdJwnOT/Nn+Wrzh4of2UqmsRtYtMNo0IwQDAPBgNVHRMBAf8EBTADAQH/
MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUd8ZFmenfjcf85T1uS1JIU0XGLL4w
CgYIKoZIzj0EAwIDRwAwRAIgSf2HX9jnI/b62d6buKS5CbHXRQv0+EtHn0yGY4ky
7AgCIF3ma/PLDOXEjm7bZe4nBjxHTxJl2KzT7zHX3I5j4Rlj
-----END CERTIFICATE-----
"""
SERVER_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBrDCCAVKgAwIBAgIBAjAKBggqhkjOPQQDAjAfMR0wGwYDVQQDDBRzbG8tZXhw
b3J0ZXIgdGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFow
FDESMBAGA1UEAwwJMTI3LjAuMC4xMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
9aZBcqEqHgyL3dpkdW4hJJj8WQ9TrowiY7zKrUHY4JiIDwDXmPGWKl6jujzGLDGk
X/ZSSasjhfVBKZNUoTCFTKOBhzCBhDAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQE
AwIHgDATBgNVHSUEDDAKBggrBgEFBQcDATAPBgNVHREECDAGhwR/AAABMB8GA1Ud
IwQYMBaAFHfGRZnp343H/OU9bktSSFNFxiy+MB0GA1UdDgQWBBQB/F02YD8yg1g3
3CMiuOQ6Jspt4jAKBggqhkjOPQQDAgNIADBFAiEAvm4U/yt1RdI6qw7MitsGamZX
mz79rKOjsYFsL+ljE1MCIDO5+QGya9sXY4+oIbowL/xI9DxnKpVZNpyyGzOr8Skt
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3D9AxBJQDS7eqH42
VYhyadlihMHl1n38+Or5x8iooBmhRANCAAT1pkFyoSoeDIvd2mR1biEkmPxZD1Ou
jCJjvMqtQdjgmIgPANeY8ZYqXqO6PMYsMaRf9lJJqyOF9UEpk1ShMIVM
-----END PRIVATE KEY-----
"""


@pytest.fixture
async def tls_backend(tmp_path: Path) -> AsyncIterator[tuple[FakeBackend, Path]]:
    """A fake backend serving HTTPS with a certificate from TEST_CA, and the CA's file."""
    (tmp_path / "server.pem").write_text(SERVER_CERT)
    (tmp_path / "ca.pem").write_text(TEST_CA)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "server.pem")
    async with FakeBackend(ssl_context=context) as backend:
        yield backend, tmp_path / "ca.pem"


@pytest.mark.parametrize(
    ("tls_verify", "with_ca", "works"),
    [(True, True, True), (True, False, False), (False, False, True), (False, True, True)],
)
async def test_tls_settings(
    session: aiohttp.ClientSession,
    tls_backend: tuple[FakeBackend, Path],
    tls_verify: bool,
    with_ca: bool,
    works: bool,
) -> None:
    """ca_file makes a private CA trusted; tls_verify false skips verification altogether."""
    backend, ca_file = tls_backend
    client = make_client(
        session, backend.url, tls_verify=tls_verify, ca_file=ca_file if with_ca else None
    )
    if works:
        assert (await client.query(QUERY, AT)).value == 1.0
    else:
        with pytest.raises(BackendUnavailable, match="certificate verify failed"):
            await client.query(QUERY, AT)


def matrix(*values: list[object]) -> Data:
    """A range answer: one series (``job="a"``) with these ``[time, value]`` pairs."""
    return {"resultType": "matrix", "result": [{"metric": {"job": "a"}, "values": list(values)}]}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            matrix([60, "1"], [120.5, "2.5"], [180, "1e3"]),
            [(60.0, 1.0), (120.5, 2.5), (180.0, 1e3)],
        ),
        (matrix(), []),
        (matrix([60, 3]), [(60.0, 3.0)]),  # a number where the API writes a string
        (matrix([60, "NaN"]), QueryError),
        (matrix([60, "1"], [120, "+Inf"]), QueryError),
        (matrix([60, "lots"]), BackendResponseError),
        (matrix([60, True]), BackendResponseError),
        (matrix(["60", "1"]), BackendResponseError),
        (matrix([False, "1"]), BackendResponseError),
        (matrix([60, "1", "extra"]), BackendResponseError),
        (matrix([60]), BackendResponseError),
        (matrix({"t": 60, "v": "1"}), BackendResponseError),
    ],
)
async def test_range_answers_are_read_exactly_or_refused(
    fake_backend: FakeBackend,
    session: aiohttp.ClientSession,
    answer: Data,
    expected: list[tuple[float, float]] | type[BackendError],
) -> None:
    """A range answer's pairs become (time, value) floats; a non-finite value, a value or
    a time that is no number, or a pair of the wrong shape is an error naming the query."""
    fake_backend.answers[QUERY] = answer
    client = make_client(session, fake_backend.url)
    if isinstance(expected, list):
        assert await client.range_series(QUERY, 60, 180, 60) == [({"job": "a"}, expected)]
        return
    with pytest.raises(expected) as caught:
        await client.range_series(QUERY, 60, 180, 60)
    assert caught.value.query == QUERY
