"""The ``slo_*`` series: one SLO result (or its absence) as Prometheus samples.

Rendered once per evaluation cycle and served from memory, so a scrape does
no computation. Ratios of windows without traffic are left out rather than
exposed as NaN; ``slo_data_ok`` says whether the SLO's numbers are current, and
``slo_status`` is ``unknown`` while the latest evaluation failed (or none succeeded yet).
The one per-SLO self-metric (the time of each SLO's last success) is written
here too, so that a scrape of thousands of SLOs formats nothing per SLO.
"""

from __future__ import annotations

import gzip
import io
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from prometheus_client.utils import floatToGoString

from exporter.domain.durations import format_duration
from exporter.domain.evaluate import SLOResult
from exporter.domain.model import SLO, BurnRateRule, Status
from exporter.domain.status import reported_status

LAST_SUCCESS = "slo_exporter_last_successful_evaluation_timestamp_seconds"
"""A self-metric per SLO, labelled ``slo`` only (and a group's labels); written with the SLO
series, once a cycle."""

_FAMILIES: dict[str, str] = {
    "slo_objective_ratio": "Objective of the SLO as a ratio of good events (0.999 for 99.9 %).",
    "slo_period_seconds": "Length of the SLO's period (the current one for a calendar period).",
    "slo_period_start_timestamp_seconds": "Start of the period the budget counts over.",
    "slo_period_elapsed_ratio": "Share of the calendar period gone by (calendar periods only).",
    "slo_error_budget_ideal_remaining_ratio": (
        "Budget that would remain now on an even burn: 1 - elapsed (calendar periods only)."
    ),
    "slo_sli_ratio": "Good / total events over the window; absent without traffic.",
    "slo_window_good_events": "Good events counted in the window ending at the evaluation time.",
    "slo_window_events": "All events counted in the window ending at the evaluation time.",
    "slo_burn_rate": "(1 - SLI) / (1 - objective) over the window; absent without traffic.",
    "slo_error_budget_consumed_ratio": "Share of the period's error budget spent.",
    "slo_error_budget_remaining_ratio": "1 - consumed; negative once the budget is overspent.",
    "slo_error_budget_remaining_events": "Bad events still allowed in the period.",
    "slo_error_budget_remaining_seconds": "Remaining budget as seconds of full outage.",
    "slo_error_budget_exhaustion_seconds": (
        "Time until the budget is spent at the status window's burn rate; absent when not burning."
    ),
    "slo_status": (
        "1 for the SLO's current status, 0 for the others; unknown while its latest "
        "evaluation failed."
    ),
    "slo_alert_condition": "1 while the multiwindow burn-rate condition holds.",
    "slo_alert_burn_rate_threshold": "Burn rate both windows must exceed for the condition.",
    "slo_data_ok": "1 when the last evaluation succeeded and the period had traffic.",
    "slo_budget_adjustments_active": (
        "Budget adjustments in force at the evaluation time (SLOs with adjustments only)."
    ),
    "slo_budget_adjusted_seconds": (
        "Seconds of the current period whose events budget adjustments take out."
    ),
    "slo_evaluation_timestamp_seconds": "Evaluation time T the SLO's numbers describe.",
    LAST_SUCCESS: "Wall-clock time of the SLO's last successful evaluation.",
}


@dataclass(frozen=True)
class Served:
    """What to expose for one SLO: its latest result, and whether that result is current.

    ``result`` is None until the SLO has been evaluated successfully once;
    ``fresh`` is False when the latest attempt failed and ``result`` is older.
    """

    slo: SLO
    result: SLOResult | None
    fresh: bool
    succeeded_at: float | None = None
    """Wall-clock time of the last successful evaluation (None: never)."""

    @property
    def in_force(self) -> SLO:
        """The SLO as its latest result saw it (a phased SLO: that phase's objective);
        before any result, as it stands now."""
        if self.result is not None:
            return self.result.slo
        return self.slo.in_force(time.time())


LabelKey = tuple[str, str] | BurnRateRule | None | Literal["name"]
"""Which of an SLO's label sets a sample has: None for the SLO's own labels (a group's
``slo`` is its grouped SLO's name, and it carries the group's labels too),
``("window", "5m")`` or ``("status", "healthy")`` for one more label, a rule
for its ``severity``, ``long_window`` and ``short_window``, ``"name"`` for
``slo`` alone (with a group's labels)."""


