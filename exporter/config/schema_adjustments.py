"""``budget_adjustments``: time whose events the selected SLOs' budgets do not count.

Each entry is one interval (``from`` and ``to`` or ``duration``), or with an
``rrule`` (RFC 5545, e.g. ``FREQ=WEEKLY;BYDAY=SU``) the first of recurring
ones, and selects SLOs by name (``slos``) or by service and labels
(``match``). Checks that need the SLOs (unknown names, overlaps) are in
:mod:`exporter.config.build_adjustments`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from exporter.config.schema_base import ConfigModel, at_most, empty_as, only_one
from exporter.config.schema_times import Timestamp
from exporter.config.schema_values import Duration, LabelName, LabelValue, SLOName, Text

MAX_ADJUSTMENTS = 1000


class AdjustmentMatch(ConfigModel):
    """SLOs of ``service`` (if given) having every one of ``labels``."""

    service: Text | None = None
    labels: Annotated[dict[LabelName, LabelValue], empty_as({})] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> AdjustmentMatch:
        if self.service is None and not self.labels:
            raise ValueError("give a 'service' or 'labels' to match SLOs by")
        return self


class AdjustmentConfig(ConfigModel):
    """One budget adjustment as written in the config file."""

    name: Text
    reason: Text
    start: Timestamp = Field(alias="from")
    to: Timestamp | None = None
    duration: Duration | None = None
    rrule: Annotated[str, Field(max_length=500)] | None = None
    slos: Annotated[list[SLOName], at_most(10_000, "SLO names")] | None = None
    match: AdjustmentMatch | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_of_each(cls, data: object) -> object:
        only_one(data, ("to", "duration"))
        only_one(data, ("slos", "match"))
        return data

    @model_validator(mode="after")
    def _fits_together(self) -> AdjustmentConfig:
        if self.to is None and self.duration is None:
            raise ValueError("give 'to' (when it ends) or 'duration' (how long it lasts)")
        if self.slos is None and self.match is None:
            raise ValueError("give 'slos' (names) or 'match' ({service, labels}) to select SLOs")
        return self

    @field_validator("to")
    @classmethod
    def _after_start(cls, value: float | None, info: ValidationInfo) -> float | None:
        start = info.data.get("start")
        if value is not None and start is not None and value <= start:
            raise ValueError("'to' must be after 'from'")
        return value

    @property
    def length(self) -> float:
        """Seconds each occurrence lasts."""
        return self.to - self.start if self.to is not None else float(self.duration or 0)


BudgetAdjustments = Annotated[
    list[AdjustmentConfig], at_most(MAX_ADJUSTMENTS, "budget adjustments"), empty_as([])
]
