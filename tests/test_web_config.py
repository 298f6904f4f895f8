"""``--web.config.file`` as a client meets it: the real app served over real TLS (a CA
and certificates made for the test), basic auth with bcrypt hashes, extra headers, and
the file changing under a running server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import bcrypt
import pytest
from fake_backend import FakeBackend
from one_slo import one_slo_config
from web_certs import Authority, Pair

from exporter.app import create_app
from exporter.config.loader import load_config
from exporter.http_server import bind, serve
from exporter.web_config import WebConfigError, load_web_config
from exporter.web_security import WebSecurity

PASSWORD = "s3cret-pass"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@dataclass
class Site:
    """A running exporter app and the TLS material around it."""

    port: int
    ca: Authority
    folder: Path
    web_file: Path

    def client_context(self, pair: Pair | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca.pair.cert))
        if pair is not None:
            context.load_cert_chain(pair.cert, pair.key)
        return context

    async def served_name(self) -> str:
        """The common name of the certificate the server presents now."""
        _, writer = await asyncio.open_connection(
            "127.0.0.1", self.port, ssl=self.client_context(), server_hostname="localhost"
        )
        cert = writer.get_extra_info("peercert")
        writer.close()
        return str(dict(item[0] for item in cert["subject"])["commonName"])

    async def get(
        self,
        path: str,
        *,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        pair: Pair | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and raw body of a GET over TLS (no automatic decompression)."""
        sent = dict(headers or {})
        if auth is not None:
            sent["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
        connector = aiohttp.TCPConnector(ssl=self.client_context(pair))
        async with (
            aiohttp.ClientSession(connector=connector, auto_decompress=False) as session,
            session.get(f"https://127.0.0.1:{self.port}{path}", headers=sent) as response,
        ):
            return response.status, dict(response.headers), await response.read()


def web_yaml(
    site_folder: Path, server: Pair, *, auth: str = "NoClientCert", extra: str = ""
) -> str:
    ca = f"\n  client_ca_file: {site_folder / 'test-CA.crt'}" if auth != "NoClientCert" else ""
    return (
        f"tls_server_config:\n  cert_file: {server.cert}\n  key_file: {server.key}\n"
        f"  client_auth_type: {auth}{ca}\n"
        f"basic_auth_users:\n  alice: {HASH}\n"
        "http_server_config:\n  headers:\n    X-Frame-Options: deny\n" + extra
    )


@contextlib.asynccontextmanager
async def site(
    tmp_path: Path, backend: FakeBackend, auth: str = "NoClientCert"
) -> AsyncIterator[Site]:
    """The real app over TLS on 127.0.0.1 under a web config, watched every 50 ms."""
    ca = Authority(tmp_path)
    server = ca.issue("server", server=True)
    web_file = tmp_path / "web.yml"
    web_file.write_text(web_yaml(tmp_path, server, auth=auth))
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(backend.url, timeout=None))
    security = WebSecurity(web_file, load_web_config(web_file))
    app = create_app(load_config(config), watch_interval=0.05, web_security=security)
    sockets = bind("127.0.0.1", 0)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, sockets, 64, stop=stop, tls=security.tls))
    try:
        yield Site(int(sockets[0].getsockname()[1]), ca, tmp_path, web_file)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.mark.parametrize(
    ("path", "auth", "status"),
    [
        ("/metrics", None, 401),
        ("/metrics", ("alice", "wrong"), 401),
        ("/metrics", ("mallory", PASSWORD), 401),
        ("/healthz", None, 401),
        ("/", None, 401),
        ("/metrics", ("alice", PASSWORD), 200),
        ("/healthz", ("alice", PASSWORD), 200),
    ],
)
async def test_basic_auth_guards_every_route(
    tmp_path: Path, fake_backend: FakeBackend, path: str, auth: tuple[str, str] | None, status: int
):
    """Without the right user and password every route (probes included, as in
    exporter-toolkit) answers 401 asking for Basic credentials; with them, it serves."""
    async with site(tmp_path, fake_backend) as served:
        got, headers, _ = await served.get(path, auth=auth)
    assert got == status
    assert ("WWW-Authenticate" in headers) == (status == 401)
    if status == 401:
        assert headers["WWW-Authenticate"].startswith("Basic ")
    assert headers["X-Frame-Options"] == "deny"  # the file's headers, on 401s too


