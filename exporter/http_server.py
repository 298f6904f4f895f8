"""Serving the application: bind the address first, then start the app, accept
connections under a cap, and stop on SIGTERM or SIGINT.

The address is bound before anything else starts, so an address the process cannot
listen on is one line (``ListenError``) before a store is opened or a query sent, and
``listening`` is logged only once connections are being accepted.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl

import structlog
from aiohttp import web

from exporter.connections import IDLE_TIMEOUT, ConnectionLimit, accept_batch, open_file_limit
from exporter.listen_address import LISTEN_FLAG, display

log = structlog.get_logger("slo_exporter")

BACKLOG = 128
SHUTDOWN_TIMEOUT = 10.0
"""Seconds a request still running at SIGTERM gets to finish."""


class ListenError(Exception):
    """The address cannot be listened on; the message is one line for the user."""


def _reason(err: OSError) -> str:
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address ``host`` resolves to (as asyncio would bind
    them); raises ``ListenError`` naming the address and the cause."""
    where = f"cannot listen on {display(host, port)} ({LISTEN_FLAG})"
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as err:
        raise ListenError(f"{where}: {_reason(err) if isinstance(err, OSError) else err}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except OSError as err:
        for sock in sockets:
            sock.close()
        raise ListenError(f"{where}: {_reason(err)}") from None
    return sockets


async def serve(
    app: web.Application,
    sockets: list[socket.socket],
    max_connections: int,
    stop: asyncio.Event | None = None,
    tls: ssl.SSLContext | None = None,
) -> None:
    """Run ``app`` on the bound ``sockets`` until SIGTERM or SIGINT (or ``stop`` is set),
    at most ``max_connections`` open at once (see ``exporter.connections``); over TLS
    with ``tls``."""
    loop = asyncio.get_running_loop()
    stop = stop if stop is not None else asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    limit = ConnectionLimit(max_connections)
    app.middlewares.append(limit.middleware)
    runner = web.AppRunner(
        app, access_log=None, keepalive_timeout=IDLE_TIMEOUT, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    try:
        await runner.setup()
        assert runner.server is not None  # set up above
        factory = limit.protocol_factory(runner.server)
        backlog = accept_batch(max_connections, BACKLOG)
        servers = [
            await loop.create_server(factory, sock=sock, backlog=backlog, ssl=tls)
            for sock in sockets
        ]
        host, port = sockets[0].getsockname()[:2]
        log.info(
            "listening",
            host=host,
            port=port,
            tls=tls is not None,
            max_connections=max_connections,
            open_files=open_file_limit(),
        )
        await stop.wait()
        for server in servers:
            server.close()
    finally:
        await runner.cleanup()
        for sock in sockets:  # closed with their server; here if it never started
            sock.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
