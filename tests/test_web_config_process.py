"""``slo-exporter run --web.config.file`` as a process: a bad file stops the start in one
line, and a good one serves /metrics over TLS behind basic auth, as curl would see it."""

from __future__ import annotations

import base64
import contextlib
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from one_slo import one_slo_config
from processes import free_port, start_logging_stderr, stop_process
from web_certs import Authority, bcrypt_hash, write_web_config

pytestmark = pytest.mark.integration  # the exporter runs as a child process


def command(tmp_path: Path, web_file: Path, port: int) -> list[str]:
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(f"http://127.0.0.1:{free_port()}"))
    return [sys.executable, "-m", "exporter", "--log-format", "json", "run", "-c", str(config),
            "--no-store", "--listen", f"127.0.0.1:{port}",
            "--web.config.file", str(web_file)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("basic_auth_users:\n  alice: hunter2\n", "basic_auth_users.alice"),
        ("tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n",
         "tls_server_config.cert_file"),
        ("http_server_config:\n  headers:\n    Server: mine\n",
         "http_server_config.headers.Server"),
    ],
)  # fmt: skip
def test_a_bad_web_config_stops_the_start_in_one_line(tmp_path: Path, text: str, field: str):
    """The exporter exits 1 before serving, with one line naming the file and the field
    (no traceback, no password)."""
    web_file = tmp_path / "web.yml"
    web_file.write_text(text)
    done = subprocess.run(
        command(tmp_path, web_file, free_port()),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{web_file}:")
    assert field in lines[0]
    assert "hunter2" not in done.stderr


def fetch(url: str, context: ssl.SSLContext, auth: str | None) -> int:
    request = urllib.request.Request(url)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_the_exporter_serves_over_tls_behind_basic_auth(tmp_path: Path):
    """Started with a web config, the process answers only over TLS (with the test CA's
    certificate), 401 without credentials and 200 with them; after SIGHUP the file's new
    password works and the old one no longer does."""
    ca = Authority(tmp_path)
    server = ca.issue("server", server=True)
    hashed = bcrypt_hash("scrape-me")
    web_file = write_web_config(tmp_path / "web.yml", server, "prometheus", hashed)
    port = free_port()
    log = tmp_path / "stderr.log"
    process = start_logging_stderr(command(tmp_path, web_file, port), log)
    context = ssl.create_default_context(cafile=str(ca.pair.cert))
    url = f"https://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 30
        status = None
        while status is None:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            with contextlib.suppress(OSError):
                status = fetch(url, context, None)
            time.sleep(0.1)
        assert status == 401
        assert fetch(url, context, "prometheus:wrong") == 401
        assert fetch(url, context, "prometheus:scrape-me") == 200
        with pytest.raises(ConnectionError):  # plain HTTP gets no page
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        rotated = bcrypt_hash("rotated")
        web_file.write_text(web_file.read_text().replace(hashed, rotated))
        process.send_signal(signal.SIGHUP)  # at once, not at the next look of the watcher
        deadline = time.monotonic() + 3
        while fetch(url, context, "prometheus:rotated") != 200:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert fetch(url, context, "prometheus:scrape-me") == 401
    finally:
        stop_process(process)
    assert "Traceback" not in log.read_text()
