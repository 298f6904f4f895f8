"""A loaded config, compiled once: what one reload swaps whole.

A :class:`ConfigGeneration` holds everything that depends on the config
file: its settings, this replica's SLOs with their selectors parsed and
queries written, the one :class:`~exporter.promql.gate.QueryGate` through
which every query of this config goes (client, concurrency limit), and the
secret values no output may show. Building one does no I/O beyond reading
a CA file, so a reload builds it in a worker thread and swaps it in at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from exporter.pipeline.compiled import CompiledSLO, compile_slos
from exporter.promql.client import PromQLClient, secret_fragments
from exporter.promql.gate import QueryGate
from exporter.settings import BackendSettings, Settings
from exporter.shard import Shard


def secrets_of(backend: BackendSettings) -> frozenset[str]:
    """Values that must never be printed: secret header values (and the credential of a
    ``Scheme credential`` one) and the URL's password; the same the client blanks out."""
    return frozenset(secret_fragments(backend)) if backend.url else frozenset()


@dataclass(frozen=True)
class ConfigGeneration:
    """One loaded config, ready to evaluate."""

    settings: Settings
    slos: tuple[CompiledSLO, ...]
    """This replica's SLOs (its shard of the config's), compiled."""
    gate: QueryGate | None
    """The backend's query gate; None for ``source: scrape`` (no PromQL backend)."""
    secrets: frozenset[str]
    shard: Shard

    @property
    def scrapes(self) -> bool:
        """True when the config scrapes its targets instead of querying a backend."""
        return self.settings.scrape is not None


def build_generation(
    settings: Settings,
    session: aiohttp.ClientSession | None,
    shard: Shard | None = None,
    previous: ConfigGeneration | None = None,
) -> ConfigGeneration:
    """Compile ``settings`` for ``shard``; raises ``ConfigError`` if the backend is unusable.

    Without a ``session`` (commands that send no query) there is no gate. An SLO
    equal to one of the ``previous`` generation (a reload) keeps its compiled form,
    so a reload compiles only the SLOs that changed.
    """
    shard = shard or Shard()
    gate = None
    if settings.scrape is None and session is not None:
        client = PromQLClient(session, settings.backend)
        gate = QueryGate(client, settings.evaluation.concurrency)
    return ConfigGeneration(
        settings=settings,
        slos=compile_slos(shard.select(settings.slos), previous.slos if previous else ()),
        gate=gate,
        secrets=secrets_of(settings.backend),
        shard=shard,
    )
