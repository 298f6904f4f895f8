"""Long loops on the event loop give way to scrapes and probes every few milliseconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import TypeVar

PAUSE_AFTER = 0.01
"""Seconds of work between two yields to the event loop."""

_T = TypeVar("_T")


class Pauser:
    """Yields to the event loop once :data:`PAUSE_AFTER` seconds of work went by, so
    scrapes and probes wait at most about that long behind a cycle's thousands of SLOs."""

    def __init__(self) -> None:
        self._since = time.perf_counter()

    async def maybe(self) -> None:
        """Yield if this loop has run for :data:`PAUSE_AFTER` seconds since the last yield."""
        if time.perf_counter() - self._since >= PAUSE_AFTER:
            await asyncio.sleep(0)
            self._since = time.perf_counter()


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