async def test_a_verified_password_is_remembered(tmp_path: Path, fake_backend: FakeBackend):
    """Repeated scrapes with the right credentials keep answering 200 (the second and
    later ones from the remembered pair, not another bcrypt run)."""
    async with site(tmp_path, fake_backend) as served:
        statuses = [(await served.get("/healthz", auth=("alice", PASSWORD)))[0] for _ in range(5)]
    assert statuses == [200] * 5


@pytest.mark.parametrize(("accept", "gzipped"), [("gzip", True), ("gzip;q=0", False)])
async def test_gzip_preference_is_honoured_over_tls(
    tmp_path: Path, fake_backend: FakeBackend, accept: str, gzipped: bool
):
    """/metrics over TLS compresses only when the client accepts gzip (q=0 refuses it)."""
    async with site(tmp_path, fake_backend) as served:
        status, headers, body = await served.get(
            "/metrics", auth=("alice", PASSWORD), headers={"Accept-Encoding": accept}
        )
    assert status == 200
    assert (headers.get("Content-Encoding") == "gzip") == gzipped
    text = gzip.decompress(body) if gzipped else body
    assert b"# TYPE" in text


async def test_a_client_certificate_is_required_and_accepted(
    tmp_path: Path, fake_backend: FakeBackend
):
    """With RequireAndVerifyClientCert a client without a certificate, or with one from
    another CA, gets no answer; one with a certificate from the client CA is served."""
    async with site(tmp_path, fake_backend, auth="RequireAndVerifyClientCert") as served:
        (tmp_path / "other").mkdir()
        stranger = Authority(tmp_path / "other", "other CA")
        for pair in (None, stranger.issue("mallory", server=False)):
            with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
                await served.get("/healthz", auth=("alice", PASSWORD), pair=pair)
        client = served.ca.issue("prometheus", server=False)
        status, _, _ = await served.get("/healthz", auth=("alice", PASSWORD), pair=client)
    assert status == 200


