"""The release gate: a service's SLO statuses and a change's risk -> approve, review, defer, block.

Pure: standings (one per SLO of the service) and a :class:`Policy` in, a
:class:`Decision` out. Each SLO gets the matrix's verdict for its status and
the risk; a status the matrix does not name (``no_data``, a failed
evaluation, a status added later) gets ``review``. Every policy rule that
matches (some SLO of the service has one of its statuses, and the risk is one
of its risks) adds its verdict. The strictest verdict decides; the SLO that
caused it drives the decision (on a tie: the worse status, then the smaller
budget left).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from exporter.domain.model import Status


class Risk(enum.StrEnum):
    """How risky the change to release is, by the releaser's own judgement."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Verdict(enum.StrEnum):
    """What the gate says, most permissive first."""

    APPROVE = "approve"
    REVIEW = "review"
    DEFER = "defer"
    BLOCK = "block"


_STRICTNESS = {verdict: rank for rank, verdict in enumerate(Verdict)}
_SEVERITY = {
    Status.HEALTHY.value: 0,
    Status.ATTENTION.value: 1,
    Status.WARNING.value: 2,
    Status.CRITICAL.value: 3,
    Status.EXHAUSTED.value: 4,
}
"""Worse statuses rank higher; any other status (no data, unknown) ranks between them."""

UNKNOWN = "unknown"
"""The status of an SLO whose last evaluation failed (or never ran)."""


@dataclass(frozen=True)
class PolicyRule:
    """While any SLO of the service has one of ``statuses``, ``risks`` get at least ``decision``."""

    statuses: frozenset[str]
    risks: frozenset[Risk]
    decision: Verdict
    reason: str = ""


@dataclass(frozen=True)
class Policy:
    """An error-budget policy: the matrix status x risk -> verdict, and extra rules."""

    matrix: Mapping[str, Mapping[Risk, Verdict]]
    rules: tuple[PolicyRule, ...] = ()


def _row(low: Verdict, medium: Verdict, high: Verdict) -> Mapping[Risk, Verdict]:
    return MappingProxyType({Risk.LOW: low, Risk.MEDIUM: medium, Risk.HIGH: high})


A, R, D, B = Verdict.APPROVE, Verdict.REVIEW, Verdict.DEFER, Verdict.BLOCK
DEFAULT_MATRIX: Mapping[str, Mapping[Risk, Verdict]] = MappingProxyType(
    {
        Status.HEALTHY.value: _row(A, A, R),
        Status.ATTENTION.value: _row(A, R, D),
        Status.WARNING.value: _row(R, D, B),
        Status.CRITICAL.value: _row(D, B, B),
        Status.EXHAUSTED.value: _row(B, B, B),
    }
)
"""The default matrix (rows: status, columns: risk)."""


def default_policy() -> Policy:
    """The default policy: :data:`DEFAULT_MATRIX` and no rules."""
    return Policy(DEFAULT_MATRIX)


@dataclass(frozen=True)
class Standing:
    """One SLO of the service as the gate sees it.

    ``status`` is a :class:`Status` value, or :data:`UNKNOWN` with ``failure``
    saying why there is no current one. ``burn_rate`` is over ``burn_window``
    (the status window, e.g. ``1h``); None without traffic.
    """

    name: str
    status: str
    remaining_ratio: float | None = None
    burn_rate: float | None = None
    burn_window: str = ""
    failure: str = ""


@dataclass(frozen=True)
class Decision:
    """The gate's answer for one service and risk.

    ``driver`` is the SLO that decided (None for a service without SLOs);
    ``rule`` the index of the policy rule that decided, None when the matrix
    did; ``verdicts`` each SLO's own verdict under the matrix.
    """

    risk: Risk
    decision: Verdict
    driver: Standing | None
    rationale: str
    conditions: tuple[str, ...]
    alternatives: tuple[str, ...]
    rule: int | None
    verdicts: Mapping[str, Verdict]


