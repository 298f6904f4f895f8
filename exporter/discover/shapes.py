"""Which instrumentation a backend's series are: plain functions of their label sets.

A series belongs to the service named by its ``service`` label, else by its
``job``. Known shapes, each turned into a template's input:

- a request counter: a ``*_total`` counter with a status label, HTTP (``code``,
  ``status``, ``status_code``: three-digit values; errors are ``5..``) or gRPC
  (``grpc_code``; errors are the server-side codes) -> ``api``'s ``requests``;
- a latency histogram: classic (``<name>_bucket`` with ``le``) or native (a
  histogram sample under the bare name), whose name ends in ``_seconds`` ->
  ``api``'s ``duration`` (only next to a request counter of the same service);
- batch record counters ``<x>_processed_total`` and ``<x>_expected_total`` ->
  ``data_pipeline``'s ``records``.

Everything else is listed as unknown, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

HTTP_STATUS = ("code", "status", "status_code")
GRPC_STATUS = "grpc_code"
GRPC_ERRORS = "Unknown|DeadlineExceeded|Internal|Unavailable|DataLoss"
"""gRPC codes that say the server failed (the others are the client's doing)."""
HISTOGRAM_PARTS = ("_bucket", "_count", "_sum")
SERVICE_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
"""What a ``services:`` entry's name may hold (the config's rule for SLO names)."""


@dataclass
class ServiceShape:
    """What one service exposes that a template can use."""

    name: str
    label: str
    """The label that names it: ``service`` or ``job``."""
    requests: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    protocol: str = ""
    duration: str | None = None
    histogram: str = ""
    """``classic`` or ``native``."""
    records: tuple[str, str] | None = None
    """(processed, expected) selectors."""

    @property
    def template(self) -> str | None:
        """The template that fits: ``api`` with requests, ``data_pipeline`` with records."""
        if self.requests is not None:
            return "api"
        if self.records is not None:
            return "data_pipeline"
        return None

    def found(self) -> list[str]:
        """One line per input found, for the config's comments."""
        lines = []
        if self.requests is not None:
            (label,) = self.errors
            lines.append(f"{self.protocol} request counter {self.requests}, status label {label}")
        if self.duration is not None:
            lines.append(f"{self.histogram} latency histogram {self.duration}")
        if self.records is not None:
            lines.append(f"batch record counters {self.records[0]} and {self.records[1]}")
        return lines

    def selector(self, name: str) -> str:
        """``name`` restricted to this service."""
        return f"{name}{{{self.label}={json.dumps(self.name)}}}"


@dataclass(frozen=True)
class Discovery:
    """The services that fit a template and the series that fit none."""

    services: list[ServiceShape]
    unknown: list[str]


def _owner(labels: Mapping[str, str]) -> tuple[str, str] | None:
    for label in ("service", "job"):
        if labels.get(label):
            return label, labels[label]
    return None


def _status(series: list[Mapping[str, str]]) -> tuple[str, str, str] | None:
    """(protocol, label, error regex) of a request counter's status label, if any."""
    for label in HTTP_STATUS:
        values = {s[label] for s in series if s.get(label)}
        if values and all(re.fullmatch(r"\d{3}", v) for v in values):
            return "HTTP", label, "5.."
    if any(s.get(GRPC_STATUS) for s in series):
        return "gRPC", GRPC_STATUS, GRPC_ERRORS
    return None


def _latency(names: Iterable[str], native: set[str]) -> tuple[str, str] | None:
    """(histogram name, classic or native) of the service's first latency histogram."""
    for name in sorted(names):
        if name.endswith("_seconds_bucket"):
            return name.removesuffix("_bucket"), "classic"
        if name in native and name.endswith("_seconds"):
            return name, "native"
    return None


def _used(shape: ServiceShape) -> set[str]:
    used: set[str] = set()
    for text in (shape.requests, shape.duration, *(shape.records or ())):
        if text is not None:
            used.add(text.split("{", 1)[0])
    if shape.duration is not None:
        used.update(shape.duration.split("{", 1)[0] + part for part in HISTOGRAM_PARTS)
    return used


def _shape(label: str, name: str, names: Mapping[str, list[Mapping[str, str]]],
           native: set[str]) -> ServiceShape:  # fmt: skip
    shape = ServiceShape(name=name, label=label)
    for metric in sorted(names):
        status = _status(names[metric]) if metric.endswith("_total") else None
        if status is not None and shape.requests is None:
            shape.protocol, status_label, regex = status
            shape.requests = shape.selector(metric)
            shape.errors = {status_label: regex}
        if metric.endswith("_processed_total"):
            expected = metric.removesuffix("_processed_total") + "_expected_total"
            if expected in names and shape.records is None:
                shape.records = (shape.selector(metric), shape.selector(expected))
    latency = _latency(names, native) if shape.requests is not None else None
    if latency is not None:
        shape.duration, shape.histogram = shape.selector(latency[0]), latency[1]
    return shape


def classify(series: Iterable[Mapping[str, str]], native: set[str]) -> Discovery:
    """Services with a template's inputs, and one line per metric of a service (or without
    one) that fits no known shape. ``native`` names the native histograms."""
    owners: dict[tuple[str, str], dict[str, list[Mapping[str, str]]]] = {}
    unknown: list[str] = []
    for labels in series:
        name = labels.get("__name__", "")
        owner = _owner(labels)
        if owner is None:
            unknown.append(f"{name}: no service or job label")
            continue
        owners.setdefault(owner, {}).setdefault(name, []).append(labels)
    services: list[ServiceShape] = []
    for (label, value), names in sorted(owners.items(), key=lambda item: item[0][::-1]):
        where = f"{{{label}={json.dumps(value)}}}"
        if not SERVICE_NAME.fullmatch(value):
            unknown.extend(
                f"{metric}{where}: {label} {json.dumps(value)} is no valid service name "
                "(letters, digits, '_', '.', ':' and '-')"
                for metric in sorted(names)
            )
            continue
        shape = _shape(label, value, names, native)
        if shape.template is not None:
            services.append(shape)
        used = _used(shape) if shape.template is not None else set()
        unknown.extend(f"{metric}{where}: {_why(metric)}" for metric in sorted(set(names) - used))
    return Discovery(services, sorted(set(unknown)))


def _why(metric: str) -> str:
    if metric.endswith("_total"):
        return "a counter without a status label (HTTP code/status or grpc_code)"
    if metric.endswith(HISTOGRAM_PARTS):
        return "a histogram without a request counter of its service, or not in seconds"
    return "not a counter or histogram a template takes (a gauge?)"
