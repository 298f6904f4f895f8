"""The daemon's web app served in-process by aiohttp's test client, as the web tests use it.

Waits are bounded, not speed assertions: each test asserts what it needs afterwards.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from exporter.app import DAEMON, create_app
from exporter.config.loader import load_config
from exporter.settings import Settings
from exporter.store.history import HistoryStore


async def wait_cycles(app: web.Application, cycles: int = 1, seconds: float = 10.0) -> None:
    """Wait until the daemon has finished ``cycles`` cycles, at most ``seconds``."""
    for _ in range(round(seconds / 0.02)):
        if app[DAEMON].cycles >= cycles:
            return
        await asyncio.sleep(0.02)


async def serve(
    aiohttp_client: Any, path: Path, cycles: int = 1, seconds: float = 10.0, **app_options: Any
) -> tuple[web.Application, Any]:
    """The app of the config at ``path`` and its test client, once ``cycles`` cycles ran."""
    app = create_app(load_config(path), **app_options)
    client = await aiohttp_client(app)
    await wait_cycles(app, cycles, seconds)
    return app, client


async def serve_with_filled_store(
    aiohttp_client: Any, settings: Settings, data_dir: Path
) -> tuple[web.Application, Any]:
    """The app with a history store in ``data_dir``, once ready, the store filled and a
    cycle run after the fill (the one that counts from the store)."""
    app = create_app(settings, store=HistoryStore.open(data_dir))
    client = await aiohttp_client(app)
    for _ in range(1200):
        if app[DAEMON].ready:
            break
        await asyncio.sleep(0.1)
    assert app[DAEMON].ready
    daemon = app[DAEMON]
    await daemon.counters.keeper.behind.wait()  # ready at once; the store fills behind
    # a cycle that ran while the fill did left those streams behind its T: the first cycle
    # that starts after the fill brings them up to date and counts the SLOs from the store
    # (two woken cycles: the first may have started before the fill ended)
    for _ in range(2):
        target = daemon.cycles + 1
        daemon.wake()
        for _ in range(1200):
            if daemon.cycles >= target:
                break
            await asyncio.sleep(0.1)
        assert daemon.cycles >= target
    return app, client


def strict_json(text: str) -> Any:
    """JSON that must not hold NaN or Infinity."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")

    return json.loads(text, parse_constant=refuse)


async def get_json(client: Any, url: str) -> tuple[int, Any]:
    """GET ``url``: the status and the body, strict JSON."""
    response = await client.get(url)
    return response.status, strict_json(await response.text())


async def get_text(client: Any, url: str) -> tuple[int, str]:
    """GET ``url``: the status and the body's text."""
    response = await client.get(url)
    return response.status, await response.text()


def assert_one_line_json_error(body: Any, message: str) -> None:
    """``body`` is only ``{"error": ...}``, one line that holds ``message``."""
    assert list(body) == ["error"]
    assert message in body["error"]
    assert "\n" not in body["error"]
