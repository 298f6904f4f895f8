"""The ``policy:`` section built into the domain's :class:`~exporter.domain.decision.Policy`."""

from __future__ import annotations

from types import MappingProxyType

from exporter.config.schema_policy import MatrixRow, PolicyConfig
from exporter.domain.decision import DEFAULT_MATRIX, Policy, PolicyRule, Risk, Verdict


def _row(row: MatrixRow) -> MappingProxyType[Risk, Verdict]:
    return MappingProxyType(
        {Risk.LOW: Verdict(row.low), Risk.MEDIUM: Verdict(row.medium), Risk.HIGH: Verdict(row.high)}
    )


def build_policy(config: PolicyConfig) -> Policy:
    """The default matrix with the configured rows replaced, and the configured rules."""
    matrix = dict(DEFAULT_MATRIX)
    rows = {status: row for status, row in config.matrix if row is not None}
    matrix.update({status: _row(row) for status, row in rows.items()})
    rules = tuple(
        PolicyRule(
            statuses=frozenset(rule.when_any),
            risks=frozenset(Risk(r) for r in rule.risk) if rule.risk else frozenset(Risk),
            decision=Verdict(rule.decision),
            reason=rule.reason or "",
        )
        for rule in config.rules
    )
    return Policy(MappingProxyType(matrix), rules)
