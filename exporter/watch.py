"""Notice when the config file changes on disk (editors, ConfigMap updates)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path


def fingerprint(path: Path) -> str | None:
    """A digest of the file's bytes, or None while it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


async def watch_file(path: Path, on_change: Callable[[], object], every: float = 5.0) -> None:
    """Call ``on_change`` whenever the content of ``path`` changes; runs until cancelled.

    Content, not mtime, is compared: Kubernetes swaps ConfigMap files through
    symlinks, and some editors keep the mtime.
    """
    last = fingerprint(path)
    while True:
        await asyncio.sleep(every)
        current = fingerprint(path)
        if current is not None and current != last:
            last = current
            on_change()
