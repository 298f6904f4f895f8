"""Read a ``/metrics`` body into samples, the way Prometheus would store them.

:func:`parse_exposition` takes the body and the response's Content-Type and
gives every sample as ``(name, labels, value)``, named as Prometheus names
the series it stores (``http_requests_total``,
``http_request_duration_seconds_bucket{le="0.3"}``, ``probe_success``):

* ``application/openmetrics-text`` is read with prometheus-client's
  OpenMetrics parser (strict: ``# EOF`` is required); anything else with
  its parser of the Prometheus text format (as Prometheus 2 falls back to
  it for an unknown Content-Type). :data:`ACCEPT` asks for OpenMetrics first.
* Names come from the samples, never from the family: the parsers name a
  counter family without ``_total`` and the OpenMetrics one also files a
  counter's ``_created`` sample under it. The text parser even appends
  ``_total`` to the samples of a counter declared without it
  (``# TYPE jobs counter`` / ``jobs 3``); that is undone, so the sample is
  ``jobs`` as exposed.
* ``_created`` series (the creation time of a counter, histogram or summary,
  which the Python client exposes as a gauge in the text format) are left
  out: they are timestamps, not events.
* NaN and infinite values are left out (no event count is either), and so
  are exemplars and sample timestamps: a sample describes the scrape time.
* A label with an empty value is left out, as Prometheus drops it.
* When a series appears twice, the first sample wins, as in Prometheus.

Counters, histogram and summary series, gauges (for ``bool_gauge``) and
untyped samples all come out; the selectors pick what they need. A body
that neither parser accepts raises :class:`ExpositionError` with a one-line
message; this module never lets another exception out of a parser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

__all__ = [
    "ACCEPT",
    "OPENMETRICS",
    "TEXT",
    "ExpositionError",
    "Sample",
    "format_of",
    "parse_exposition",
]

OPENMETRICS = "application/openmetrics-text"
TEXT = "text/plain"
ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
"""The Accept header of a scrape: OpenMetrics preferred, the text format next."""

_FORMAT_NAMES = {OPENMETRICS: "OpenMetrics", TEXT: "Prometheus text format"}
_REFUSED = ("application/vnd.google.protobuf",)
_WITH_CREATED = frozenset({"counter", "histogram", "summary", "gaugehistogram"})
_COUNTER_TYPE = re.compile(r"^[ \t]*#[ \t]+TYPE[ \t]+(\S+)[ \t]+counter[ \t]*$", re.MULTILINE)
_CLIP = 120


class ExpositionError(ValueError):
    """The body is not a metrics exposition; the message is one line for people."""


@dataclass(frozen=True)
class Sample:
    """One sample as Prometheus stores it: series name, labels (no ``__name__``), value."""

    name: str
    labels: Mapping[str, str]
    value: float


def format_of(content_type: str | None) -> str:
    """:data:`OPENMETRICS` or :data:`TEXT` for a response's Content-Type header.

    Raises :class:`ExpositionError` for the protobuf format, which was not asked for.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == OPENMETRICS:
        return OPENMETRICS
    if media in _REFUSED:
        raise ExpositionError(f"the target answered in {media}, which is not supported")
    return TEXT


def parse_exposition(body: bytes | str, content_type: str | None) -> list[Sample]:
    """Every usable sample of ``body``, in order (see the module docstring).

    ``content_type`` is the response's Content-Type header (``None`` if it
    had none). Raises :class:`ExpositionError` for anything unreadable.
    """
    kind = format_of(content_type)
    text = _decode(body)
    what = _FORMAT_NAMES[kind]
    if kind == OPENMETRICS:
        families = _families(openmetrics_families, text, what)
        renamed: frozenset[str] = frozenset()
    else:
        families = _families(text_families, text, what)
        renamed = _counters_without_total(text)
    return _samples(families, renamed)


def _decode(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ExpositionError(
            f"the body is not UTF-8 text (byte {err.start} is {body[err.start]:#04x})"
        ) from None


def _families(parser: Callable[[str], Iterable[Metric]], text: str, what: str) -> list[Metric]:
    try:
        return list(parser(text))
    except Exception as err:  # on garbage the parsers raise KeyError and more, not only ValueError
        raise ExpositionError(_explain(text, what, err)) from None


def _explain(text: str, what: str, err: Exception) -> str:
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype", "<html", "<?xml", "<")):
        return f"the body is an HTML or XML page, not {what}; is the URL the metrics endpoint?"
    if start.startswith(("{", "[")):
        return f"the body looks like JSON, not {what}; is the URL the metrics endpoint?"
    detail = " ".join(str(err).split()) or type(err).__name__
    if len(detail) > _CLIP:
        detail = detail[: _CLIP - 3] + "..."
    return f"the body is not valid {what}: {detail}"


def _counters_without_total(text: str) -> frozenset[str]:
    """Counters the text format declares without ``_total`` (the parser renames their samples)."""
    return frozenset(n for n in _COUNTER_TYPE.findall(text) if not n.endswith("_total"))


def _samples(families: Iterable[Metric], renamed: frozenset[str]) -> list[Sample]:
    families = list(families)
    created = {f.name + "_created" for f in families if f.type in _WITH_CREATED}
    seen: set[tuple[str, frozenset[tuple[str, str]]]] = set()
    out: list[Sample] = []
    for family in families:
        for sample in family.samples:
            name = sample.name
            if family.type == "counter" and family.name in renamed:
                name = name.removesuffix("_total")
            if name in created or not math.isfinite(sample.value):
                continue
            labels = {k: v for k, v in sample.labels.items() if v != "" and k != "__name__"}
            key = (name, frozenset(labels.items()))
            if key in seen:
                continue
            seen.add(key)
            out.append(Sample(name, labels, float(sample.value)))
    return out
