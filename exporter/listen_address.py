"""Where ``run`` serves, as ``healthcheck`` must know it too: the listen address as users
write it (``HOST:PORT``, ``[IPv6]:PORT`` or ``:PORT``) and the web config file.

Standard library only: the container's health check (``python -m exporter.healthcheck``)
imports this and nothing heavier.
"""

from __future__ import annotations

import argparse
import os

LISTEN_ENV = "SLO_EXPORTER_LISTEN_ADDRESS"
"""Where ``run`` listens and ``healthcheck`` probes when no flag says otherwise."""
DEFAULT_LISTEN = ":9099"
LISTEN_FLAG = "--web.listen-address"
WEB_CONFIG_ENV = "SLO_EXPORTER_WEB_CONFIG_FILE"
"""The ``--web.config.file`` of ``run`` and ``healthcheck`` when no flag gives one."""


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``:PORT`` (every IPv4 interface)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT with a port from 0 to 65535 (e.g. :9099)"
        )
    return host.strip("[]") or "0.0.0.0", int(port)


def default_listen() -> str:
    """The listen address when no flag gives one: ``$SLO_EXPORTER_LISTEN_ADDRESS``, else
    ``:9099``."""
    return os.environ.get(LISTEN_ENV) or DEFAULT_LISTEN


def display(host: str, port: int) -> str:
    """``host:port`` as a user writes it (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def default_web_config() -> str | None:
    """The web config file when no flag gives one: ``$SLO_EXPORTER_WEB_CONFIG_FILE``."""
    return os.environ.get(WEB_CONFIG_ENV) or None
