"""Service templates: one ``services:`` entry expands into that service's usual SLOs.

- ``api``: ``requests`` (a request counter), ``errors`` (label regexes that
  mark a failed request, default ``{code: "5.."}``), ``duration`` (a
  histogram) and optionally ``latency_threshold`` give ``<name>-availability``
  (ratio) and ``<name>-latency`` (a p99 under the tier's threshold).
- ``web``: the same inputs; the latency SLO is a p95 (page loads have
  heavier tails).
- ``batch``: ``runs: {success, total}`` gives ``<name>-success`` (ratio);
  ``last_success`` (a unix-time gauge) with ``max_age`` gives
  ``<name>-freshness`` (judged per time slice).
- ``streaming``: ``messages: {total, failed}`` gives ``<name>-processing``;
  ``lag`` (a seconds gauge) with ``max_lag`` gives ``<name>-lag`` (a slice
  is good while the lag is at most ``max_lag``).
- ``data_pipeline``: ``last_success`` with ``max_age`` gives
  ``<name>-freshness``; ``records: {processed, expected}`` gives
  ``<name>-completeness``.

Each input is optional, but a template must get enough for at least one
SLO. Every other key of the entry (``tier``, ``labels``, ``period``,
``calendar``, ``exclude``, ``alerts``, ...) is copied onto each SLO it
makes, which the SLO schema then checks like any hand-written SLO.
Expansion works on the raw YAML data, so ``slo-exporter show`` prints
exactly what the templates produced.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from exporter.config.schema_values import (
    Histogram,
    LabelName,
    Selector,
    SLOName,
    duration_seconds,
)
from exporter.promql.selectors import MatchOp, parse_selector
from exporter.yaml_lines import quote

TemplateName = Literal["api", "web", "batch", "streaming", "data_pipeline"]

# Keys that are the template's inputs; every other key is copied onto each SLO.
_INPUTS = frozenset(
    {"name", "template", "requests", "errors", "duration", "latency_threshold", "runs",
     "last_success", "max_age", "messages", "lag", "max_lag", "records"}
)  # fmt: skip


class _PassThrough(BaseModel):
    model_config = ConfigDict(extra="allow")


class RunsInput(BaseModel):
    """Batch runs: counters of successful and all runs."""

    model_config = ConfigDict(extra="forbid")
    success: Selector
    total: Selector


class MessagesInput(BaseModel):
    """Stream messages: counters of all and failed messages."""

    model_config = ConfigDict(extra="forbid")
    total: Selector
    failed: Selector


class RecordsInput(BaseModel):
    """Pipeline records: counters of processed and expected records."""

    model_config = ConfigDict(extra="forbid")
    processed: Selector
    expected: Selector


class ServiceInput(_PassThrough):
    """A ``services:`` entry: the template's inputs (other keys pass through to the SLOs)."""

    name: SLOName
    template: TemplateName
    requests: Selector | None = None
    errors: dict[LabelName, str] = Field(default_factory=lambda: {"code": "5.."})
    duration: Histogram | None = None
    latency_threshold: float | None = None
    runs: RunsInput | None = None
    last_success: Selector | None = None
    max_age: str | None = None
    messages: MessagesInput | None = None
    lag: Selector | None = None
    max_lag: str | None = None
    records: RecordsInput | None = None

    @model_validator(mode="after")
    def _inputs_fit_the_template(self) -> ServiceInput:
        allowed = {
            "api": {"requests", "errors", "duration", "latency_threshold"},
            "web": {"requests", "errors", "duration", "latency_threshold"},
            "batch": {"runs", "last_success", "max_age"},
            "streaming": {"messages", "lag", "max_lag"},
            "data_pipeline": {"last_success", "max_age", "records"},
        }[self.template]
        given = {
            k for k in _INPUTS - {"name", "template", "errors"} if getattr(self, k) is not None
        }
        stray = sorted(given - allowed)
        if stray:
            raise ValueError(
                f"template {quote(self.template)} does not use {', '.join(stray)}; "
                f"its inputs are {', '.join(sorted(allowed))}"
            )
        if (self.last_success is None) != (self.max_age is None):
            raise ValueError("give 'last_success' and 'max_age' together")
        if (self.lag is None) != (self.max_lag is None):
            raise ValueError("give 'lag' and 'max_lag' together")
        for value in (self.max_age, self.max_lag):
            if value is not None:
                duration_seconds(value)
        if not given - {"max_age", "max_lag"}:
            raise ValueError(f"template {quote(self.template)} needs at least one of its inputs")
        return self


def _failed(requests: str, errors: dict[str, str]) -> str:
    selector = parse_selector(requests)
    for label, regex in sorted(errors.items()):
        selector = selector.with_matcher(label, MatchOp.REGEX, regex)
    return selector.render()


def _slis(service: ServiceInput) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(suffix, sli, extra SLO keys) for every SLO the template makes from its inputs."""
    out: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    if service.requests is not None:
        bad = _failed(service.requests, service.errors)
        out.append(("availability", {"ratio": {"bad": bad, "total": service.requests}}, {}))
    if service.duration is not None:
        extra = {"objective": 95.0} if service.template == "web" else {}
        latency: dict[str, Any] = {"histogram": service.duration}
        if service.latency_threshold is not None:
            latency["threshold"] = service.latency_threshold
        out.append(("latency", {"latency": latency}, extra))
    if service.runs is not None:
        ratio = {"good": service.runs.success, "total": service.runs.total}
        out.append(("success", {"ratio": ratio}, {}))
    if service.messages is not None:
        ratio = {"bad": service.messages.failed, "total": service.messages.total}
        out.append(("processing", {"ratio": ratio}, {}))
    if service.lag is not None and service.max_lag is not None:
        threshold = {
            "query": f"max({service.lag})",
            "op": "lte",
            "value": float(duration_seconds(service.max_lag)),
        }
        out.append(("lag", {"threshold": threshold}, {}))
    if service.last_success is not None:
        freshness = {"timestamp": service.last_success, "max_age": service.max_age}
        out.append(("freshness", {"freshness": freshness}, {}))
    if service.records is not None:
        ratio = {"good": service.records.processed, "total": service.records.expected}
        out.append(("completeness", {"ratio": ratio}, {}))
    return out


def expand(raw: dict[str, Any], service: ServiceInput) -> list[dict[str, Any]]:
    """The raw SLO mappings one validated ``services:`` entry stands for."""
    shared = {k: copy.deepcopy(v) for k, v in raw.items() if k not in _INPUTS}
    slos = []
    for suffix, sli, extra in _slis(service):
        slo = {"name": f"{service.name}-{suffix}", "service": service.name, **extra}
        slo.update(copy.deepcopy(shared))
        slo["sli"] = sli
        slos.append(slo)
    return slos
