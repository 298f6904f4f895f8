"""The loaded configuration, as plain typed objects.

The config loader (:mod:`exporter.config.loader`) validates YAML once and
produces a :class:`Settings`; nothing after it re-checks or reads the YAML.
Secrets (auth headers) live only in :attr:`BackendSettings.secret_headers`,
which is kept out of ``repr`` so no log line can print it by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from exporter.domain.model import SLO


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class BackendSettings:
    """Where and how to send PromQL queries."""

    url: str
    timeout: float = 10.0
    headers: Mapping[str, str] = field(default_factory=_empty)
    secret_headers: Mapping[str, str] = field(default_factory=_empty, repr=False)
    tls_verify: bool = True
    ca_file: Path | None = None

    @property
    def safe_url(self) -> str:
        """The URL without any user:password part, fit for logs."""
        scheme, sep, rest = self.url.partition("://")
        if not sep:
            return self.url
        host, slash, path = rest.partition("/")
        host = host.rpartition("@")[2]
        return f"{scheme}://{host}{slash}{path}"

    def all_headers(self) -> dict[str, str]:
        """Headers to send, secret ones included. Never log the result."""
        return {**self.headers, **self.secret_headers}


@dataclass(frozen=True)
class EvaluationSettings:
    """How often and how hard to evaluate."""

    interval: int = 30
    concurrency: int = 16
    delay: int = 0


@dataclass(frozen=True)
class Settings:
    """A whole loaded config file."""

    backend: BackendSettings
    evaluation: EvaluationSettings
    slos: tuple[SLO, ...]
    source: Path | None = None
