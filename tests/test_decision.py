"""The release gate's policy: the matrix, the rules, the worst SLO deciding, the config."""

from __future__ import annotations

import pytest
from config_text import load_text

from exporter.domain.budget import WindowEvents
from exporter.domain.decision import Policy, Risk, Standing, Verdict, decide, default_policy
from exporter.domain.recovery import first_recovery, format_wait, shift_grid
from exporter.errors import ConfigError

MATRIX = [
    ("healthy", "low", "approve"),
    ("healthy", "medium", "approve"),
    ("healthy", "high", "review"),
    ("attention", "low", "approve"),
    ("attention", "medium", "review"),
    ("attention", "high", "defer"),
    ("warning", "low", "review"),
    ("warning", "medium", "defer"),
    ("warning", "high", "block"),
    ("critical", "low", "defer"),
    ("critical", "medium", "block"),
    ("critical", "high", "block"),
    ("exhausted", "low", "block"),
    ("exhausted", "medium", "block"),
    ("exhausted", "high", "block"),
]


@pytest.mark.parametrize(("status", "risk", "expected"), MATRIX)
def test_default_matrix(status: str, risk: str, expected: str):
    """One SLO in each status gets the seed's verdict for each risk."""
    decision = decide([Standing("a", status, 0.5, 1.2, "1h")], Risk(risk), default_policy())
    assert decision.decision == Verdict(expected)
    assert decision.driver is not None
    assert decision.driver.name == "a"
    assert decision.rationale.startswith(f"a is {status} (budget left 50.0 %, burn 1.20x over 1h)")
    assert decision.rationale.count(".") <= 3
    assert decision.rationale.endswith(".")


@pytest.mark.parametrize(
    ("standing", "why"),
    [
        (Standing("a", "no_data"), "no traffic"),
        (Standing("a", "unknown", failure="the last evaluation failed: timeout"), "timeout"),
        (Standing("a", "frozen"), "no row for 'frozen'"),
    ],
    ids=["no-data", "failed", "status-not-in-matrix"],
)
def test_status_without_a_matrix_row_needs_a_review(standing: Standing, why: str):
    """No data, a failed evaluation, a status the matrix lacks: review, saying why."""
    decision = decide([standing], Risk.LOW, default_policy())
    assert decision.decision is Verdict.REVIEW
    assert why in decision.rationale
    assert "approve if deployed with a canary" in decision.conditions


@pytest.mark.parametrize(
    ("statuses", "risk", "expected", "driver"),
    [
        (["healthy", "critical", "attention"], "low", "defer", "s1"),
        (["healthy", "no_data"], "low", "review", "s1"),
        (["exhausted", "no_data"], "low", "block", "s0"),
        (["warning", "critical"], "high", "block", "s1"),
        (["healthy", "healthy"], "medium", "approve", "s0"),
    ],
)
def test_worst_slo_decides(statuses: list[str], risk: str, expected: str, driver: str):
    """The strictest verdict among the service's SLOs decides; on a tie the worse status drives."""
    standings = [Standing(f"s{i}", status, 0.5) for i, status in enumerate(statuses)]
    decision = decide(standings, Risk(risk), default_policy())
    assert decision.decision == Verdict(expected)
    assert decision.driver is not None
    assert decision.driver.name == driver


def test_tie_goes_to_the_smaller_budget():
    """Two exhausted SLOs: the one with less budget left drives the decision."""
    standings = [Standing("a", "exhausted", -0.1), Standing("b", "exhausted", -0.7)]
    decision = decide(standings, Risk.LOW, default_policy())
    assert decision.driver is not None
    assert decision.driver.name == "b"


LENIENT = """\
backend: {url: "http://localhost:9090"}
slos:
  - name: a
    service: s
    objective: 99
    sli: {ratio: {good: g, total: t}}
policy:
  matrix:
    exhausted: {low: approve, medium: review, high: defer}
  rules:
    - when_any: [exhausted]
      risk: [medium, high]
      decision: block
      reason: the payments policy allows only low-risk changes while a budget is spent
"""


@pytest.mark.parametrize(
    ("status", "risk", "expected", "rule"),
    [
        ("exhausted", "low", "approve", None),
        ("exhausted", "medium", "block", 0),
        ("exhausted", "high", "block", 0),
        ("critical", "medium", "block", None),
        ("healthy", "high", "review", None),
    ],
)
def test_configured_matrix_and_rules(status: str, risk: str, expected: str, rule: int | None):
    """A replaced matrix row and a rule 'block all but low risk while any SLO is exhausted'."""
    policy = load_text(LENIENT).policy
    standings = [Standing("a", "healthy", 0.9), Standing("b", status, -0.2)]
    decision = decide(standings, Risk(risk), policy)
    assert decision.decision == Verdict(expected)
    assert decision.rule == rule
    if rule is not None:
        assert "payments policy" in decision.rationale
        assert decision.driver is not None
        assert decision.driver.name == "b"


