"""The config file's shape, as pydantic models: the whole file and its small sections.

These models check everything that can be checked one section at a time:
types, durations, ranges, PromQL syntax, label names and which fields go
together. Checks that need several sections (duplicate SLO names, defaults
merged into an SLO) and anything that touches the outside world (token
files, environment variables) are done while the loader builds
:class:`exporter.settings.Settings` from the models.

The larger sections have their own modules: ``backend``
(:mod:`~exporter.config.schema_backend`), ``source``
(:mod:`~exporter.config.schema_source`), ``slos``
(:mod:`~exporter.config.schema_slo`, with the SLI kinds in
:mod:`~exporter.config.schema_sli`); scalar types are in
:mod:`~exporter.config.schema_values`. :func:`config_schema` gives the JSON
Schema of it all.

Validators raise ``ValueError`` with a plain one-line message; the loader
adds the file, line and field path.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from exporter.config.schema_adjustments import BudgetAdjustments
from exporter.config.schema_backend import BackendConfig
from exporter.config.schema_base import ConfigModel, at_most, empty_as
from exporter.config.schema_policy import PolicyConfig
from exporter.config.schema_slo import (
    ALERTS_LIMIT,
    ALERTS_NULL,
    WINDOWS_LIMIT,
    WINDOWS_NULL,
    AlertConfig,
    SLOConfig,
    StatusConfig,
)
from exporter.config.schema_source import BOTH_SOURCES, MISSING_SOURCE, SourceConfig
from exporter.config.schema_values import (
    Delay,
    Duration,
    EventCount,
    Exclude,
    Hold,
    Interval,
    LabelValue,
    NoDataPolicy,
    Text,
    URLTemplate,
)
from exporter.yaml_lines import describe

# What an SLO gets when neither it nor ``defaults`` sets windows or a period.
DEFAULT_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
DEFAULT_PERIOD = 30 * 86400
MAX_CONCURRENCY = 1000
MAX_SLOS = 100_000
SLOS_LIMIT = at_most(MAX_SLOS, "entries")


class EvaluationConfig(ConfigModel):
    """How often and how hard to query."""

    interval: Interval = 30
    concurrency: int = 16
    delay: Delay = 0

    @field_validator("concurrency", mode="before")
    @classmethod
    def _whole_positive(cls, value: object) -> object:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_CONCURRENCY
        ):
            raise ValueError(
                f"concurrency must be a whole number of queries from 1 to {MAX_CONCURRENCY}; "
                f"got {describe(value)}"
            )
        return value


class DefaultsConfig(ConfigModel):
    """Settings applied to every SLO that does not set its own."""

    windows: Annotated[list[Duration] | None, WINDOWS_LIMIT, WINDOWS_NULL] = None
    alerts: Annotated[list[AlertConfig] | None, ALERTS_LIMIT, ALERTS_NULL] = None
    status: StatusConfig | None = None
    exclude: Exclude | None = None
    min_events: EventCount | None = None
    no_data: NoDataPolicy | None = None


class AlertingConfig(ConfigModel):
    """How ``slo-exporter rules`` writes alerts; every field has a default."""

    severity_names: Annotated[dict[Text, LabelValue], empty_as({})] = Field(default_factory=dict)
    exhausted_severity: LabelValue = "ticket"
    exhausted_for: Hold = 900
    data_missing_severity: LabelValue = "ticket"
    data_missing_for: Hold = 900
    exporter_severity: LabelValue = "page"
    exporter_job: LabelValue = "slo-exporter"
    exporter_down_for: Hold = 300
    stale_after: Duration | None = None
    runbook_url: URLTemplate | None = None
    dashboard_url: URLTemplate | None = None
    native_interval: Interval = 60
    native_offset: Delay = 60


class ConfigFile(ConfigModel):
    """The whole config file."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["backend"]}, {"required": ["source"]}]},
    )

    backend: BackendConfig | None = None
    source: SourceConfig | None = None
    """Instead of ``backend``: read counters by scraping targets (exactly one of the two)."""
    evaluation: Annotated[EvaluationConfig, empty_as({})] = Field(default_factory=EvaluationConfig)
    defaults: Annotated[DefaultsConfig, empty_as({})] = Field(default_factory=DefaultsConfig)
    alerting: Annotated[AlertingConfig, empty_as({})] = Field(default_factory=AlertingConfig)
    slos: Annotated[list[SLOConfig], SLOS_LIMIT, empty_as([])] = Field(default_factory=list)
    services: Annotated[list[dict[str, Any]], SLOS_LIMIT, empty_as([])] = Field(
        default_factory=list
    )
    """Template entries; :mod:`exporter.config.templates` checks and expands them."""
    budget_adjustments: BudgetAdjustments = Field(default_factory=list)
    """Time the selected SLOs' budgets do not count (:mod:`exporter.config.schema_adjustments`)."""
    policy: Annotated[PolicyConfig, empty_as({})] = Field(default_factory=PolicyConfig)
    """The release gate's error-budget policy (:mod:`exporter.config.schema_policy`)."""

    @model_validator(mode="after")
    def _backend_or_source(self) -> ConfigFile:
        if self.backend is None and self.source is None:
            raise ValueError(MISSING_SOURCE)
        if self.backend is not None and self.source is not None:
            raise ValueError(BOTH_SOURCES)
        return self


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the native config file, for editors' YAML language servers."""
    document = ConfigFile.model_json_schema(mode="validation")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "slo-exporter config"
    return document
