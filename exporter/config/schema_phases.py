"""``phases`` of an SLO: progressively stricter objectives, each until a time.

After the last phase the SLO's own ``objective`` holds. Phases are listed
in time order; :mod:`exporter.domain.phases` picks the one in force at T.
"""

from __future__ import annotations

import itertools
from typing import Annotated

from pydantic import AfterValidator

from exporter.config.schema_base import ConfigModel, at_most, not_null
from exporter.config.schema_times import Timestamp
from exporter.config.schema_values import Percent, Text

MAX_PHASES = 32


class PhaseConfig(ConfigModel):
    """One phase: ``objective`` is in force until ``until``."""

    objective: Percent
    until: Timestamp
    name: Text | None = None


def _in_order(phases: list[PhaseConfig]) -> list[PhaseConfig]:
    for earlier, later in itertools.pairwise(phases):
        if later.until <= earlier.until:
            raise ValueError(
                "phases must be listed in time order: each 'until' later than the one before"
            )
    return phases


Phases = Annotated[
    list[PhaseConfig],
    at_most(MAX_PHASES, "phases"),
    not_null("list phases such as [{objective: 99, until: 2026-01-01T00:00:00Z}] or remove it"),
    AfterValidator(_in_order),
]