def test_rules_only_make_decisions_stricter():
    """A rule that says approve does not loosen the matrix's block."""
    policy = load_text(
        LENIENT.split("policy:", maxsplit=1)[0]
        + "policy:\n  rules:\n    - {when_any: [exhausted], decision: approve}\n"
    ).policy
    decision = decide([Standing("a", "exhausted", -0.1)], Risk.LOW, policy)
    assert decision.decision is Verdict.BLOCK
    assert decision.rule is None


def test_alternatives_name_a_smaller_change():
    """A blocked high-risk change under 'warning' hears what a low-risk change would get."""
    decision = decide([Standing("a", "warning", 0.4)], Risk.HIGH, default_policy())
    assert decision.alternatives == (
        "split out a low-risk change: the policy says review",
        "split out a medium-risk change: the policy says defer",
    )


def test_service_without_slos_is_reviewed():
    """Nothing to judge by: a person reviews."""
    decision = decide([], Risk.LOW, Policy(default_policy().matrix))
    assert decision.decision is Verdict.REVIEW
    assert decision.driver is None


BASE = LENIENT.split("policy:", maxsplit=1)[0]


@pytest.mark.parametrize(
    ("policy", "line", "message"),
    [
        ("policy:\n  matrix:\n    exhausted: {low: allow, medium: block, high: block}\n", 9,
         "policy.matrix.exhausted.low: expected one of 'approve'"),
        ("policy:\n  matrix:\n    exhausted: {low: block}\n", 9, "medium"),
        ("policy:\n  matrix:\n    broken: {low: block, medium: block, high: block}\n", 9,
         "broken"),
        ("policy:\n  rules:\n    - {when_any: [], decision: block}\n", 9, "when_any"),
        ("policy:\n  rules:\n    - {when_any: [exhausted], risk: [huge], decision: block}\n", 9,
         "risk"),
        ("policy:\n  rules:\n    - {when_any: [exhausted]}\n", 9, "decision"),
        ("policy:\n  matrix: {}\n  rule: []\n", 9, "rule"),
    ],
    ids=["bad-verdict", "missing-risk", "unknown-status", "empty-when", "bad-risk",
         "no-decision", "unknown-key"],
)  # fmt: skip
def test_policy_mistakes_are_one_line_errors(policy: str, line: int, message: str):
    """Each policy mistake is one line naming the file, the line and the field."""
    with pytest.raises(ConfigError) as caught:
        load_text(BASE + policy, "c.yaml")
    problems = caught.value.problems
    assert all("\n" not in p and p.startswith(f"c.yaml:{line}:") for p in problems), problems
    assert message in problems[0], problems


def _events(bad: float, total: float) -> WindowEvents:
    return WindowEvents(good=total - bad, total=total)


@pytest.mark.parametrize(
    ("kept", "rate", "expected"),
    [
        # 100 bad of 1000 kept until shift 3h, then the old bad events are gone
        ({3600: _events(100, 900), 7200: _events(100, 800), 10800: _events(0, 700)},
         _events(0, 100), 10800),
        # new traffic at burn 2 (2 % bad for a 1 % budget) never lets the budget recover
        ({3600: _events(100, 900), 7200: _events(20, 800)}, _events(2, 100), None),
        # good traffic dilutes the bad events that stay: 10 bad < 1 % of 1,100 at 2h
        ({3600: _events(10, 400), 7200: _events(10, 100)}, _events(0, 500), 7200),
    ],
    ids=["old-bad-events-leave", "burning-on", "diluted"],
)  # fmt: skip
def test_first_recovery(kept: dict[int, WindowEvents], rate: WindowEvents, expected: int | None):
    """The first shift where bad < budget x total, with new traffic at the current rate."""
    assert first_recovery(kept, rate, 3600, 0.01) == expected


@pytest.mark.parametrize(
    ("start", "stop", "grid"),
    [
        (0, 86400, tuple(range(3600, 86401, 3600))),
        (3600, 7200, tuple(range(3720, 7201, 120))),
        (0, 600, tuple(range(60, 601, 60))),
    ],
)
def test_shift_grid(start: int, stop: int, grid: tuple[int, ...]):
    """A period split in 24 whole-minute steps, never finer than a minute, ending at the stop."""
    assert shift_grid(start, stop) == grid


@pytest.mark.parametrize(
    ("seconds", "text"), [(90, "~2 min"), (5400, "~2 h"), (3 * 86400 + 4 * 3600, "~3 d 4 h")]
)
def test_format_wait(seconds: int, text: str):
    """Waits read as minutes, hours, or days and hours."""
    assert format_wait(seconds) == text
