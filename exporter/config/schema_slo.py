"""One entry of ``slos``: objective, period, budgeting, SLI, alerts and status.

Fields an SLO leaves out come from ``defaults`` (:mod:`exporter.config.schema`)
or, for the objective and latency threshold, from its ``tier``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from exporter.config.schema_base import ConfigModel, at_most, empty_as, not_null, only_one
from exporter.config.schema_composite import CompositeConfig, check_sli_or_composite
from exporter.config.schema_grouping import GroupCount, GroupLabels, check_grouping_fields
from exporter.config.schema_phases import Phases
from exporter.config.schema_sli import TEMPLATE_SLIS, SLIConfig
from exporter.config.schema_values import (
    AlertName,
    BudgetPercent,
    Duration,
    EventCount,
    Exclude,
    LabelName,
    LabelValue,
    NoDataPolicy,
    Percent,
    SLOName,
    Text,
    TierName,
    TimeZone,
    URLTemplate,
    positive,
)


class AlertConfig(ConfigModel):
    """One multiwindow burn-rate alert: a budget share or an explicit burn rate."""

    severity: Text
    long_window: Duration
    short_window: Duration
    budget_percent: BudgetPercent | None = None
    burn_rate: Annotated[float, positive("burn_rate", "14.4")] | None = None
    labels: Annotated[dict[LabelName, LabelValue], empty_as({})] = Field(default_factory=dict)
    annotations: Annotated[dict[LabelName, str], empty_as({})] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_factor(cls, data: object) -> object:
        only_one(data, ("budget_percent", "burn_rate"))
        return data

    @field_validator("short_window")
    @classmethod
    def _shorter(cls, value: int, info: ValidationInfo) -> int:
        long_window = info.data.get("long_window")
        if long_window is not None and value >= long_window:
            raise ValueError(
                "short_window must be shorter than long_window "
                "(the workbook uses 1/12 of it, e.g. 1h and 5m)"
            )
        return value

    @model_validator(mode="after")
    def _some_factor(self) -> AlertConfig:
        if self.budget_percent is None and self.burn_rate is None:
            raise ValueError(
                "give 'budget_percent' (share of the period's budget spent in long_window, "
                "e.g. 2) or 'burn_rate' (e.g. 14.4)"
            )
        return self


class StatusConfig(ConfigModel):
    """Burn-rate thresholds naming the status; fields left out come from the defaults."""

    window: Duration | None = None
    critical: Annotated[float, positive("critical", "2")] | None = None
    warning: Annotated[float, positive("warning", "1.5")] | None = None
    attention: Annotated[float, positive("attention", "1")] | None = None


MAX_WINDOWS = 32
MAX_ALERTS = 32
WINDOWS_NULL = not_null("list windows such as [5m, 1h] or remove the key")
WINDOWS_LIMIT = at_most(MAX_WINDOWS, "windows")
ALERTS_LIMIT = at_most(MAX_ALERTS, "alerts")
ALERTS_NULL = not_null(
    "write 'alerts: []' to disable alerts, or remove the key to use the defaults"
)


class BudgetingConfig(ConfigModel):
    """How events count against the budget; timeslices need ``slice_target``."""

    method: Literal["occurrences", "timeslices", "ratio_timeslices"] = "occurrences"
    slice: Duration = 300
    slice_target: Percent | None = None

    @model_validator(mode="after")
    def _target_fits_method(self) -> BudgetingConfig:
        if self.method == "timeslices" and self.slice_target is None:
            raise ValueError("timeslices need slice_target: the percent a slice must reach")
        if self.method != "timeslices" and self.slice_target is not None:
            raise ValueError(f"slice_target only applies to timeslices, not {self.method}")
        return self


class SLOConfig(ConfigModel):
    """One SLO as written in the config file."""

    name: SLOName
    service: Text
    description: str | None = None
    tier: TierName | None = None
    objective: Percent | None = None
    phases: Phases | None = None
    """Earlier objectives, each in force until a time (:mod:`exporter.config.schema_phases`)."""
    period: Duration | None = None
    calendar: Literal["week", "month", "quarter"] | None = None
    timezone: TimeZone | None = None
    budgeting: BudgetingConfig | None = None
    exclude: Exclude | None = None
    min_events: EventCount | None = None
    no_data: NoDataPolicy | None = None
    labels: Annotated[dict[LabelName, LabelValue], empty_as({})] = Field(default_factory=dict)
    sli: SLIConfig | None = None
    windows: Annotated[list[Duration] | None, WINDOWS_LIMIT, WINDOWS_NULL] = None
    alerts: Annotated[list[AlertConfig] | None, ALERTS_LIMIT, ALERTS_NULL] = None
    alert_name: AlertName | None = None
    status: StatusConfig | None = None
    runbook_url: URLTemplate | None = None
    dashboard_url: URLTemplate | None = None
    group_by: GroupLabels | None = None
    max_groups: GroupCount | None = None
    composite: CompositeConfig | None = None

    @property
    def sli_kind(self) -> str:
        """The SLI's kind (``ratio``, ``latency``...), ``composite`` for a composite SLO."""
        return "composite" if self.sli is None else self.sli.kind or ""

    @model_validator(mode="after")
    def _fields_fit_together(self) -> SLOConfig:
        check_sli_or_composite(self.sli is not None, self.composite)
        check_grouping_fields(self.group_by, self.max_groups)
        if self.objective is None and self.tier is None:
            raise ValueError("give an 'objective' (percent of good events) or a 'tier'")
        if self.period is not None and self.calendar is not None:
            raise ValueError("give 'period' (rolling) or 'calendar', not both")
        if self.timezone is not None and self.calendar is None:
            raise ValueError("'timezone' only applies to a 'calendar' period")
        latency = None if self.sli is None else self.sli.latency
        if latency is not None and latency.threshold is None and self.tier is None:
            raise ValueError("give sli.latency.threshold, or a 'tier' that sets one")
        if self.exclude and self.sli_kind in {*TEMPLATE_SLIS, "composite"}:
            raise ValueError(
                f"'exclude' cannot add matchers to a {self.sli_kind} expression; "
                "write the matcher into the query"
            )
        return self
