"""A cap on open HTTP connections, so that clients holding connections open cannot take
the process's file descriptors, and with them /metrics and the probes.

At the cap a new connection takes the place of the one idle longest: a keep-alive
connection between scrapes, or a client that connected and sent nothing. A connection
whose request has been running (or stuck writing to a client that does not read) for
``STALLED_AFTER`` seconds goes next. Only when every connection is busy with a younger
request is the new one answered 503 and closed. So a probe or a scrape always gets its
answer before an idle connection gets to stay.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Awaitable, Callable
from typing import cast

import structlog
from aiohttp import web

log = structlog.get_logger("slo_exporter")

DEFAULT_MAX_CONNECTIONS = 512
"""The cap when the open-file limit allows it (Prometheus' own default)."""
FD_RESERVE = 160
"""Descriptors the cap leaves for the rest of the process: outgoing queries and scrapes
(aiohttp's pool holds up to 100), the history store, the event loop, stdio."""
IDLE_TIMEOUT = 20.0
"""Seconds an idle connection stays open (aiohttp's default is an hour)."""
STALLED_AFTER = 30.0
"""Seconds after which a request still running may lose its connection at the cap."""
WARN_EVERY = 60.0
"""At most one ``connection_limit_reached`` line per this many seconds."""

_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n"
)


def open_file_limit() -> int:
    """The soft limit on open file descriptors (``ulimit -n``)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def fitting_cap(fd_limit: int, wanted: int | None = None) -> int:
    """The connection cap for ``fd_limit`` descriptors: ``wanted`` (default 512), at most
    half of what the reserve leaves. The other half absorbs one batch of connections
    accepted at once (``accept_batch``) before the idle ones they replace are closed."""
    fits = max(1, (fd_limit - FD_RESERVE) // 2)
    return min(wanted if wanted is not None else DEFAULT_MAX_CONNECTIONS, fits)


def accept_batch(cap: int, backlog: int) -> int:
    """The listen backlog to use, which is also how many connections asyncio accepts in
    one go: no more than the cap, so a batch fits in the descriptors the cap left."""
    return max(1, min(cap, backlog))


class _Refused(asyncio.Protocol):
    """A connection over the cap: a 503 and close."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).write(_REFUSAL)
        transport.close()


class _Counted(asyncio.Protocol):
    """aiohttp's handler for one connection, counted from accept until closed."""

    def __init__(self, handler: web.RequestHandler, limit: ConnectionLimit) -> None:
        self.handler = handler
        self._limit = limit

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        self.handler.eof_received()  # aiohttp's returns None: the transport closes
        return None

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._limit.closed(self.handler)
        self.handler.connection_lost(exc)


class ConnectionLimit:
    """At most ``limit`` open connections for one aiohttp ``web.Server``.

    ``protocol_factory`` replaces the server itself as the factory given to
    ``loop.create_server``; ``middleware``, one of the application's middlewares, tells
    busy connections from idle ones.
    """

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._open: dict[web.RequestHandler, float] = {}
        """Connection -> when it was accepted or its last request started or ended."""
        self._busy: set[web.RequestHandler] = set()
        self._closing: set[web.RequestHandler] = set()
        self.replaced = 0
        self.refused = 0
        self._warned = -WARN_EVERY

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Mark the request's connection busy while its handler runs."""
        connection = request.protocol
        tracked = connection in self._open
        if tracked:
            self._open[connection] = self._clock()
            self._busy.add(connection)
        try:
            return await handler(request)
        finally:
            if tracked and connection in self._open:
                self._busy.discard(connection)
                self._open[connection] = self._clock()

    def protocol_factory(self, server: web.Server) -> Callable[[], asyncio.Protocol]:
        """What ``loop.create_server`` calls for each accepted connection."""

        def connection() -> asyncio.Protocol:
            if len(self._open) - len(self._closing) >= self.limit and not self._make_room():
                self.refused += 1
                self._warn()
                return _Refused()
            handler = server()
            self._open[handler] = self._clock()
            return _Counted(handler, self)

        return connection

    def closed(self, handler: web.RequestHandler) -> None:
        """A connection is gone (its descriptor is closed right after)."""
        self._open.pop(handler, None)
        self._busy.discard(handler)
        self._closing.discard(handler)

    def _make_room(self) -> bool:
        """Close the connection idle longest (or stalled longest); False if none may go."""
        now = self._clock()
        idle = [c for c in self._open if c not in self._busy and c not in self._closing]
        stalled = [
            c for c in self._busy if c not in self._closing and now - self._open[c] >= STALLED_AFTER
        ]
        candidates = idle or stalled
        if not candidates:
            return False
        victim = min(candidates, key=self._open.__getitem__)
        self._closing.add(victim)
        victim.force_close()
        self.replaced += 1
        self._warn()
        return True

    def _warn(self) -> None:
        now = self._clock()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning(
                "connection_limit_reached",
                max_connections=self.limit,
                closed_idle=self.replaced,
                refused=self.refused,
            )
