"""The cap on open HTTP connections, in process: at the cap a new request is answered
and the connection idle longest is closed; only when every connection is busy is the
new one refused (503), and a refused or replaced client never stops the server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from exporter.connections import fitting_cap
from exporter.http_server import bind, serve


@dataclass
class Served:
    port: int
    release: asyncio.Event
    """Set it to let ``/slow`` requests finish."""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def stand_in_app() -> tuple[web.Application, asyncio.Event]:
    """A stand-in application: ``/healthz`` answers at once, ``/slow`` when released."""
    release = asyncio.Event()

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="done\n")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/slow", slow)
    return app, release


@contextlib.asynccontextmanager
async def serving(max_connections: int) -> AsyncIterator[Served]:
    app, release = stand_in_app()
    sockets = bind("127.0.0.1", 0)
    port = int(sockets[0].getsockname()[1])
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, sockets, max_connections, stop=stop))
    try:
        yield Served(port, release)
    finally:
        release.set()
        stop.set()
        await asyncio.wait_for(task, 30)


async def idle_connections(port: int, count: int) -> list[socket.socket]:
    """Connections that send nothing (the kernel completes them before any accept)."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setblocking(False)
        held.append(sock)
        await asyncio.sleep(0.01)  # the server accepts them one by one, oldest first
    await asyncio.sleep(0.1)
    return held


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed this connection (reading gives EOF at once)."""
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionError:
        return True


async def test_at_the_cap_a_probe_is_answered_and_the_oldest_idle_connection_closed():
    """Ten idle connections against a cap of four: every probe is still answered, and the
    connections that waited longest are the ones closed."""
    async with serving(max_connections=4) as served:
        held = await idle_connections(served.port, 10)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for _ in range(3):
                async with session.get(served.url("/healthz")) as response:
                    assert response.status == 200
        await asyncio.sleep(0.1)
        closed = [closed_by_server(sock) for sock in held]
        assert closed[:6] == [True] * 6
        assert closed.count(False) <= 3
        for sock in held:
            sock.close()


async def test_when_every_connection_is_busy_the_new_one_is_refused_with_503():
    """With the cap full of requests still running, a new connection gets 503 at once;
    once they finish, requests are answered again."""
    async with serving(max_connections=2) as served:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            slow = [asyncio.ensure_future(session.get(served.url("/slow"))) for _ in range(2)]
            await asyncio.sleep(0.3)
            async with aiohttp.ClientSession(timeout=timeout) as other:
                async with other.get(served.url("/healthz")) as refused:
                    assert refused.status == 503
                    assert await refused.text() == "too many connections\n"
                served.release.set()
                for response in await asyncio.gather(*slow):
                    assert response.status == 200
                    response.release()
                async with other.get(served.url("/healthz")) as answered:
                    assert answered.status == 200


@pytest.mark.parametrize(
    ("fd_limit", "wanted", "cap"),
    [
        (1_048_576, None, 512),  # Docker's usual limit: the default
        (1024, None, 432),  # systemd's usual soft limit
        (256, None, 48),
        (256, 1000, 48),  # asked for more than the descriptors allow
        (65536, 2000, 2000),
        (100, None, 1),  # the cap never drops to 0
    ],
)
def test_the_cap_fits_the_open_file_limit(fd_limit: int, wanted: int | None, cap: int):
    """The cap is 512 (or ``--web.max-connections``), lowered so that it and a burst of
    as many new connections leave 160 descriptors for queries, the store and the rest."""
    assert fitting_cap(fd_limit, wanted) == cap
