"""The ``sli`` of an SLO: exactly one way of counting good and total events.

Counter-based kinds (``ratio``, ``completeness``, ``latency``,
``bool_gauge``, ``throughput``, ``freshness``) take series selectors, to
which ``exclude`` can add matchers; ``query``, ``threshold`` and ``raw``
take PromQL expressions (:data:`TEMPLATE_SLIS`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, model_validator

from exporter.config.schema_base import ConfigModel, either, only_one
from exporter.config.schema_values import (
    Duration,
    Expression,
    Histogram,
    Selector,
    Template,
    Threshold,
    as_number,
    positive,
)


class GoodOrBad(ConfigModel):
    """Events given as ``good`` or as ``bad``, exactly one of them, next to ``total``."""

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: object) -> object:
        only_one(data, ("good", "bad"))
        return data

    @model_validator(mode="after")
    def _some_kind(self) -> GoodOrBad:
        if getattr(self, "good", None) is None and getattr(self, "bad", None) is None:
            raise ValueError("give 'good' or 'bad' events next to 'total'")
        return self


class RatioConfig(GoodOrBad):
    """Counter selectors: ``good`` or ``bad``, and ``total``."""

    good: Selector | None = None
    bad: Selector | None = None
    total: Selector


class LatencyConfig(ConfigModel):
    """A classic histogram and the bucket boundary that counts as fast enough."""

    histogram: Histogram
    threshold: Threshold | None = None
    native: bool = False


class QueryConfig(GoodOrBad):
    """PromQL templates with ``{{window}}``: ``good`` or ``bad``, and ``total``."""

    good: Template | None = None
    bad: Template | None = None
    total: Template


class BoolGaugeConfig(ConfigModel):
    """A 0/1 gauge (``probe_success``): each sample is an event, good when 1."""

    metric: Selector


class ThresholdConfig(ConfigModel):
    """An instant expression judged per time slice: good while ``query op value``."""

    query: Expression
    op: Literal["lt", "lte", "gt", "gte"]
    value: Annotated[float, BeforeValidator(lambda v: as_number(v, "value must be a number"))]


class RawConfig(ConfigModel):
    """An expression that already returns the SLI (``success``) or error ratio (``failure``)."""

    query: Expression
    type: Literal["success", "failure"] = "success"


class ThroughputConfig(ConfigModel):
    """A slice is good when the counter's rate (per second) is at least ``floor``."""

    counter: Selector
    floor: Annotated[float, positive("floor", "10 (requests per second)")]


class FreshnessConfig(ConfigModel):
    """A slice is good when the unix-seconds gauge ``timestamp`` is at most ``max_age`` old."""

    timestamp: Selector
    max_age: Duration


SLI_KINDS = (
    "ratio", "latency", "query", "bool_gauge", "threshold", "raw", "throughput", "freshness",
    "completeness",
)  # fmt: skip
TEMPLATE_SLIS = frozenset({"query", "threshold", "raw"})
"""SLI kinds written as PromQL expressions, where ``exclude`` cannot add matchers."""


class SLIConfig(ConfigModel):
    """Exactly one way of counting good and total events."""

    ratio: RatioConfig | None = None
    latency: LatencyConfig | None = None
    query: QueryConfig | None = None
    bool_gauge: BoolGaugeConfig | None = None
    threshold: ThresholdConfig | None = None
    raw: RawConfig | None = None
    throughput: ThroughputConfig | None = None
    freshness: FreshnessConfig | None = None
    completeness: RatioConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: object) -> object:
        only_one(data, SLI_KINDS)
        return data

    @model_validator(mode="after")
    def _some_kind(self) -> SLIConfig:
        if self.kind is None:
            raise ValueError(f"give one of {either(SLI_KINDS)}")
        return self

    @property
    def kind(self) -> str | None:
        """The name of the kind given."""
        return next((k for k in SLI_KINDS if getattr(self, k) is not None), None)
