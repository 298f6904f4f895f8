"""The loaded configuration, as plain typed objects.

The config loader (:mod:`exporter.config.loader`) validates YAML once and
produces a :class:`Settings`; nothing after it re-checks or reads the YAML.
Secrets (auth headers) live only in :attr:`BackendSettings.secret_headers`,
which is kept out of ``repr`` so no log line can print it by accident; a URL
is printed only through :func:`safe_url`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from exporter.domain.decision import Policy, default_policy
from exporter.domain.model import SLO

REDACTED = "<redacted>"
_SECRET_HEADER_WORDS = ("auth", "token", "key", "secret", "password", "cookie", "session")


def safe_url(url: str) -> str:
    """``url`` fit to print: without any ``user:password@`` part.

    The one place a URL is made safe. The credentials end at the *last* ``@``, so a
    password with an unencoded ``/``, ``@``, ``:``, ``?`` or ``#`` is dropped whole; an
    ``@`` later in a path or query drops a little more than needed, never less.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"


def url_password(url: str) -> str:
    """The password in ``url``'s ``user:password@`` part, by :func:`safe_url`'s rule (the
    credentials end at the last ``@``); empty when there is none."""
    rest = url.partition("://")[2] or url
    userinfo, at, _ = rest.rpartition("@")
    return userinfo.partition(":")[2] if at else ""


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential: Authorization, Cookie, X-Api-Key, ..."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


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
        """The URL fit for logs and messages (:func:`safe_url`)."""
        return safe_url(self.url)

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
class ScrapeTarget:
    """One ``/metrics`` endpoint a scrape source reads (``source.scrape`` in the config)."""

    url: str
    interval: float = 15.0
    timeout: float = 10.0

    @property
    def instance(self) -> str:
        """``host:port`` of the URL, as Prometheus writes the ``instance`` label.

        The port is the scheme's default (80, 443) when the URL names none;
        an IPv6 host is bracketed: ``[::1]:8080``.
        """
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class ScrapeSettings:
    """Targets to scrape instead of querying a PromQL backend (``source: {scrape: ...}``).

    With more than one target every series gets the target's ``instance``
    label (see :attr:`ScrapeTarget.instance`); the config loader makes sure
    no two targets share one.
    """

    targets: tuple[ScrapeTarget, ...]


@dataclass(frozen=True)
class AlertingSettings:
    """How ``slo-exporter rules`` writes alerting and recording rules.

    Severities are the names used in the SLOs' ``alerts`` (``page``,
    ``ticket``); :meth:`severity` maps one to the ``severity`` label value an
    alert carries. Durations are whole seconds; 0 means no ``for:``.
    """

    severity_names: Mapping[str, str] = field(default_factory=_empty)
    exhausted_severity: str = "ticket"
    exhausted_for: int = 900
    data_missing_severity: str = "ticket"
    data_missing_for: int = 900
    exporter_severity: str = "page"
    exporter_job: str = "slo-exporter"
    exporter_down_for: int = 300
    stale_after: int = 600
    native_interval: int = 60
    native_offset: int = 60

    def severity(self, name: str) -> str:
        """The ``severity`` label value for the severity called ``name`` in the config."""
        return self.severity_names.get(name, name)


@dataclass(frozen=True)
class Settings:
    """A whole loaded config file."""

    backend: BackendSettings
    evaluation: EvaluationSettings
    slos: tuple[SLO, ...]
    source: Path | None = None
    alerting: AlertingSettings = field(default_factory=AlertingSettings)
    scrape: ScrapeSettings | None = None
    """Set when the config reads counters by scraping (``source: scrape``), not from ``backend``.

    ``backend`` then holds an empty placeholder (``url == ""``) that must not be queried.
    """
    policy: Policy = field(default_factory=default_policy)
    """The release gate's error-budget policy (``policy:``; ``slo-exporter decide``)."""
