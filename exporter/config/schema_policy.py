"""The ``policy:`` section: the error-budget policy the release gate (``decide``) applies.

```yaml
policy:
  matrix:                # rows given replace the default's; the others stay
    warning: {low: review, medium: defer, high: block}
  rules:                 # each can only make a decision stricter
    - when_any: [exhausted]        # while any SLO of the service has one of these statuses
      risk: [medium, high]         # default: every risk
      decision: block
      reason: "the payments team's policy: only low-risk changes while a budget is spent"
```
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from exporter.config.schema_base import ConfigModel, empty_as
from exporter.config.schema_values import Text

StatusName = Literal[
    "healthy", "attention", "warning", "critical", "exhausted", "no_data", "unknown"
]
RiskName = Literal["low", "medium", "high"]
VerdictName = Literal["approve", "review", "defer", "block"]


class MatrixRow(ConfigModel):
    """One status's verdict for each risk; all three are required."""

    low: VerdictName
    medium: VerdictName
    high: VerdictName


class MatrixConfig(ConfigModel):
    """The rows to replace, by status."""

    healthy: MatrixRow | None = None
    attention: MatrixRow | None = None
    warning: MatrixRow | None = None
    critical: MatrixRow | None = None
    exhausted: MatrixRow | None = None
    no_data: MatrixRow | None = None
    unknown: MatrixRow | None = None


class PolicyRuleConfig(ConfigModel):
    """A verdict at least as strict as ``decision`` while any SLO has one of ``when_any``."""

    when_any: Annotated[list[StatusName], Field(min_length=1)]
    risk: Annotated[list[RiskName], Field(min_length=1)] | None = None
    decision: VerdictName
    reason: Text | None = None


class PolicyConfig(ConfigModel):
    """The matrix rows to replace and the extra rules."""

    matrix: Annotated[MatrixConfig, empty_as({})] = Field(default_factory=MatrixConfig)
    rules: Annotated[list[PolicyRuleConfig], empty_as([])] = Field(default_factory=list)