def _own_verdict(standing: Standing, risk: Risk, policy: Policy) -> tuple[Verdict, str]:
    """The matrix's verdict for one SLO, with why (one clause)."""
    row = policy.matrix.get(standing.status)
    if row is not None:
        return row[risk], f"the policy says {row[risk].value} for {risk.value}-risk changes"
    if standing.failure:
        return Verdict.REVIEW, "without a current status a person decides"
    if standing.status == Status.NO_DATA.value:
        return (
            Verdict.REVIEW,
            "with no traffic in its period there is no budget to judge, so a person decides",
        )
    return (
        Verdict.REVIEW,
        f"the policy's matrix has no row for {standing.status!r}, so a person decides",
    )


def _describe(standing: Standing) -> str:
    """``checkout-availability is exhausted (budget left -12.3 %, burn 0.4x over 1h)``."""
    if standing.failure:
        return f"{standing.name}'s status is unknown ({standing.failure})"
    figures = []
    if standing.remaining_ratio is not None:
        figures.append(f"budget left {standing.remaining_ratio * 100:.1f} %")
    if standing.burn_rate is not None and standing.burn_window:
        figures.append(f"burn {standing.burn_rate:.2f}x over {standing.burn_window}")
    shown = f" ({', '.join(figures)})" if figures else ""
    return f"{standing.name} is {standing.status}{shown}"


def _rank(standing: Standing, verdict: Verdict) -> tuple[int, int, float]:
    """Sort key: strictest verdict, then worst status, then least budget left."""
    severity = _SEVERITY.get(standing.status, -1)
    remaining = standing.remaining_ratio if standing.remaining_ratio is not None else 1.0
    return (_STRICTNESS[verdict], severity, -remaining)


def decide(standings: Sequence[Standing], risk: Risk, policy: Policy) -> Decision:
    """The release decision for a service whose SLOs stand as ``standings``."""
    if not standings:
        return Decision(
            risk, Verdict.REVIEW, None, "The service has no SLOs to judge the release by.",
            ("a person reviews the release",), (), None, MappingProxyType({}),
        )  # fmt: skip
    own = {s.name: _own_verdict(s, risk, policy) for s in standings}
    driver = max(standings, key=lambda s: _rank(s, own[s.name][0]))
    verdict, why = own[driver.name]
    rule_index = None
    for index, rule in enumerate(policy.rules):
        matching = [s for s in standings if s.status in rule.statuses]
        if (
            risk not in rule.risks
            or not matching
            or _STRICTNESS[rule.decision] <= _STRICTNESS[verdict]
        ):
            continue
        driver = max(matching, key=lambda s: _rank(s, rule.decision))
        verdict, rule_index = rule.decision, index
        why = rule.reason or (
            f"policy rule {index + 1} says {rule.decision.value} for {risk.value}-risk changes "
            f"while an SLO is {driver.status}"
        )
    rationale = f"{_describe(driver)}, and {why}."
    verdicts = MappingProxyType({name: v for name, (v, _) in own.items()})
    alternatives = _lower_risks(standings, risk, verdict, policy)
    return Decision(
        risk, verdict, driver, rationale, _conditions(verdict, driver), alternatives,
        rule_index, verdicts,
    )  # fmt: skip


def _conditions(verdict: Verdict, driver: Standing) -> tuple[str, ...]:
    """What must hold for the release to go ahead under this verdict."""
    name = driver.name
    if verdict is Verdict.APPROVE:
        if driver.status == Status.HEALTHY.value:
            return ()
        return (f"watch {name}'s burn rate during the rollout",)
    if verdict is Verdict.REVIEW:
        return (
            "approve if deployed with a canary",
            f"roll back if {name}'s burn rate rises during the rollout",
        )
    if verdict is Verdict.DEFER:
        return (f"release once {name} is back to attention or better",)
    return (f"only changes that restore {name}'s reliability",)


def _lower_risks(
    standings: Sequence[Standing], risk: Risk, verdict: Verdict, policy: Policy
) -> tuple[str, ...]:
    """Smaller changes the policy would let through more easily."""
    out = []
    for lower in list(Risk)[: list(Risk).index(risk)]:
        other = decide(standings, lower, policy).decision
        if _STRICTNESS[other] < _STRICTNESS[verdict]:
            out.append(f"split out a {lower.value}-risk change: the policy says {other.value}")
    return tuple(out)
