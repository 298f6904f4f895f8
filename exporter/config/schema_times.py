"""Points in time in the config file: RFC 3339 timestamps with a zone.

Phases end and budget adjustments start and end at such times. YAML reads
an unquoted ``2026-01-01T00:00:00Z`` as a date-time already; a quoted one
is parsed here. Either way the value becomes unix seconds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from exporter.yaml_lines import clip, describe

_EXAMPLE = "2026-01-01T00:00:00Z"


def _moment(value: object) -> float:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise ValueError(f"{value.isoformat()} has no time of day: write {value}T00:00:00Z")
    elif isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"expected an RFC 3339 time such as {_EXAMPLE}, got {describe(value)}"
            ) from None
    else:
        raise ValueError(f"expected an RFC 3339 time such as {_EXAMPLE}, got {describe(value)}")
    if moment.tzinfo is None:
        shown = clip(str(value).strip(), 40)
        raise ValueError(f"{shown} has no time zone; add Z (UTC) or +HH:MM")
    return moment.timestamp()


Timestamp = Annotated[
    float,
    BeforeValidator(_moment),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [_EXAMPLE]}),
]
"""A moment in time, as unix seconds."""
