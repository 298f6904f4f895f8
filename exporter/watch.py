"""Notice when the config file changes on disk (editors, ConfigMap updates)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path

from exporter.openslo.load import config_files


def fingerprint(path: Path) -> str | None:
    """A digest of the config's bytes (every file of an OpenSLO directory), or None
    while it cannot be read."""
    digest = hashlib.sha256()
    try:
        files = config_files(path) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.name).encode() + b"\0" + file.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


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
