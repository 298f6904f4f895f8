"""What ``/metrics`` shows per SLO, kept across cycles and reloads, rendered off the loop.

An SLO's last good numbers stay served, with ``slo_data_ok 0``, when a later
cycle fails for it; a reload keeps the entries of SLOs it did not change.
The text is rendered and compressed in a worker thread once per cycle, so a
scrape only copies bytes.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterable
from dataclasses import replace

from exporter import exposition, logs
from exporter.domain.model import SLO
from exporter.exposition import Served
from exporter.pipeline.cycle import EvaluationRun

GZIP_LEVEL = 6
"""zlib level of the compressed exposition (about 25:1 on the slo_* series)."""


class ServedSLOs:
    """The served entry of every SLO of the current config, and their exposition."""

    def __init__(self) -> None:
        self._served: dict[str, Served] = {}
        self._renderer = exposition.Renderer()
        self.exposition: bytes = b""
        self._gzipped: tuple[bytes, bytes] | None = None
        self._published = 0
        self.failed: dict[str, str] = {}
        self.last_run: EvaluationRun | None = None
        """The last cycle folded in, and the wall-clock time it was (``/api/v1/status``)."""
        self.last_run_at: float | None = None
        """Why each SLO that failed in the last cycle failed (one line each)."""

    def apply(self, slos: Iterable[SLO]) -> None:
        """Serve ``slos`` from now on; an unchanged SLO keeps its numbers."""
        old, self._served = self._served, {}
        for slo in slos:
            previous = old.get(slo.name)
            if previous is not None and previous.slo == slo:
                self._served[slo.name] = previous
            else:
                succeeded_at = None if previous is None else previous.succeeded_at
                self._served[slo.name] = Served(slo, None, fresh=False, succeeded_at=succeeded_at)

    def entries(self) -> list[Served]:
        """The served entry of every SLO of the current config."""
        return list(self._served.values())

    def fold(self, run: EvaluationRun, now: float) -> None:
        """Take a cycle's results; an SLO that failed keeps its last numbers, marked stale."""
        for name, result in run.results.items():
            entry = self._served.get(name)
            # a phased SLO's result holds the SLO as it stood at T (its phase's objective)
            if entry is not None and entry.slo.in_force(result.evaluated_at) == result.slo:
                self._served[name] = Served(entry.slo, result, fresh=True, succeeded_at=now)
        self.last_run, self.last_run_at = run, now
        self.failed = {name: _one_line(str(error)) for name, error in run.failures.items()}
        for name in run.failures:
            entry = self._served.get(name)
            if entry is not None:
                self._served[name] = replace(entry, fresh=False)

    def render_now(self) -> None:
        """Render on the calling thread (start-up, before anything serves)."""
        self.exposition = exposition.render(self._served.values())

    async def publish(self) -> None:
        """Render and compress the current entries in a worker thread, then serve them."""
        text, packed = await asyncio.to_thread(self._render, list(self._served.values()))
        self.exposition, self._gzipped = text, (text, packed)
        self._published += 1

    async def publish_reloaded(self) -> None:
        """Render after a reload, unless a cycle published newer numbers meanwhile."""
        published = self._published
        text = await asyncio.to_thread(exposition.render, list(self._served.values()))
        if self._published == published:
            self.exposition = text

    def exposition_gzip(self) -> bytes:
        """:attr:`exposition` gzip-compressed, computed once per published text."""
        cached = self._gzipped
        if cached is None or cached[0] is not self.exposition:
            cached = (self.exposition, gzip.compress(self.exposition, compresslevel=GZIP_LEVEL))
            self._gzipped = cached
        return cached[1]

    def _render(self, entries: list[Served]) -> tuple[bytes, bytes]:
        text = self._renderer.render(entries)
        return text, gzip.compress(text, compresslevel=GZIP_LEVEL)


def _one_line(text: str) -> str:
    """An error as the API shows it: one line, no secret of the config."""
    return str(logs.redact_secrets(None, "", {"text": logs.one_line(text)})["text"])
