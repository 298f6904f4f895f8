"""Units, thresholds and value mappings the panels share.

Colours follow the status names: red when the budget is spent or burning
critically, orange for warning, yellow for attention, green when healthy.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.models.common import LineStyle
from grafana_foundation_sdk.models.dashboard import (
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

from exporter.dashboards.status_display import CODES, COLOURS
from exporter.domain.model import Status, StatusPolicy

RATIO = "percentunit"
"""Ratios between 0 and 1 (objective, SLI, budget) shown as percentages."""
SECONDS = "s"
EVENTS = "short"
BURN_RATE = "suffix:×"
"""Burn rates are factors of the sustainable rate: 14.4×."""

DAY = 86400.0
WEEK = 7 * DAY

BUDGET_LOW = 0.25
"""Below this share of the budget left, the budget shows orange (red once spent)."""
BUDGET_HALF = 0.5
"""Below this share of the budget left, the budget shows yellow; above, green."""


def _steps(base: str, *steps: tuple[float, str]) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps(
            [Threshold(value=None, color=base)]
            + [Threshold(value=value, color=colour) for value, colour in steps]
        )
    )


def burn_rate_thresholds(policy: StatusPolicy) -> ThresholdsConfig:
    """Burn-rate colours at the status policy's thresholds (attention, warning, critical)."""
    return _steps(
        COLOURS[Status.HEALTHY],
        (policy.attention, COLOURS[Status.ATTENTION]),
        (policy.warning, COLOURS[Status.WARNING]),
        (policy.critical, COLOURS[Status.CRITICAL]),
    )


def budget_thresholds() -> ThresholdsConfig:
    """Budget-remaining colours: red once spent, then orange, yellow, green."""
    return _steps(
        COLOURS[Status.EXHAUSTED],
        (0.0, COLOURS[Status.WARNING]),
        (BUDGET_LOW, COLOURS[Status.ATTENTION]),
        (BUDGET_HALF, COLOURS[Status.HEALTHY]),
    )


def outage_thresholds() -> ThresholdsConfig:
    """Remaining budget as time: red once spent, green otherwise."""
    return _steps(COLOURS[Status.EXHAUSTED], (1.0, COLOURS[Status.HEALTHY]))


def exhaustion_thresholds() -> ThresholdsConfig:
    """Time until the budget is spent: red within a day, orange within a week, else green."""
    return _steps(
        COLOURS[Status.CRITICAL],
        (DAY, COLOURS[Status.WARNING]),
        (WEEK, COLOURS[Status.HEALTHY]),
    )


def count_thresholds(colour: str) -> ThresholdsConfig:
    """Counts of things: neutral at 0, ``colour`` from 1 on."""
    return _steps("text", (1.0, colour))


def status_mapping() -> ValueMap:
    """Status numbers (:data:`~exporter.dashboards.status_display.CODES`) to words, colours."""
    return ValueMap(
        options={
            str(code): ValueMappingResult(text=status.value, color=COLOURS[status], index=code)
            for status, code in CODES.items()
        }
    )


def flag_mapping(off: tuple[str, str], on: tuple[str, str]) -> ValueMap:
    """A 0/1 gauge as words: ``off`` and ``on`` are (text, colour)."""
    return ValueMap(
        options={
            "0": ValueMappingResult(text=off[0], color=off[1], index=0),
            "1": ValueMappingResult(text=on[0], color=on[1], index=1),
        }
    )


DATA_OK = flag_mapping(("stale or no traffic", "red"), ("current", "green"))
BACKEND_UP = flag_mapping(("failing", "red"), ("up", "green"))
RELOAD_OK = flag_mapping(("invalid file ignored", "red"), ("loaded", "green"))
CONDITION = flag_mapping(("ok", "green"), ("firing", "red"))


def fixed_colour(colour: str) -> list[DynamicConfigValue]:
    """Field overrides that draw a series in one colour."""
    return [DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour})]


def dashed(colour: str | None = None) -> list[DynamicConfigValue]:
    """Field overrides that draw a reference line: dashed, unfilled, optionally one colour."""
    properties = [
        DynamicConfigValue(id_val="custom.lineStyle", value=LineStyle(fill="dash", dash=[10, 10])),
        DynamicConfigValue(id_val="custom.fillOpacity", value=0),
    ]
    return properties if colour is None else [*properties, *fixed_colour(colour)]
