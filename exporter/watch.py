"""Notice when the config file changes on disk (editors, ConfigMap updates).

Looking at the file never happens on the event loop: a stat, an open or a read can
block for as long as a network filesystem hangs, and /metrics and the probes must
answer meanwhile. Each look runs in a daemon thread (one at a time), so even a read
that never returns holds one thread and neither the loop nor the process's exit.
Only regular files are read: a FIFO or a device at the path is "cannot be read".
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from exporter.openslo.load import config_files

T = TypeVar("T")
CHUNK = 1 << 20


def _digest_file(path: Path, digest: hashlib._Hash) -> bool:
    """Add ``path``'s bytes to ``digest``; False if it is no regular file. Opened without
    blocking, so a FIFO never waits for a writer; the check is on what was opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb", closefd=True) as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        digest.update(path.name.encode() + b"\0")
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return True


def fingerprint(path: Path) -> str | None:
    """A digest of the config's bytes (every file of an OpenSLO directory), or None
    while it cannot be read. Blocking: call it off the event loop."""
    digest = hashlib.sha256()
    try:
        files = config_files(path) if path.is_dir() else [path]
        for file in files:
            if not _digest_file(file, digest):
                return None
    except OSError:
        return None
    return digest.hexdigest()


async def in_daemon_thread(work: Callable[[], T]) -> T:
    """``work()`` in a new daemon thread; unlike the default executor, a call that never
    returns does not keep the process from exiting."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():  # the waiting task was cancelled meanwhile
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = work()
        except BaseException as err:  # handed to the awaiting task
            error = err
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="config-watch", daemon=True).start()
    return await done


async def watch_file(path: Path, on_change: Callable[[], object], every: float = 5.0) -> None:
    """Call ``on_change`` whenever the content of ``path`` changes; runs until cancelled.

    Content, not mtime, is compared: Kubernetes swaps ConfigMap files through
    symlinks, and some editors keep the mtime.
    """
    last = await in_daemon_thread(lambda: fingerprint(path))
    while True:
        await asyncio.sleep(every)
        current = await in_daemon_thread(lambda: fingerprint(path))
        if current is not None and current != last:
            last = current
            on_change()
