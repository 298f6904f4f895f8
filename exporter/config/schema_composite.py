"""The ``composite`` field of an SLO: other SLOs whose events make up this one.

``composite: {method: events | weighted, objectives: [{slo: NAME, weight: 2}, ...]}``
takes the place of ``sli`` (:mod:`exporter.domain.composite` says how events
combine). Which names exist, and that no composite contains itself, is
checked once every SLO is known (:mod:`exporter.config.build_composite`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator

from exporter.config.schema_base import ConfigModel, at_most
from exporter.config.schema_values import SLOName, positive

MAX_COMPONENTS = 100


def _some(value: object) -> object:
    if isinstance(value, list) and not value:
        raise ValueError("list at least one component: objectives: [{slo: NAME}]")
    return value


class ComponentConfig(ConfigModel):
    """One component: an SLO of the config, and its weight (``weighted`` only)."""

    slo: SLOName
    weight: Annotated[float, positive("weight", "2")] | None = None


class CompositeConfig(ConfigModel):
    """How the components' events combine, and the components."""

    method: Literal["events", "weighted"] = "events"
    objectives: Annotated[
        list[ComponentConfig], at_most(MAX_COMPONENTS, "components"), BeforeValidator(_some)
    ]


def check_sli_or_composite(has_sli: bool, composite: CompositeConfig | None) -> None:
    """An SLO counts its own events (``sli``) or combines others' (``composite``)."""
    if not has_sli and composite is None:
        raise ValueError(
            "missing required field 'sli' (how to count events); or give 'composite' "
            "(other SLOs whose events make up this one)"
        )
    if has_sli and composite is not None:
        raise ValueError("give either 'sli' or 'composite', not both")
