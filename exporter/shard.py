"""Split the SLOs of one config between N replicas: ``--shard I/N``.

An SLO belongs to shard ``sha256(name) mod N`` (the first 8 bytes of the
digest, big-endian), so every replica computes the same partition from the
same config, whatever the process, platform or Python hash seed, and
adding or removing an SLO moves no other SLO.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from exporter.domain.model import SLO


@dataclass(frozen=True)
class Shard:
    """Replica ``index`` of ``count`` (0-based)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= I < N")

    def owns(self, name: str) -> bool:
        """True when the SLO called ``name`` is evaluated by this replica."""
        digest = hashlib.sha256(name.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def select(self, slos: Iterable[SLO]) -> tuple[SLO, ...]:
        """This replica's SLOs, in config order."""
        return tuple(slo for slo in slos if self.owns(slo.name))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``I/N`` with 0 <= I < N, e.g. ``0/3``; ``ValueError`` with a one-line reason."""
    index, sep, count = text.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise ValueError(f"{text!r} is not I/N (e.g. 0/3: the first of three replicas)")
    return Shard(int(index), int(count))
