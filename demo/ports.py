"""The demos' ports on 127.0.0.1, checked before anything starts: a port that is taken
is one line naming the make variable (and the flag) that moves it."""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass

EXIT_LISTEN = 5
"""slo-exporter's exit code when it cannot listen on its address."""


@dataclass(frozen=True)
class Port:
    number: int
    what: str
    """What listens there, for the message: ``the demo service``."""
    variable: str
    """The Makefile variable that sets it: ``DEMO_SERVICE_PORT``."""
    flag: str
    """The script's flag that sets it: ``--service-port``."""

    def hint(self, target: str, script: str) -> str:
        other = free_after(self.number)
        return (
            f"choose another port: make {target} {self.variable}={other} "
            f"(or {script} {self.flag} {other})"
        )


def taken(port: int) -> str | None:
    """Why nothing can listen on ``127.0.0.1:port`` now, or None if it is free."""
    try:
        with socket.create_server(("127.0.0.1", port)):
            return None
    except OSError as err:
        return (err.strerror or str(err)).lower()


def free_after(port: int) -> int:
    """The first free port above ``port`` (a suggestion; bounded search)."""
    for candidate in range(port + 1, min(port + 200, 65536)):
        if taken(candidate) is None:
            return candidate
    return port + 1


def check(ports: list[Port], target: str, script: str) -> bool:
    """True if every port is free; otherwise one line per taken port on stderr."""
    free = True
    for port in ports:
        reason = taken(port.number)
        if reason is not None:
            free = False
            print(
                f"demo: 127.0.0.1:{port.number} for {port.what} is taken ({reason}); "
                + port.hint(target, script),
                file=sys.stderr,
            )
    return free
