"""The exporter as a process under hostile clients and a hostile start: too many
connections for its file descriptors, malformed HTTP, an address it cannot listen on.

Every test starts ``slo-exporter run`` as a child process on 127.0.0.1 (integration).
Its backend is a closed port and its interval an hour: the one cycle at the start
fails quickly, so the log holds only what the test provokes and the lines every run
writes (``started``, ``listening``, one failed cycle, ``stopped``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from one_slo import one_slo_config
from processes import die_with_parent, free_port

pytestmark = pytest.mark.integration  # every test runs the exporter as a child process

EXPORTER = [sys.executable, "-m", "exporter"]


OWN_LOGGER = "slo_exporter"
"""The logger name of the exporter's own events; anything else is a library's line."""


@dataclass
class Exporter:
    """A running ``slo-exporter run`` whose stderr goes to ``log``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, timeout: float = 5.0) -> int:
        """The status of a GET (an HTTP error status too); raises if nothing answers."""
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as err:
            return err.code

    def wait_serving(self, seconds: float = 30.0) -> None:
        """Wait (bounded) until /healthz answers."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.text()
            with contextlib.suppress(OSError):
                if self.get("/healthz", timeout=1) == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"/healthz never answered:\n{self.text()}")

    def stop(self) -> str:
        """SIGTERM, wait, and the whole stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.text()

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_exporter(
    tmp_path: Path, *args: str, log_format: str = "json", preexec: Callable[[], None] | None = None
) -> Exporter:
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(f"http://127.0.0.1:{free_port()}"))
    port = free_port()
    log = tmp_path / "stderr.log"

    def prepare() -> None:  # pragma: no cover - runs in the child
        die_with_parent()
        if preexec is not None:
            preexec()

    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [*EXPORTER, "--log-format", log_format, "run", "-c", str(config),
             "--listen", f"127.0.0.1:{port}", "--no-store", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=prepare,  # noqa: PLW1509 - setrlimit and prctl only
        )  # fmt: skip
    return Exporter(process, port, log)


@pytest.fixture
def exporter_factory(tmp_path: Path) -> Iterator[Callable[..., Exporter]]:
    """Start exporters (each in its own folder); every one is stopped afterwards."""
    started: list[Exporter] = []

    def make(*args: str, **kwargs: object) -> Exporter:
        folder = tmp_path / str(len(started))
        folder.mkdir()
        exporter = start_exporter(folder, *args, **kwargs)  # type: ignore[arg-type]
        started.append(exporter)
        return exporter

    yield make
    for exporter in started:
        exporter.stop()


def json_lines(text: str) -> list[dict[str, object]]:
    """Every line of a JSON log, parsed; fails naming the first line that is not JSON."""
    parsed = []
    for line in text.splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line is not JSON: {line[:300]!r}") from None
    return parsed


# --------------------------------------------------------------------------- fd exhaustion

FD_LIMIT = 256
IDLE_CONNECTIONS = 300


def low_fd_limit() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def hold_idle_connections(port: int, count: int, seconds: float) -> list[socket.socket]:
    """Open up to ``count`` connections that never send a byte (bounded by ``seconds``)."""
    held: list[socket.socket] = []
    deadline = time.monotonic() + seconds
    while len(held) < count and time.monotonic() < deadline:
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            break
    return held


def test_idle_connections_beyond_the_fd_limit_leave_metrics_and_probes_answering(
    exporter_factory,
):
    """With the open-file limit at 256 and 300 idle connections held, /metrics and /healthz
    still answer, accepting never runs out of descriptors, and the log stays a handful of
    lines instead of a flood of tracebacks."""
    exporter = exporter_factory(preexec=low_fd_limit)
    exporter.wait_serving()
    held = hold_idle_connections(exporter.port, IDLE_CONNECTIONS, seconds=20)
    try:
        assert len(held) > FD_LIMIT
        time.sleep(1.0)  # what floods, floods now
        for path in ("/healthz", "/metrics", "/healthz", "/metrics"):
            assert exporter.get(path) == 200, path
        time.sleep(1.0)
    finally:
        for sock in held:
            sock.close()
    text = exporter.stop()
    lines = json_lines(text)
    assert len(lines) <= 12, text[-3000:]
    assert len(text) < 10_000
    assert not [line for line in lines if line["logger"] == "asyncio"], "accept ran out of fds"
    listening = [line for line in lines if line["event"] == "listening"]
    assert 0 < int(listening[0]["max_connections"]) < FD_LIMIT  # type: ignore[call-overload]


# --------------------------------------------------------------------------- malformed HTTP

