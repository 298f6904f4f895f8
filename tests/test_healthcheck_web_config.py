"""``slo-exporter healthcheck`` against an exporter serving over TLS behind basic auth:
it reads the same web config (flag or ``SLO_EXPORTER_WEB_CONFIG_FILE``) and a user and
password from the environment or a file, as a container's probe would be set up."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from processes import free_port, start_logging_stderr, stop_process
from test_web_config_process import command
from web_certs import Authority, bcrypt_hash, write_web_config

from exporter.probe_access import first_certificate

PASSWORD = "probe-secret"
EXPORTER = [sys.executable, "-m", "exporter"]


@dataclass(frozen=True)
class Served:
    """A running exporter behind TLS and basic auth, and how to reach it."""

    port: int
    web_file: Path
    password_file: Path
    other_web_file: Path
    """The same file but for another certificate of the CA: what a probe of some other
    exporter would expect."""


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """``run`` with a web config turning on TLS (the test CA's certificate) and one user."""
    ca = Authority(tmp_path)
    server = ca.issue("server", server=True)
    hashed = bcrypt_hash(PASSWORD)
    web_file = write_web_config(tmp_path / "web.yml", server, "probe", hashed)
    other = ca.issue("other", server=True)
    other_web = write_web_config(tmp_path / "other-web.yml", other, "probe", hashed)
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    port = free_port()
    log = tmp_path / "stderr.log"
    process = start_logging_stderr(command(tmp_path, web_file, port), log)
    try:
        _wait(port, process, log)
        yield Served(port, web_file, password_file, other_web)
    finally:
        stop_process(process)


def check(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, **env}, timeout=30, check=False
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    "command_", [["healthcheck"], ["-m", "exporter.healthcheck"]], ids=["subcommand", "module"]
)
def test_healthcheck_passes_over_tls_with_basic_auth(served: Served, command_: list[str]):
    """Given the web config and the user by environment and the password by file, the
    check exits 0 (HTTPS, authenticated); the password may also come from the
    environment, and the flags work as the variables do."""
    argv = [*EXPORTER, *command_] if command_[0] != "-m" else [sys.executable, *command_]
    env = {
        "SLO_EXPORTER_LISTEN_ADDRESS": f":{served.port}",
        "SLO_EXPORTER_WEB_CONFIG_FILE": str(served.web_file),
        "SLO_EXPORTER_HEALTHCHECK_USER": "probe",
        "SLO_EXPORTER_HEALTHCHECK_PASSWORD_FILE": str(served.password_file),
    }
    done = check(argv, env)
    assert (done.returncode, done.stderr) == (0, "")
    by_env = {**env, "SLO_EXPORTER_HEALTHCHECK_PASSWORD": PASSWORD}
    del by_env["SLO_EXPORTER_HEALTHCHECK_PASSWORD_FILE"]
    done = check(argv, by_env)
    assert (done.returncode, done.stderr) == (0, "")
    flags = ["--web.listen-address", f"127.0.0.1:{served.port}", "--web.config.file",
             str(served.web_file), "--basic-auth-user", "probe",
             "--basic-auth-password-file", str(served.password_file)]  # fmt: skip
    done = check([*argv, *flags], {})
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"SLO_EXPORTER_WEB_CONFIG_FILE": ""}, "no answer from http://"),
        ({"SLO_EXPORTER_HEALTHCHECK_USER": ""}, "give --basic-auth-user"),
        ({"SLO_EXPORTER_HEALTHCHECK_USER": "nobody"}, "'nobody' is not in the web config"),
        ({"wrong": "x"}, "HTTP 401 (the basic-auth user or password is wrong)"),
        ({"other-cert": "x"}, "a certificate other than the web config's cert_file"),
        ({"SLO_EXPORTER_HEALTHCHECK_PASSWORD_FILE": "/nonexistent"}, "cannot read the password"),
    ],
    ids=["no-web-config", "no-user", "unknown-user", "wrong-password", "other-cert", "no-file"],
)
def test_healthcheck_fails_in_one_line_without_the_password(
    served: Served, tmp_path: Path, change: dict[str, str], expected: str
):
    """Without the web config (plain HTTP to a TLS port), without credentials, with a user
    the file does not name, a wrong password, a server showing another certificate or an
    unreadable password file, the check exits 1 with one line saying so and no password."""
    env = {
        "SLO_EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{served.port}",
        "SLO_EXPORTER_WEB_CONFIG_FILE": str(served.web_file),
        "SLO_EXPORTER_HEALTHCHECK_USER": "probe",
        "SLO_EXPORTER_HEALTHCHECK_PASSWORD_FILE": str(served.password_file),
        "SLO_EXPORTER_HEALTHCHECK_PASSWORD": "",
    }
    if "wrong" in change:
        wrong = tmp_path / "wrong"
        wrong.write_text("not-" + PASSWORD)
        change = {"SLO_EXPORTER_HEALTHCHECK_PASSWORD_FILE": str(wrong)}
    if "other-cert" in change:
        change = {"SLO_EXPORTER_WEB_CONFIG_FILE": str(served.other_web_file)}
    done = check([sys.executable, "-m", "exporter.healthcheck"], {**env, **change})
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert expected in line
    assert PASSWORD not in done.stderr
    assert "Traceback" not in done.stderr


@given(st.binary(min_size=1, max_size=300), st.binary(max_size=50))
def test_the_first_certificate_of_a_pem_file_is_the_servers(leaf: bytes, chain: bytes):
    """Of a PEM file holding the server's certificate and then its chain, the probe
    expects the first: whatever its bytes, text around it and blocks after it."""

    def block(der: bytes) -> str:
        text = base64.b64encode(der).decode()
        lines = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
        return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"

    pem = "subject=server\n" + block(leaf) + (block(chain) if chain else "")
    assert first_certificate(pem) == leaf
    assert first_certificate("no certificate here") is None


@pytest.mark.integration
def test_a_web_config_requiring_client_certificates_is_refused_in_one_line(tmp_path: Path):
    """With ``RequireAndVerifyClientCert`` the check has no certificate to present: it
    says so in one line (exit 1) instead of failing the TLS handshake every 30 s."""
    ca = Authority(tmp_path)
    server = ca.issue("server", server=True)
    web_file = tmp_path / "web.yml"
    web_file.write_text(
        f"tls_server_config:\n  cert_file: {server.cert}\n  key_file: {server.key}\n"
        f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {ca.pair.cert}\n"
    )
    done = check(
        [sys.executable, "-m", "exporter.healthcheck", "--web.config.file", str(web_file)], {}
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "RequireAndVerifyClientCert" in line
    assert "no client certificate" in line
