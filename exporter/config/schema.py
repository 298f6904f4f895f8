"""The config file's shape, as pydantic models.

These models check everything that can be checked one section at a time:
types, durations, ranges, PromQL syntax, label names and which fields go
together. Checks that need several sections (duplicate SLO names, defaults
merged into an SLO) and anything that touches the outside world (token
files, environment variables) are done by :mod:`exporter.config.loader`,
which also turns these models into :class:`exporter.settings.Settings`.

Validators raise ``ValueError`` with a plain one-line message; the loader
adds the file, line and field path.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from exporter.config.links import check_url_template
from exporter.domain.durations import parse_duration
from exporter.promql.selectors import (
    check_expression,
    check_histogram,
    check_selector,
    check_template,
)
from exporter.yaml_lines import describe

# Labels slo-exporter puts on its own series; a user label may not clash.
RESERVED_LABELS = frozenset(
    {"slo", "service", "window", "severity", "long_window", "short_window", "status", "le"}
)
DEFAULT_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
DEFAULT_PERIOD = 30 * 86400

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_SLO_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ZERO_DURATION = re.compile(r"0+|(?:0+(?:y|w|d|h|ms|m|s))+")
_THRESHOLD_HINT = (
    "threshold must be a number of seconds matching a histogram bucket boundary, e.g. 0.3"
)


# ---- scalar checks ------------------------------------------------------------


def _text(value: object) -> str:
    if not isinstance(value, str):
        hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
        raise ValueError(f"expected text, got {describe(value)}{hint}")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _duration(value: object) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value} has no unit: write a duration such as {value}s, 5m or 1h")
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 30s, 5m or 1h30m, got {describe(value)}")
    return parse_duration(value)


def _delay(value: object) -> int:
    if value == 0 and not isinstance(value, bool):
        return 0
    if isinstance(value, str) and _ZERO_DURATION.fullmatch(value.strip()):
        return 0
    return _duration(value)


def _number(value: object, message: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{message}; got {describe(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{message}; got {value}")
    return float(value)


def _positive(name: str, example: str) -> Any:
    def check(value: object) -> float:
        number = _number(value, f"{name} must be a positive number, e.g. {example}")
        if number <= 0:
            raise ValueError(f"{name} must be a positive number, e.g. {example}; got {value}")
        return number

    return BeforeValidator(check)


def _objective(value: object) -> float:
    hint = "objective must be the percentage of good events, between 0 and 100, e.g. 99.9"
    if isinstance(value, str):
        text = value.strip()
        bare = text.removesuffix("%").strip()
        try:
            float(bare)
        except ValueError:
            raise ValueError(f"{hint}; got {describe(value)}") from None
        if text.endswith("%"):
            raise ValueError(
                f"objective must be a plain number of percent: write {bare}, not {text}"
            )
        raise ValueError(f"objective must be a number, not text: write {bare} without quotes")
    number = _number(value, hint)
    if not 0 < number < 100:
        why = ", which would leave no error budget" if number == 100 else ""
        raise ValueError(f"{hint} (both excluded); got {value}{why}")
    return number


def _threshold(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{_THRESHOLD_HINT}; got {describe(value)}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{_THRESHOLD_HINT}; got {value}")
    return float(value)


def _budget_percent(value: object) -> float:
    hint = (
        "budget_percent must be the share of the error budget in percent, above 0 and at most 100"
    )
    number = _number(value, hint)
    if not 0 < number <= 100:
        raise ValueError(f"{hint}; got {value}")
    return number


def _slo_name(value: str) -> str:
    if not _SLO_NAME.fullmatch(value):
        raise ValueError(f"name {value!r} may only contain letters, digits, '_', '.', ':' and '-'")
    return value


def _label_name(value: str) -> str:
    if value.startswith("__"):
        raise ValueError(f"label name {value!r} is reserved: names starting with __ are internal")
    if not _LABEL_NAME.fullmatch(value):
        raise ValueError(
            f"label name {value!r} is not valid: use letters, digits and '_', "
            "not starting with a digit"
        )
    if value in RESERVED_LABELS:
        names = ", ".join(sorted(RESERVED_LABELS))
        raise ValueError(f"label name {value!r} is reserved: slo-exporter sets {names} itself")
    return value


def _label_value(value: str) -> str:
    if not value:
        raise ValueError("label value is empty; Prometheus treats an empty label as absent")
    return value


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid HTTP header name")
    return value


def _header_text(value: object) -> str:
    # Header values may be credentials: never repeat them in a message.
    if not isinstance(value, str):
        raise ValueError("header value must be text; quote it in YAML")
    return value


def _header_value(value: str) -> str:
    if any(ord(char) < 32 and char != "\t" for char in value):
        raise ValueError("header value must be one line without control characters")
    return value


def _selector(value: str) -> str:
    text = value.strip()
    check_selector(text)
    return text


def _histogram(value: str) -> str:
    text = value.strip()
    check_histogram(text)
    return text


def _expression(value: str) -> str:
    check_expression(value)
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as UTC or Europe/Berlin"
        ) from None
    return value


def _template(value: str) -> str:
    text = value.strip()
    check_template(text)
    return text


def _empty_as(default: object) -> Any:
    """Treat an empty YAML value (``key:`` with nothing after it) as ``default``."""

    def convert(value: object) -> object:
        return default if value is None else value

    return BeforeValidator(convert)


Text = Annotated[str, BeforeValidator(_text), AfterValidator(_non_empty)]
_DURATION_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^([0-9]+(y|w|d|h|m|s|ms))+$", "examples": ["30s", "5m", "30d"]}
)
Duration = Annotated[int, BeforeValidator(_duration), _DURATION_SCHEMA]
Delay = Annotated[int, BeforeValidator(_delay), _DURATION_SCHEMA]
SLOName = Annotated[str, BeforeValidator(_text), AfterValidator(_slo_name)]
LabelName = Annotated[str, BeforeValidator(_text), AfterValidator(_label_name)]
LabelValue = Annotated[str, BeforeValidator(_text), AfterValidator(_label_value)]
HeaderName = Annotated[str, BeforeValidator(_text), AfterValidator(_header_name)]
HeaderValue = Annotated[str, BeforeValidator(_header_text), AfterValidator(_header_value)]
Selector = Annotated[str, BeforeValidator(_text), AfterValidator(_selector)]
Histogram = Annotated[str, BeforeValidator(_text), AfterValidator(_histogram)]
Template = Annotated[str, BeforeValidator(_text), AfterValidator(_template)]
URLTemplate = Annotated[str, BeforeValidator(_text), AfterValidator(check_url_template)]
Expression = Annotated[str, BeforeValidator(_text), AfterValidator(_expression)]
TimeZone = Annotated[str, BeforeValidator(_text), AfterValidator(_timezone)]
Percent = Annotated[float, BeforeValidator(_objective)]
TierName = Literal["critical", "essential", "standard", "best_effort"]
NoDataPolicy = Literal["skip", "good", "bad"]
Exclude = dict[LabelName, Annotated[str, BeforeValidator(_text)]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _only_one(data: object, names: tuple[str, ...]) -> None:
    """Reject a mapping that sets more than one of ``names`` (checked before the rest)."""
    if isinstance(data, dict):
        given = [name for name in names if data.get(name) is not None]
        if len(given) > 1 and len(names) == 2:
            raise ValueError(f"give either {_either(names)}, not both")
        if len(given) > 1:
            found = " and ".join(f"'{name}'" for name in given)
            raise ValueError(f"give only one of {_either(names)}; found {found}")


def _either(names: tuple[str, ...]) -> str:
    quoted = [f"'{name}'" for name in names]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


# ---- backend ------------------------------------------------------------------


class SecretSource(_Model):
    """Where to read a secret: ``{file: PATH}`` or ``{env: VAR_NAME}``."""

    file: Text | None = None
    env: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: object) -> object:
        _only_one(data, ("file", "env"))
        return data

    @model_validator(mode="after")
    def _some_source(self) -> SecretSource:
        if self.file is None and self.env is None:
            raise ValueError("give 'file: PATH' or 'env: VAR_NAME' to read the secret from")
        return self

    @field_validator("env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value


class BasicAuthConfig(_Model):
    """HTTP basic authentication; the password is read from a file or the environment."""

    username: Text
    password: SecretSource

    @field_validator("username")
    @classmethod
    def _no_colon(cls, value: str) -> str:
        if ":" in value:
            raise ValueError("username must not contain ':'")
        return value


class TLSConfig(_Model):
    """How to check the backend's certificate."""

    ca_file: Text | None = None
    insecure_skip_verify: bool = False


