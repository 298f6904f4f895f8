"""The config watcher never holds up the event loop: whatever sits at the config path,
/healthz and /metrics answer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from fake_backend import FakeBackend
from one_slo import one_slo_config

from exporter.app import create_app
from exporter.config.loader import load_config

UNBLOCK_EVERY = 2.0
"""Seconds between the helper's openings of the FIFO for writing (each lets a reader
blocked in ``open`` go on, with an empty file)."""


@contextlib.contextmanager
def unblocked_now_and_then(fifo: Path) -> Iterator[None]:
    """A thread that opens ``fifo`` for writing every ``UNBLOCK_EVERY`` seconds, so a
    reader blocked on it (the bug under test) costs seconds, not the whole test run."""
    stop = threading.Event()

    def unblock() -> None:
        with contextlib.suppress(OSError):  # ENXIO: nobody is reading; nothing to free
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    def loop() -> None:
        while not stop.wait(UNBLOCK_EVERY):
            unblock()
        unblock()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


async def test_a_fifo_at_the_config_path_leaves_probes_and_scrapes_answering(
    aiohttp_client, tmp_path: Path, fake_backend: FakeBackend
):
    """With a FIFO (nothing writing to it) at the watched config path, as a stuck network
    filesystem would behave, the event loop never stalls: /healthz and /metrics answer
    within a second, every time, while the watcher looks at the path every 50 ms."""
    config = tmp_path / "slos.yaml"
    config.write_text(one_slo_config(fake_backend.url, timeout=None))
    fifo = tmp_path / "watched.yaml"
    os.mkfifo(fifo)
    with unblocked_now_and_then(fifo):
        app = create_app(load_config(config), config_path=fifo, watch_interval=0.05)
        client = await aiohttp_client(app)
        for path in ("/healthz", "/metrics") * 3:
            started = time.monotonic()
            await asyncio.sleep(0.2)  # a few of the watcher's looks in between
            response = await client.get(path)
            assert response.status == 200
            assert time.monotonic() - started < 1.2, "the loop waited for the watcher"