MALFORMED_REQUESTS = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n",
    b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(32)),
]
"""Requests no HTTP/1.1 parser accepts: bad request lines, headers, lengths and chunks, a
bad request pipelined after a good one, an HTTP/2 preface and a TLS handshake."""


def send_raw(port: int, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (bounded)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                received += chunk
    return received


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_malformed_requests_are_at_most_one_log_line_each(exporter_factory, log_format: str):
    """Each malformed request is answered 400 and costs at most one log line, with no
    traceback; in JSON format every line of the log, the HTTP library's included, is JSON."""
    exporter = exporter_factory(log_format=log_format)
    exporter.wait_serving()
    answers = [send_raw(exporter.port, request) for request in MALFORMED_REQUESTS]
    assert exporter.get("/healthz") == 200
    text = exporter.stop()
    assert any(b" 400 " in answer for answer in answers)
    assert "Traceback" not in text
    if log_format == "json":
        foreign = [line for line in json_lines(text) if line.get("logger") != OWN_LOGGER]
        assert len(foreign) <= len(MALFORMED_REQUESTS), text
        assert all(line["level"] in {"debug", "info", "warning"} for line in foreign), foreign
    else:
        foreign = [line for line in text.splitlines() if f"[{OWN_LOGGER}]" not in line]
        assert len(foreign) <= len(MALFORMED_REQUESTS), text


# --------------------------------------------------------------------------- start-up


def run_briefly(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXPORTER, "--log-format", "json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port of 127.0.0.1 another socket listens on."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield int(sock.getsockname()[1])


EXIT_LISTEN = 5


@pytest.mark.parametrize(
    ("address", "cause"),
    [
        ("127.0.0.1:{busy}", "address already in use"),
        ("192.0.2.1:9099", "cannot assign requested address"),
    ],
    ids=["port-taken", "not-a-local-address"],
)
def test_an_address_it_cannot_listen_on_is_one_line_and_exit_5(
    tmp_path: Path, busy_port: int, address: str, cause: str
):
    """A busy port or an address of no local interface: one line naming the address and the
    cause, exit code 5 (not 1, the code for an invalid config), and no "listening" logged."""
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(f"http://127.0.0.1:{free_port()}"))
    address = address.format(busy=busy_port)
    result = run_briefly(["run", "-c", str(config), "--no-store", "--listen", address])
    assert result.returncode == EXIT_LISTEN, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert address in line
    assert cause in line.lower()
    assert "listening" not in result.stderr


@pytest.mark.parametrize("flag", ["--web.listen-address", "--listen"])
def test_run_listens_where_either_flag_says(exporter_factory, tmp_path: Path, flag: str):
    """``--web.listen-address`` (the Prometheus exporters' name) and ``--listen`` both set
    the address; "listening" is logged once, naming the port actually bound."""
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(f"http://127.0.0.1:{free_port()}"))
    port = free_port()
    log = tmp_path / "stderr.log"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [*EXPORTER, "--log-format", "json", "run", "-c", str(config), "--no-store", flag,
             f"127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    exporter = Exporter(process, port, log)
    try:
        exporter.wait_serving()
    finally:
        text = exporter.stop()
    listening = [line for line in json_lines(text) if line["event"] == "listening"]
    assert len(listening) == 1
    assert listening[0]["port"] == port
    assert process.returncode == 0


@pytest.mark.parametrize(
    "command", [["healthcheck"], ["-m", "exporter.healthcheck"]], ids=["subcommand", "module"]
)
def test_healthcheck_follows_the_listen_address_setting(exporter_factory, command: list[str]):
    """``slo-exporter healthcheck`` (and ``python -m exporter.healthcheck``, the image's
    light check) probes /healthz at ``SLO_EXPORTER_LISTEN_ADDRESS``, the setting ``run``
    reads too: exit 0 while the exporter answers there, else one line and exit 1."""
    exporter = exporter_factory()
    exporter.wait_serving()
    argv = [*EXPORTER, *command] if command[0] != "-m" else [sys.executable, *command]
    env = {**os.environ, "SLO_EXPORTER_LISTEN_ADDRESS": f"127.0.0.1:{exporter.port}"}
    healthy = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30, check=False)
    assert healthy.returncode == 0, healthy.stderr
    closed = free_port()
    env["SLO_EXPORTER_LISTEN_ADDRESS"] = f":{closed}"
    down = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30, check=False)
    assert down.returncode == 1
    (line,) = down.stderr.strip().splitlines()
    assert f"127.0.0.1:{closed}" in line
