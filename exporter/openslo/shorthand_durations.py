"""OpenSLO's duration shorthand: a whole number and one unit of m, h, d, w, M, Q, Y.

Minutes to weeks have a fixed length and become native durations
(``4w`` -> ``28d``). Months, quarters and years do not; they are only
accepted where OpenSLO means a calendar period (``1w``, ``1M``, ``1Q``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.domain.durations import format_duration
from exporter.openslo import shape
from exporter.openslo.located import Located
from exporter.yaml_lines import describe, quote

_SHORTHAND = re.compile(r"(\d{1,9})([mhdwMQY])")
_FIXED = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_VARIABLE = {"M": "months", "Q": "quarters", "Y": "years"}
CALENDAR_UNITS = {"1w": "week", "1M": "month", "1Q": "quarter"}


@dataclass(frozen=True)
class Shorthand:
    """A parsed duration such as ``28d``: amount and unit."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def parse_shorthand(value: object) -> Shorthand:
    """``28d`` -> Shorthand(28, "d"); ``ValueError`` with a one-line message otherwise."""
    hint = "write a whole number and one unit of m, h, d, w, M, Q, Y, e.g. 28d"
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 28d or 1h, got {describe(value)}; {hint}")
    match = _SHORTHAND.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{quote(value)} is not an OpenSLO duration; {hint}")
    amount = int(match.group(1))
    if amount == 0:
        raise ValueError(f"{quote(value)}: a duration must be longer than zero")
    return Shorthand(amount, match.group(2))


def fixed_seconds(shorthand: Shorthand) -> int:
    """The duration in seconds; ``ValueError`` for months, quarters and years."""
    if shorthand.unit in _VARIABLE:
        raise ValueError(
            f"{shorthand} has no fixed length ({_VARIABLE[shorthand.unit]} vary); "
            "use m, h, d or w, e.g. 30d"
        )
    return shorthand.amount * _FIXED[shorthand.unit]


def fixed_duration(node: Located, problems: shape.Problems, *, required: bool = True) -> int | None:
    """Seconds of the fixed-length duration at ``node``; None with a problem otherwise."""
    if node.value is None:
        if required:
            problems.append(shape.missing(node))
        return None
    try:
        return fixed_seconds(parse_shorthand(node.value))
    except ValueError as error:
        problems.append(node.problem(str(error)))
        return None


def native(seconds: int) -> str:
    """Seconds as a native duration: 2419200 -> ``28d``, 5400 -> ``1h30m``."""
    return format_duration(seconds)