def _has_authorization(headers: object) -> bool:
    return isinstance(headers, dict) and any(
        isinstance(name, str) and name.lower() == "authorization" for name in headers
    )


class BackendConfig(_Model):
    """The PromQL HTTP API to query."""

    url: Text
    timeout: Duration = 10
    headers: Annotated[dict[HeaderName, HeaderValue], _empty_as({})] = Field(default_factory=dict)
    bearer_token: SecretSource | None = None
    basic_auth: BasicAuthConfig | None = None
    tls: TLSConfig | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = value.strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise ValueError(f"{_safe_url(url)!r} is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"url must start with http:// or https:// and name a host, "
                f"e.g. http://127.0.0.1:9090; got {_safe_url(url)!r}"
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "url must not contain credentials; use basic_auth with a password "
                "from a file or an environment variable"
            )
        if parts.query or parts.fragment:
            raise ValueError("url must not have a query string or fragment")
        if re.search(r"/api/v1(/.*)?$", parts.path.rstrip("/")):
            raise ValueError(
                "url is the API's base, without /api/v1/...: e.g. http://prometheus:9090 "
                "or https://mimir.example.com/prometheus"
            )
        return url.rstrip("/")

    @field_validator("bearer_token")
    @classmethod
    def _token_alone(cls, value: SecretSource | None, info: ValidationInfo) -> SecretSource | None:
        if value is not None and _has_authorization(info.data.get("headers")):
            raise ValueError("set either bearer_token or an Authorization header, not both")
        return value

    @field_validator("basic_auth")
    @classmethod
    def _basic_alone(
        cls, value: BasicAuthConfig | None, info: ValidationInfo
    ) -> BasicAuthConfig | None:
        if value is not None and info.data.get("bearer_token") is not None:
            raise ValueError("set either bearer_token or basic_auth, not both")
        if value is not None and _has_authorization(info.data.get("headers")):
            raise ValueError("set either basic_auth or an Authorization header, not both")
        return value