def labels_of(slo: SLO, key: LabelKey) -> dict[str, str]:
    """The full label set ``key`` names for ``slo``."""
    if key == "name":
        return {**slo.group, "slo": slo.family}
    base = {**slo.labels, **slo.group, "slo": slo.family, "service": slo.service}
    if key is None:
        return base
    if isinstance(key, BurnRateRule):
        return {
            **base,
            "severity": key.severity,
            "long_window": format_duration(key.long_window),
            "short_window": format_duration(key.short_window),
        }
    return {**base, key[0]: key[1]}


Sample = tuple[str, LabelKey, float]
"""One sample: family name, label set, value (possibly not finite)."""


def samples(entry: Served) -> Iterator[Sample]:
    """Every sample of one SLO: family name, label set, value (possibly not finite)."""
    slo, result = entry.slo, entry.result
    current = result if entry.fresh else None
    yield from _definition_samples(entry.in_force, result)
    yield "slo_data_ok", None, 1.0 if current is not None and current.data_ok else 0.0
    yield from _status_samples(reported_status(None if current is None else current.status))
    if result is not None:
        yield from _period_samples(slo, result)
        yield from _window_samples(result)
        yield from _budget_samples(result)
        yield from _adjustment_samples(entry.slo, result)
        yield from _condition_samples(result)
    if entry.succeeded_at is not None:
        yield LAST_SUCCESS, "name", entry.succeeded_at


def _definition_samples(slo: SLO, result: SLOResult | None) -> Iterator[Sample]:
    """What the config says: objective, period length and alert thresholds.

    A calendar period's length is the current period's, so it needs a result.
    """
    yield "slo_objective_ratio", None, slo.objective / 100.0
    if slo.calendar is None:
        yield "slo_period_seconds", None, float(slo.period)
    elif result is not None:
        yield "slo_period_seconds", None, result.bounds.length
    for rule in slo.alerts:
        yield "slo_alert_burn_rate_threshold", rule, rule.factor


def _period_samples(slo: SLO, result: SLOResult) -> Iterator[Sample]:
    """When the result was evaluated, and where in its period that is."""
    yield "slo_evaluation_timestamp_seconds", None, result.evaluated_at
    yield "slo_period_start_timestamp_seconds", None, result.bounds.start
    if slo.calendar is not None:
        yield "slo_period_elapsed_ratio", None, result.elapsed_ratio
        yield "slo_error_budget_ideal_remaining_ratio", None, 1.0 - result.elapsed_ratio


def _window_samples(result: SLOResult) -> Iterator[Sample]:
    """Events of every window, and its SLI and burn rate when it had traffic."""
    for label, wr in result.labelled_windows():
        key = ("window", label)
        yield "slo_window_good_events", key, wr.events.good
        yield "slo_window_events", key, wr.events.total
        if wr.sli is not None:
            yield "slo_sli_ratio", key, wr.sli
        if wr.burn_rate is not None:
            yield "slo_burn_rate", key, wr.burn_rate


def _budget_samples(result: SLOResult) -> Iterator[Sample]:
    """The period's error budget, each figure only when it is defined."""
    budget_fields = (
        ("slo_error_budget_consumed_ratio", result.consumed_ratio),
        ("slo_error_budget_remaining_ratio", result.remaining_ratio),
        ("slo_error_budget_remaining_events", result.remaining_events),
        ("slo_error_budget_remaining_seconds", result.remaining_seconds),
        ("slo_error_budget_exhaustion_seconds", result.exhaustion_seconds),
    )
    for name, value in budget_fields:
        if value is not None:
            yield name, None, value


def _adjustment_samples(slo: SLO, result: SLOResult) -> Iterator[Sample]:
    """For an SLO with budget adjustments: how many are in force, how much they take out."""
    if slo.adjustments:
        yield "slo_budget_adjustments_active", None, float(len(result.adjustments.active))
        yield "slo_budget_adjusted_seconds", None, result.adjustments.excluded_seconds


def _status_samples(current: Status) -> Iterator[Sample]:
    """One 0/1 series per status, 1 for ``current``."""
    for status in Status:
        yield "slo_status", ("status", status.value), float(status is current)


def _condition_samples(result: SLOResult) -> Iterator[Sample]:
    """One 0/1 series per alert condition (the last evaluated ones, kept through failures)."""
    for condition in result.alerts:
        yield "slo_alert_condition", condition.rule, float(condition.firing)


