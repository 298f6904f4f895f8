"""The ``source`` section: ``/metrics`` targets to scrape instead of querying a backend.

A config has exactly one of ``backend`` and ``source``; the two messages for
getting that wrong live here, since the loader repeats them when other fields
failed too.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, ValidationInfo, field_validator

from exporter.config.schema_backend import http_url
from exporter.config.schema_base import ConfigModel, at_most
from exporter.config.schema_values import Interval, Text, Timeout

MISSING_SOURCE = (
    "missing required field 'backend' (a PromQL API to query) "
    "or 'source' (targets to scrape instead)"
)
BOTH_SOURCES = "give either 'backend' (a PromQL API) or 'source' (targets to scrape), not both"
DEFAULT_SCRAPE_TIMEOUT = 10
MAX_TARGETS = 1000


def _one_or_many(value: object) -> object:
    """A single target mapping stands for a list of one."""
    if isinstance(value, str):
        url = value.strip()
        raise ValueError(f"write the target as {{url: {url}}}, or a list of such mappings")
    return [value] if isinstance(value, dict) else value


class ScrapeTargetConfig(ConfigModel):
    """One ``/metrics`` endpoint to scrape, how often, and how long to wait for it."""

    url: Text
    interval: Interval = 15
    timeout: Timeout | None = None
    """Default: 10s, or the interval when that is shorter."""

    @field_validator("url")
    @classmethod
    def _metrics_url(cls, value: str) -> str:
        url = value.strip()
        example = "e.g. http://127.0.0.1:8080/metrics"
        parts = http_url(url, example, "scrape targets take none")
        if parts.fragment:
            raise ValueError("url must not have a #fragment")
        if not parts.path:
            raise ValueError(f"give the metrics endpoint's path too, {example}")
        return url

    @field_validator("timeout")
    @classmethod
    def _within_interval(cls, value: int | None, info: ValidationInfo) -> int | None:
        interval = info.data.get("interval")
        if value is not None and interval is not None and value > interval:
            raise ValueError(
                f"timeout must not be longer than the interval ({interval}s): "
                "a scrape must end before the next one starts"
            )
        return value


class SourceConfig(ConfigModel):
    """Where counters come from when there is no PromQL backend."""

    scrape: Annotated[
        list[ScrapeTargetConfig], at_most(MAX_TARGETS, "targets"), BeforeValidator(_one_or_many)
    ]
    """One target (a mapping) or a list of them."""

    @field_validator("scrape")
    @classmethod
    def _some_target(cls, value: list[ScrapeTargetConfig]) -> list[ScrapeTargetConfig]:
        if not value:
            raise ValueError("list at least one target, e.g. {url: http://127.0.0.1:8080/metrics}")
        return value
