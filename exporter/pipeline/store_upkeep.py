"""Compacting and pruning the history store, a share of it in every cycle."""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from exporter.pipeline.pause import Pauser, chunks
from exporter.store.file_format import StoreError
from exporter.store.history import HistoryStore
from exporter.store.maintenance import Retention
from exporter.store.plan import Needs
from exporter.store.resolution import COARSE_WIDTHS, floor_to

log = structlog.get_logger("slo_exporter")

MAINTAIN_BATCH = 50
"""Selectors compacted and pruned per store transaction."""


class Upkeep:
    """Every selector is compacted and pruned once per 5 minutes (the coarse tier moves by
    at least that much), spread over the cycles of those 5 minutes so no one cycle pays
    for all; a slice of selectors per transaction, yielding to the event loop between."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store
        self._slot: int | None = None
        self._due: list[tuple[int, str, int]] = []
        self._share = MAINTAIN_BATCH

    async def run(self, wants: Mapping[str, Needs], at: int, interval: int) -> None:
        """This cycle's share of the maintenance at ``at``."""
        slot = floor_to(at, COARSE_WIDTHS[0])
        if not self._due:
            if slot == self._slot:
                return
            self._due = self._store.maintenance_rows()
            self._slot = slot
            cycles = max(COARSE_WIDTHS[0] // interval, 1)
            self._share = max(-(-len(self._due) // cycles), MAINTAIN_BATCH)
        now, self._due = self._due[: self._share], self._due[self._share :]
        policies = {
            key: Retention(n.fine_span, n.retention, n.coarse, n.tiers) for key, n in wants.items()
        }
        pause = Pauser()
        try:
            for chunk in chunks(now, MAINTAIN_BATCH):
                self._store.maintain(policies, at, chunk)
                await pause.maybe()
        except StoreError as err:
            log.error("store_maintenance_failed", error=str(err))
            self._due, self._slot = [], None  # again from the start