def _safe_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    if "@" in host:
        host = "***@" + host.rpartition("@")[2]
    return f"{scheme}{sep}{host}{slash}{path}"


# ---- source (instead of a backend) -------------------------------------------------


MISSING_SOURCE = (
    "missing required field 'backend' (a PromQL API to query) "
    "or 'source' (targets to scrape instead)"
)
BOTH_SOURCES = "give either 'backend' (a PromQL API) or 'source' (targets to scrape), not both"
DEFAULT_SCRAPE_TIMEOUT = 10


def _one_or_many(value: object) -> object:
    """A single target mapping stands for a list of one."""
    if isinstance(value, str):
        url = value.strip()
        raise ValueError(f"write the target as {{url: {url}}}, or a list of such mappings")
    return [value] if isinstance(value, dict) else value


class ScrapeTargetConfig(_Model):
    """One ``/metrics`` endpoint to scrape, how often, and how long to wait for it."""

    url: Text
    interval: Duration = 15
    timeout: Duration | None = None
    """Default: 10s, or the interval when that is shorter."""

    @field_validator("url")
    @classmethod
    def _metrics_url(cls, value: str) -> str:
        url = value.strip()
        example = "e.g. http://127.0.0.1:8080/metrics"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise ValueError(f"{_safe_url(url)!r} is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"url must start with http:// or https:// and name a host, {example}; "
                f"got {_safe_url(url)!r}"
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError("url must not contain credentials; scrape targets take none")
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


class SourceConfig(_Model):
    """Where counters come from when there is no PromQL backend."""

    scrape: Annotated[list[ScrapeTargetConfig], BeforeValidator(_one_or_many)]
    """One target (a mapping) or a list of them."""

    @field_validator("scrape")
    @classmethod
    def _some_target(cls, value: list[ScrapeTargetConfig]) -> list[ScrapeTargetConfig]:
        if not value:
            raise ValueError("list at least one target, e.g. {url: http://127.0.0.1:8080/metrics}")
        return value


class EvaluationConfig(_Model):
    """How often and how hard to query."""

    interval: Duration = 30
    concurrency: int = 16
    delay: Delay = 0

    @field_validator("concurrency", mode="before")
    @classmethod
    def _whole_positive(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"concurrency must be a whole number of queries, at least 1; got {describe(value)}"
            )
        return value


# ---- alerts and status --------------------------------------------------------


class AlertConfig(_Model):
    """One multiwindow burn-rate alert: a budget share or an explicit burn rate."""

    severity: Text
    long_window: Duration
    short_window: Duration
    budget_percent: Annotated[float, BeforeValidator(_budget_percent)] | None = None
    burn_rate: Annotated[float, _positive("burn_rate", "14.4")] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_factor(cls, data: object) -> object:
        _only_one(data, ("budget_percent", "burn_rate"))
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


class StatusConfig(_Model):
    """Burn-rate thresholds naming the status; fields left out come from the defaults."""

    window: Duration | None = None
    critical: Annotated[float, _positive("critical", "2")] | None = None
    warning: Annotated[float, _positive("warning", "1.5")] | None = None
    attention: Annotated[float, _positive("attention", "1")] | None = None


def _not_null(hint: str) -> Any:
    def check(value: object) -> object:
        if value is None:
            raise ValueError(f"empty value; {hint}")
        return value

    return BeforeValidator(check)


_WINDOWS_NULL = _not_null("list windows such as [5m, 1h] or remove the key")
_ALERTS_NULL = _not_null(
    "write 'alerts: []' to disable alerts, or remove the key to use the defaults"
)


class DefaultsConfig(_Model):
    """Settings applied to every SLO that does not set its own."""

    windows: Annotated[list[Duration] | None, _WINDOWS_NULL] = None
    alerts: Annotated[list[AlertConfig] | None, _ALERTS_NULL] = None
    status: StatusConfig | None = None
    exclude: Exclude | None = None
    min_events: Annotated[float, Field(ge=0)] | None = None
    no_data: NoDataPolicy | None = None


# ---- SLIs and SLOs ------------------------------------------------------------


class _GoodOrBad(_Model):
    """Events given as ``good`` or as ``bad``, exactly one of them, next to ``total``."""

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: object) -> object:
        _only_one(data, ("good", "bad"))
        return data

    @model_validator(mode="after")
    def _some_kind(self) -> _GoodOrBad:
        if getattr(self, "good", None) is None and getattr(self, "bad", None) is None:
            raise ValueError("give 'good' or 'bad' events next to 'total'")
        return self


