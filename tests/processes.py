"""Starting and stopping the real backends the tests run against (Prometheus, VictoriaMetrics).

Child processes get a free 127.0.0.1 port, log to a file, die with the test
process on Linux, and are stopped with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
from pathlib import Path

STOP_TIMEOUT = 10.0
"""Seconds to wait after SIGTERM before SIGKILL."""


def fmt_time(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else repr(float(t))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: SIGTERM the child if the test process dies without tearing down."""
    with contextlib.suppress(Exception):  # best effort only
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=log_path.parent,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )


def start_logging_stderr(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """``cmd`` started with its stderr alone in ``log_path`` (stdout discarded)."""
    with open(log_path, "wb") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=die_with_parent,  # noqa: PLW1509
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_tail(path: Path, limit: int = 8000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return text if len(text) <= limit else "...\n" + text[-limit:]