def _go_float(value: float) -> str:
    """A value as Go (and so prometheus-client) prints it: ``1.0``, ``1e-07``, ``1.5e+13``.

    Python's ``repr`` already is that, except for positive numbers of seven or more
    integer digits, which Go writes with an exponent: only those go through
    prometheus-client's converter (a tenth of a 10,000-SLO render was spent there).
    """
    text = repr(float(value))
    if value > 0 and text.find(".") > 6:
        return str(floatToGoString(value))  # type: ignore[no-untyped-call]
    return text


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def _label_text(labels: Mapping[str, str]) -> str:
    """``{a="1",b="2"}``: names sorted, values escaped (the text format's rules)."""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"


class _LabelTexts:
    """One SLO's label sets as text, made once while the SLO is unchanged.

    Only a few texts are kept per SLO: its own labels, ``slo`` alone, one per alert
    rule, and for each one-label addition (``window``, ``status``) the text before and
    after the added label, so the dozens of window and status series of an SLO share
    two strings each (at 50,000 SLOs, 2.9 million label texts were half the memory).
    """

    __slots__ = ("around", "slo", "texts")

    def __init__(self, slo: SLO) -> None:
        self.slo = slo
        self.texts: dict[LabelKey, str] = {}
        self.around: dict[str, tuple[str, str]] = {}

    def text(self, key: LabelKey) -> str:
        """``key``'s label set as ``{a="1",b="2"}``."""
        if isinstance(key, tuple):
            name, value = key
            parts = self.around.get(name)
            if parts is None:
                parts = self.around[name] = _around(labels_of(self.slo, None), name)
            return f'{parts[0]}{name}="{_escape(value)}"{parts[1]}'
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = _label_text(labels_of(self.slo, key))
        return text


def _around(labels: Mapping[str, str], name: str) -> tuple[str, str]:
    """The label text before and after ``name`` once it is added to ``labels``."""
    pairs = sorted((k, v) for k, v in labels.items() if k != name)
    before = [f'{k}="{_escape(v)}"' for k, v in pairs if k < name]
    after = [f'{k}="{_escape(v)}"' for k, v in pairs if k > name]
    return "{" + "".join(f"{item}," for item in before), "".join(f",{item}" for item in after) + "}"


class Renderer:
    """Writes the text exposition (format 0.0.4) of every SLO's series.

    Written directly rather than through a ``CollectorRegistry``: at
    thousands of SLOs the registry's per-sample label handling was most of
    a cycle's CPU. The output is byte for byte what prometheus-client's
    ``generate_latest`` writes for the same samples (a test holds it to
    that): every family with its HELP and TYPE, labels sorted, values as Go
    prints them. An SLO's label sets do not change between cycles, so their
    text is made once and kept while the SLO is unchanged (:class:`_LabelTexts`).
    Each family's lines go into a buffer of its own rather than a list of line
    strings (at 50,000 SLOs: 2.9 million lines). One renderer must not be used by
    two threads at once.
    """

    def __init__(self) -> None:
        self._texts: dict[str, _LabelTexts] = {}

    def render(self, entries: Iterable[Served]) -> bytes:
        """The exposition of ``entries``; forgets the label sets of SLOs not among them."""
        out = io.BytesIO()
        self.write(entries, out.write)
        return out.getvalue()

    def render_gzip(self, entries: Iterable[Served], level: int) -> tuple[bytes, int]:
        """:meth:`render`'s bytes gzip-compressed at ``level`` and their size uncompressed;
        compressed family by family as they are written, so the text is never whole."""
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=level, mtime=0) as packed:
            size = self.write(entries, packed.write)
        return out.getvalue(), size

    def write(self, entries: Iterable[Served], put: Callable[[bytes], object]) -> int:
        """Write the exposition of ``entries`` with ``put``, one family after the other;
        the number of bytes written."""
        buffers = {name: io.StringIO() for name in _FAMILIES}
        kept: dict[str, _LabelTexts] = {}
        for entry in entries:
            slo = entry.slo
            texts = self._texts.get(slo.name)
            if texts is None or texts.slo is not slo:
                texts = _LabelTexts(slo)
            kept[slo.name] = texts
            for name, key, value in samples(entry):
                if not math.isfinite(value):  # NaN/Inf never leave the process
                    continue
                buffers[name].write(f"{name}{texts.text(key)} {_go_float(value)}\n")
        self._texts = kept
        size = 0
        for name, doc in _FAMILIES.items():
            head = f"# HELP {name} {doc}\n# TYPE {name} gauge\n".encode()
            lines = buffers.pop(name).getvalue().encode("utf-8")
            put(head)
            put(lines)
            size += len(head) + len(lines)
        return size


def render(entries: Iterable[Served]) -> bytes:
    """The exposition of ``entries`` with a fresh :class:`Renderer`."""
    return Renderer().render(entries)