async def wait_for(check: object, seconds: float = 10.0) -> None:
    """Poll the coroutine function ``check`` until it returns True."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "the change never took effect"
        await asyncio.sleep(0.05)


async def test_a_changed_file_takes_effect_and_a_broken_one_keeps_the_old(
    tmp_path: Path,
    fake_backend: FakeBackend,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
):
    """A new password and a new server certificate apply without a restart; a file
    that no longer loads is logged in one line and the one in force stays."""
    async with site(tmp_path, fake_backend) as served:
        assert (await served.get("/healthz", auth=("alice", PASSWORD)))[0] == 200
        await asyncio.sleep(0.3)  # the watcher has read the file as it started
        new_password = "rotated-pass"
        new_hash = bcrypt.hashpw(new_password.encode(), bcrypt.gensalt(rounds=4)).decode()
        rotated = served.ca.issue("server2", server=True)
        served.web_file.write_text(web_yaml(tmp_path, rotated).replace(HASH, new_hash))

        async def new_password_works() -> bool:
            return (await served.get("/healthz", auth=("alice", new_password)))[0] == 200

        await wait_for(new_password_works)
        assert await served.served_name() == "server2"
        assert (await served.get("/healthz", auth=("alice", PASSWORD)))[0] == 401
        served.web_file.write_text("basic_auth_users:\n  alice: not-a-hash\n")

        async def refused() -> bool:
            logged = capsys.readouterr().out + caplog.text  # console, or captured logging
            return "web_config_reload_failed" in logged

        await wait_for(refused)
        assert (await served.get("/healthz", auth=("alice", new_password)))[0] == 200


async def test_a_certificate_rotated_in_place_is_served_without_restart(
    tmp_path: Path, fake_backend: FakeBackend
):
    """Overwriting the certificate and key files the web config names (as cert-manager
    does), with the web config itself unchanged, makes new connections get the new one."""
    async with site(tmp_path, fake_backend) as served:
        assert await served.served_name() == "server"
        await asyncio.sleep(0.3)  # the watcher has read the files as it started
        rotated = served.ca.issue("server-rotated", server=True)
        (tmp_path / "server.key").write_bytes(rotated.key.read_bytes())
        (tmp_path / "server.crt").write_bytes(rotated.cert.read_bytes())

        async def rotated_is_served() -> bool:
            return await served.served_name() == "server-rotated"

        await wait_for(rotated_is_served)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  ciphers: x\n", 4,
         "tls_server_config.ciphers", "unknown field"),
        ("basic_auth_users:\n  alice: plain-password\n", 2, "basic_auth_users.alice",
         "must be a bcrypt hash"),
        ("http_server_config:\n  headers:\n    Content-Type: text/html\n", 3,
         "http_server_config.headers.Content-Type", "cannot be set"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3,
         "http_server_config.headers.X-Frame-Options", "must be one of deny, sameorigin"),
        ("tls_server_config:\n  cert_file: s.crt\n", 1, "tls_server_config.key_file",
         "missing"),
        ("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
         "  client_auth_type: Sometimes\n", 4, "tls_server_config.client_auth_type",
         "must be one of NoClientCert"),
        ("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
         "  client_auth_type: RequireAnyClientCert\n", 4, "tls_server_config.client_auth_type",
         "not supported"),
        ("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  min_version: TLS14\n",
         4, "tls_server_config.min_version", "must be one of TLS10"),
        ("tls_server_config:\n  cert_file: missing.crt\n  key_file: s.key\n", 2,
         "tls_server_config.cert_file", "cannot load"),
        ("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n"
         "  client_auth_type: RequireAndVerifyClientCert\n", 1,
         "tls_server_config.client_ca_file", "missing"),
        ("basic_auth_users: [alice]\n", 1, "basic_auth_users", "must be a mapping"),
        ("tls_server_config: {cert_file: [\n", None, "", "invalid YAML"),
    ],
)  # fmt: skip
def test_a_bad_web_config_is_one_line_naming_file_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str, message: str
):
    """Each mistake is refused in one line that says where (file:line) and which field,
    and never shows a password hash."""
    server = Authority(tmp_path).issue("s", server=True)
    assert server.cert.name == "s.crt"
    path = tmp_path / "web.yml"
    path.write_text(text)
    with pytest.raises(WebConfigError) as caught:
        load_web_config(path)
    shown = str(caught.value)
    assert "\n" not in shown
    assert shown.startswith(f"{path}:{line}: " if line is not None else f"{path}:")
    assert field in shown
    assert message in shown
    assert "plain-password" not in shown


def test_a_good_web_config_loads_as_written(tmp_path: Path):
    """A file in exporter-toolkit's format (relative paths from the file's folder) loads:
    TLS at the asked minimum version, the users and the headers."""
    Authority(tmp_path).issue("s", server=True)
    path = tmp_path / "web.yml"
    path.write_text(
        "tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n  min_version: TLS13\n"
        f"basic_auth_users:\n  alice: {HASH}\n"
        "http_server_config:\n  http2: false\n  headers:\n    x-content-type-options: nosniff\n"
    )
    loaded = load_web_config(path)
    assert loaded.tls is not None
    assert loaded.tls.minimum_version == ssl.TLSVersion.TLSv1_3
    assert loaded.users == {"alice": HASH.encode()}
    assert loaded.headers == {"X-Content-Type-Options": "nosniff"}
