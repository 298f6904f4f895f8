"""What ``/metrics`` shows per SLO, kept across cycles and reloads, rendered off the loop.

An SLO's last good numbers stay served, with ``slo_data_ok 0``, when a later
cycle fails for it; a reload keeps the entries of SLOs it did not change.
The text is rendered and gzip-compressed in a worker thread once per cycle, and
only the compressed bytes are kept (a twelfth of the text: 25 MiB instead of 291
at 50,000 SLOs), so a gzip scrape (Prometheus always asks for gzip) only copies
bytes; a plain scrape gets the text decompressed piece by piece as it is sent.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from exporter import exposition, logs
from exporter.domain.model import SLO
from exporter.exposition import Served
from exporter.pipeline.cycle import EvaluationRun

GZIP_LEVEL = 1
"""zlib level of the compressed exposition: level 1 packs the slo_* series about 10:1 for a
third of level 6's CPU (10,000 SLOs, 58 MB of text: 0.18 CPU s and 6.0 MB against 0.53 s
and 5.0 MB); compressing is a sixth of a cycle's CPU outside the store, the 20 % larger
body costs a scrape nothing that matters."""
PIECE = 256 * 1024
"""Compressed bytes decompressed at a time for a plain scrape (about 3 MiB of text)."""


class ServedSLOs:
    """The served entry of every SLO of the current config, and their exposition."""

    def __init__(self) -> None:
        self._served: dict[str, Served] = {}
        self._groups: dict[str, dict[str, Served]] = {}
        """Per grouped SLO whose groups were found: each group's entry, by its name."""
        self._renderer = exposition.Renderer()
        self._current: tuple[bytes, int] = _pack(b"")
        """The exposition gzip-compressed, and its size as text."""
        self._published = 0
        self.failed: dict[str, str] = {}
        self.last_run: EvaluationRun | None = None
        """The last cycle folded in, and the wall-clock time it was (``/api/v1/status``)."""
        self.last_run_at: float | None = None
        """Why each SLO that failed in the last cycle failed (one line each)."""
        self.version = 0
        """Changes whenever the entries do (a config applied, a cycle folded in), so what is
        built from them can be kept until it does."""
        self.on_published: list[Callable[[], None]] = []
        """Called after each cycle's and each reload's numbers are published."""

    def apply(self, slos: Iterable[SLO]) -> None:
        """Serve ``slos`` from now on; an unchanged SLO keeps its numbers (a grouped one
        its groups')."""
        old, self._served = self._served, {}
        old_groups, self._groups = self._groups, {}
        for slo in slos:
            previous = old.get(slo.name)
            if previous is not None and previous.slo == slo:
                self._served[slo.name] = previous
                if slo.name in old_groups:
                    self._groups[slo.name] = old_groups[slo.name]
            else:
                succeeded_at = None if previous is None else previous.succeeded_at
                self._served[slo.name] = Served(slo, None, fresh=False, succeeded_at=succeeded_at)

    def entries(self) -> list[Served]:
        """The served entry of every SLO of the current config; a grouped SLO's groups
        stand in for it once they were found."""
        out: list[Served] = []
        for name, entry in self._served.items():
            groups = self._groups.get(name)
            out.extend(groups.values() if groups is not None else (entry,))
        return out

    def fold(self, run: EvaluationRun, now: float) -> None:
        """Take a cycle's results; an SLO that failed keeps its last numbers, marked stale."""
        self._regroup(run)
        for name, result in run.results.items():
            slo = result.slo
            entries = self._groups.get(slo.group_of) if slo.group_of else self._served
            entry = None if entries is None else entries.get(name)
            # a phased SLO's result holds the SLO as it stood at T (its phase's objective)
            if (
                entries is not None
                and entry is not None
                and (entry.slo.in_force(result.evaluated_at) == slo)
            ):
                entries[name] = Served(entry.slo, result, fresh=True, succeeded_at=now)
        self.last_run, self.last_run_at = run, now
        self.failed = {name: _one_line(str(error)) for name, error in run.failures.items()}
        for name in run.failures:
            entry = self._served.get(name)
            if entry is not None:  # an SLO, or a grouped one whose groups were not found
                self._served[name] = replace(entry, fresh=False)
                self._stale(self._groups.get(name, {}), None)
            else:
                for members in self._groups.values():
                    self._stale(members, name)

    @staticmethod
    def _stale(members: dict[str, Served], name: str | None) -> None:
        """Mark the group ``name`` (None: every group) of ``members`` stale."""
        for key, member in members.items():
            if name is None or key == name:
                members[key] = replace(member, fresh=False)

    def _regroup(self, run: EvaluationRun) -> None:
        """The groups each grouped SLO has now: new ones added, those not found dropped."""
        for name, members in run.groups.items():
            template = self._served.get(name)
            if template is None or template.slo.grouping is None:
                continue
            old = self._groups.get(name, {})
            self._groups[name] = {
                slo.name: old.get(slo.name) or Served(slo, None, fresh=False) for slo in members
            }

    def render_now(self) -> None:
        """Render on the calling thread (start-up, before anything serves)."""
        self._current = self._renderer.render_gzip(self.entries(), GZIP_LEVEL)

    async def publish(self) -> None:
        """Render and compress the current entries in a worker thread, then serve them."""
        entries = self.entries()
        self._current = await asyncio.to_thread(self._renderer.render_gzip, entries, GZIP_LEVEL)
        self._published += 1
        self._tell()

    async def publish_reloaded(self) -> None:
        """Render after a reload, unless a cycle published newer numbers meanwhile."""
        published = self._published
        renderer = exposition.Renderer()  # a cycle's publish may be using the other one
        packed = await asyncio.to_thread(renderer.render_gzip, self.entries(), GZIP_LEVEL)
        if self._published == published:
            self._current = packed
        self._tell()

    def _tell(self) -> None:
        self.version += 1
        for listener in self.on_published:
            listener()

    def exposition_gzip(self) -> bytes:
        """The exposition, gzip-compressed (as rendered: no work here)."""
        return self._current[0]

    def plain(self) -> tuple[int, Iterator[bytes]]:
        """The exposition's size as text, and the text in pieces of a few MiB,
        decompressed as they are asked for (each piece a few milliseconds of work)."""
        packed, size = self._current
        return size, _inflate(packed)

    @property
    def exposition(self) -> bytes:
        """The exposition's whole text (decompressed anew on every call)."""
        return b"".join(self.plain()[1])


def _inflate(packed: bytes) -> Iterator[bytes]:
    """The text of the gzip member ``packed``, :data:`PIECE` compressed bytes at a time."""
    inflate = zlib.decompressobj(wbits=31)  # 16 + 15: a gzip member
    for start in range(0, len(packed), PIECE):
        piece = inflate.decompress(packed[start : start + PIECE])
        if piece:
            yield piece
    rest = inflate.flush()
    if rest:
        yield rest


def _pack(text: bytes) -> tuple[bytes, int]:
    return gzip.compress(text, compresslevel=GZIP_LEVEL, mtime=0), len(text)


def _one_line(text: str) -> str:
    """An error as the API shows it: one line, no secret of the config."""
    return str(logs.redact_secrets(None, "", {"text": logs.one_line(text)})["text"])
