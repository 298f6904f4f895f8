"""The scalar values of the config file: text, durations, numbers, names, PromQL.

Each type here is an ``Annotated`` alias whose validators turn a YAML scalar
into the Python value, or raise ``ValueError`` with a plain one-line message
(the loader adds the file, line and field path).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from exporter.config.links import check_url_template
from exporter.domain.durations import format_duration, parse_duration
from exporter.promql.selectors import (
    check_expression,
    check_histogram,
    check_selector,
    check_template,
    counter_template,
)
from exporter.yaml_lines import clip, describe, quote

# Labels slo-exporter puts on its own series; a user label may not clash.
RESERVED_LABELS = frozenset(
    {"slo", "service", "window", "severity", "long_window", "short_window", "status", "le"}
)
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_ALERT_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_SLO_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
MINUTE, HOUR, DAY = 60, 3600, 86400
MAX_DURATION = 2 * 365 * DAY
"""The longest window, period or age a config may give: 2y."""
_LONGEST_DURATION_TEXT = 40
_ZERO_DURATION = re.compile(r"0+|(?:0+(?:y|w|d|h|ms|m|s))+")
_THRESHOLD_HINT = (
    "threshold must be a number of seconds matching a histogram bucket boundary, e.g. 0.3"
)


def _text(value: object) -> str:
    if not isinstance(value, str):
        hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
        raise ValueError(f"expected text, got {describe(value)}{hint}")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def duration_seconds(value: object, longest: int = MAX_DURATION) -> int:
    """``value`` (text such as ``1h30m``) in seconds, from 1s to ``longest``; else ValueError."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = clip(str(value), 20)
        raise ValueError(f"{shown} has no unit: write a duration such as {shown}s, 5m or 1h")
    if not isinstance(value, str) or len(value) > _LONGEST_DURATION_TEXT:
        raise ValueError(f"expected a duration such as 30s, 5m or 1h30m, got {describe(value)}")
    seconds = parse_duration(value)
    if seconds > longest:
        raise ValueError(f"must be at most {_written(longest)}; got {clip(value.strip(), 40)}")
    return seconds


def _written(seconds: int) -> str:
    """``2y`` rather than ``730d`` for whole years."""
    years, rest = divmod(seconds, 365 * DAY)
    return f"{years}y" if years and not rest else format_duration(seconds)


def _delay_seconds(value: object, longest: int) -> int:
    if value == 0 and not isinstance(value, bool):
        return 0
    if isinstance(value, str) and _ZERO_DURATION.fullmatch(value.strip()):
        return 0
    return duration_seconds(value, longest)


def _up_to(longest: int, *, zero: bool = False) -> Any:
    """A validator for a duration up to ``longest`` seconds (or 0 too, with ``zero``)."""

    def check(value: object) -> int:
        return _delay_seconds(value, longest) if zero else duration_seconds(value, longest)

    return BeforeValidator(check)


def as_number(value: object, message: str) -> float:
    """``value`` as a finite float; ``message`` says what was expected when it is not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{message}; got {describe(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{message}; got {value}")
    return float(value)


def positive(name: str, example: str) -> Any:
    """A validator for a number above 0 (``example`` shows one in the message)."""

    def check(value: object) -> float:
        number = as_number(value, f"{name} must be a positive number, e.g. {example}")
        if number <= 0:
            raise ValueError(f"{name} must be a positive number, e.g. {example}; got {value}")
        return number

    return BeforeValidator(check)


def _event_count(value: object) -> float:
    number = as_number(value, "min_events must be a number of events, 0 or more")
    if number < 0:
        raise ValueError(f"min_events must be a number of events, 0 or more; got {value}")
    return number


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
    number = as_number(value, hint)
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
    number = as_number(value, hint)
    if not 0 < number <= 100:
        raise ValueError(f"{hint}; got {value}")
    return number


def _slo_name(value: str) -> str:
    if not _SLO_NAME.fullmatch(value):
        raise ValueError(
            f"name {quote(value)} may only contain letters, digits, '_', '.', ':' and '-'"
        )
    return value


def _alert_name(value: str) -> str:
    if not _ALERT_NAME.fullmatch(value):
        raise ValueError(
            f"alert name {quote(value)} is not valid: use letters, digits, '_' and ':', "
            "not starting with a digit"
        )
    return value


def _label_name(value: str) -> str:
    if value.startswith("__"):
        raise ValueError(
            f"label name {quote(value)} is reserved: names starting with __ are internal"
        )
    if not _LABEL_NAME.fullmatch(value):
        raise ValueError(
            f"label name {quote(value)} is not valid: use letters, digits and '_', "
            "not starting with a digit"
        )
    if value in RESERVED_LABELS:
        names = ", ".join(sorted(RESERVED_LABELS))
        raise ValueError(f"label name {quote(value)} is reserved: slo-exporter sets {names} itself")
    return value


def _label_value(value: str) -> str:
    if not value:
        raise ValueError("label value is empty; Prometheus treats an empty label as absent")
    return value


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError(f"{quote(value)} is not a valid HTTP header name")
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
            f"unknown time zone {quote(value)}; use an IANA name such as UTC or Europe/Berlin"
        ) from None
    return value


def _template(value: str) -> str:
    text = value.strip()
    counted = counter_template(text)
    if counted is not None:
        return counted
    check_template(text)
    return text


Text = Annotated[str, BeforeValidator(_text), AfterValidator(_non_empty)]
_DURATION_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^([0-9]+(y|w|d|h|m|s|ms))+$", "examples": ["30s", "5m", "30d"]}
)
Duration = Annotated[int, _up_to(MAX_DURATION), _DURATION_SCHEMA]
"""Windows, periods, slices, ages: 1s to 2y."""
Interval = Annotated[int, _up_to(HOUR), _DURATION_SCHEMA]
"""How often to evaluate or scrape: 1s to 1h."""
Timeout = Annotated[int, _up_to(5 * MINUTE), _DURATION_SCHEMA]
"""How long to wait for an answer: 1s to 5m."""
Delay = Annotated[int, _up_to(HOUR, zero=True), _DURATION_SCHEMA]
"""How far to stay behind now: 0 to 1h."""
Hold = Annotated[int, _up_to(7 * DAY, zero=True), _DURATION_SCHEMA]
"""How long a condition holds before an alert fires (a rule's ``for:``): 0 to 7d."""
EventCount = Annotated[float, BeforeValidator(_event_count)]
SLOName = Annotated[str, BeforeValidator(_text), AfterValidator(_slo_name)]
LabelName = Annotated[str, BeforeValidator(_text), AfterValidator(_label_name)]
AlertName = Annotated[str, BeforeValidator(_text), AfterValidator(_alert_name)]
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
Threshold = Annotated[float, BeforeValidator(_threshold)]
BudgetPercent = Annotated[float, BeforeValidator(_budget_percent)]
TierName = Literal["critical", "essential", "standard", "best_effort"]
NoDataPolicy = Literal["skip", "good", "bad"]
Exclude = dict[LabelName, Annotated[str, BeforeValidator(_text)]]