class RatioConfig(_GoodOrBad):
    """Counter selectors: ``good`` or ``bad``, and ``total``."""

    good: Selector | None = None
    bad: Selector | None = None
    total: Selector


class LatencyConfig(_Model):
    """A classic histogram and the bucket boundary that counts as fast enough."""

    histogram: Histogram
    threshold: Annotated[float, BeforeValidator(_threshold)] | None = None
    native: bool = False


class QueryConfig(_GoodOrBad):
    """PromQL templates with ``{{window}}``: ``good`` or ``bad``, and ``total``."""

    good: Template | None = None
    bad: Template | None = None
    total: Template


class BoolGaugeConfig(_Model):
    """A 0/1 gauge (``probe_success``): each sample is an event, good when 1."""

    metric: Selector


class ThresholdConfig(_Model):
    """An instant expression judged per time slice: good while ``query op value``."""

    query: Expression
    op: Literal["lt", "lte", "gt", "gte"]
    value: Annotated[float, BeforeValidator(lambda v: _number(v, "value must be a number"))]


class RawConfig(_Model):
    """An expression that already returns the SLI (``success``) or error ratio (``failure``)."""

    query: Expression
    type: Literal["success", "failure"] = "success"


class ThroughputConfig(_Model):
    """A slice is good when the counter's rate (per second) is at least ``floor``."""

    counter: Selector
    floor: Annotated[float, _positive("floor", "10 (requests per second)")]


class FreshnessConfig(_Model):
    """A slice is good when the unix-seconds gauge ``timestamp`` is at most ``max_age`` old."""

    timestamp: Selector
    max_age: Duration


_SLI_KINDS = (
    "ratio", "latency", "query", "bool_gauge", "threshold", "raw", "throughput", "freshness",
    "completeness",
)  # fmt: skip
TEMPLATE_SLIS = frozenset({"query", "threshold", "raw"})
"""SLI kinds written as PromQL expressions, where ``exclude`` cannot add matchers."""


class SLIConfig(_Model):
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
        _only_one(data, _SLI_KINDS)
        return data

    @model_validator(mode="after")
    def _some_kind(self) -> SLIConfig:
        if self.kind is None:
            raise ValueError(f"give one of {_either(_SLI_KINDS)}")
        return self

    @property
    def kind(self) -> str | None:
        """The name of the kind given."""
        return next((k for k in _SLI_KINDS if getattr(self, k) is not None), None)


class BudgetingConfig(_Model):
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


class SLOConfig(_Model):
    """One SLO as written in the config file."""

    name: SLOName
    service: Text
    description: str | None = None
    tier: TierName | None = None
    objective: Percent | None = None
    period: Duration | None = None
    calendar: Literal["week", "month", "quarter"] | None = None
    timezone: TimeZone | None = None
    budgeting: BudgetingConfig | None = None
    exclude: Exclude | None = None
    min_events: Annotated[float, Field(ge=0)] | None = None
    no_data: NoDataPolicy | None = None
    labels: Annotated[dict[LabelName, LabelValue], _empty_as({})] = Field(default_factory=dict)
    sli: SLIConfig
    windows: Annotated[list[Duration] | None, _WINDOWS_NULL] = None
    alerts: Annotated[list[AlertConfig] | None, _ALERTS_NULL] = None
    status: StatusConfig | None = None
    runbook_url: URLTemplate | None = None
    dashboard_url: URLTemplate | None = None

    @model_validator(mode="after")
    def _fields_fit_together(self) -> SLOConfig:
        if self.objective is None and self.tier is None:
            raise ValueError("give an 'objective' (percent of good events) or a 'tier'")
        if self.period is not None and self.calendar is not None:
            raise ValueError("give 'period' (rolling) or 'calendar', not both")
        if self.timezone is not None and self.calendar is None:
            raise ValueError("'timezone' only applies to a 'calendar' period")
        latency = self.sli.latency
        if latency is not None and latency.threshold is None and self.tier is None:
            raise ValueError("give sli.latency.threshold, or a 'tier' that sets one")
        if self.exclude and self.sli.kind in TEMPLATE_SLIS:
            raise ValueError(
                f"'exclude' cannot add matchers to a {self.sli.kind} expression; "
                "write the matcher into the query"
            )
        return self


class AlertingConfig(_Model):
    """How ``slo-exporter rules`` writes alerts; every field has a default."""

    severity_names: Annotated[dict[Text, LabelValue], _empty_as({})] = Field(default_factory=dict)
    exhausted_severity: LabelValue = "ticket"
    exhausted_for: Delay = 900
    data_missing_severity: LabelValue = "ticket"
    data_missing_for: Delay = 900
    exporter_severity: LabelValue = "page"
    exporter_job: LabelValue = "slo-exporter"
    exporter_down_for: Delay = 300
    stale_after: Duration | None = None
    runbook_url: URLTemplate | None = None
    dashboard_url: URLTemplate | None = None
    native_interval: Duration = 60
    native_offset: Delay = 60


class ConfigFile(_Model):
    """The whole config file."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["backend"]}, {"required": ["source"]}]},
    )

    backend: BackendConfig | None = None
    source: SourceConfig | None = None
    """Instead of ``backend``: read counters by scraping targets (exactly one of the two)."""
    evaluation: Annotated[EvaluationConfig, _empty_as({})] = Field(default_factory=EvaluationConfig)
    defaults: Annotated[DefaultsConfig, _empty_as({})] = Field(default_factory=DefaultsConfig)
    alerting: Annotated[AlertingConfig, _empty_as({})] = Field(default_factory=AlertingConfig)
    slos: Annotated[list[SLOConfig], _empty_as([])] = Field(default_factory=list)
    services: Annotated[list[dict[str, Any]], _empty_as([])] = Field(default_factory=list)
    """Template entries; :mod:`exporter.config.templates` checks and expands them."""

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
