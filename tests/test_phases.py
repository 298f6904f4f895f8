"""Progressive objectives (``phases``): the objective in force at T, at both sides of a boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from config_text import GOOD, load_text, problems

from exporter.domain.budget import WindowEvents
from exporter.domain.evaluate import evaluate_slo
from exporter.eval_output import slo_json
from exporter.exposition import Served, render
from exporter.pipeline.cycle import EvaluationRun
from exporter.rules.command import cmd_rules

BOUNDARY = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
LATER = datetime(2026, 6, 1, tzinfo=UTC).timestamp()
PHASES = """\
    phases:
      - {objective: 99.0, until: 2026-03-01T00:00:00Z, name: baseline}
      - {objective: 99.5, until: "2026-06-01T00:00:00+00:00"}
"""


def phased_config(phases: str = PHASES) -> str:
    """The one-SLO config (objective 99.9) with ``phases`` after its objective."""
    lines = GOOD.splitlines(keepends=True)
    return "".join(lines[:6]) + phases + "".join(lines[6:])


def _events(slo, bad_share: float) -> dict[int, WindowEvents]:
    return {w: WindowEvents(1e6 * (1 - bad_share), 1e6) for w in slo.windows_at(BOUNDARY)}


@pytest.mark.parametrize(
    ("at", "objective", "phase"),
    [
        (BOUNDARY - 1, 99.0, "baseline"),
        (BOUNDARY, 99.5, ""),
        (LATER - 1, 99.5, ""),
        (LATER, 99.9, None),
    ],
)
def test_the_objective_in_force_at_t_sets_the_burn_rate(at, objective, phase):
    """One second before a boundary the earlier phase's objective budgets the events, at the
    boundary the next one's; after the last phase the SLO's own objective holds."""
    (slo,) = load_text(phased_config()).slos
    result = evaluate_slo(slo, _events(slo, 0.004), at)
    assert result.slo.objective == objective
    assert result.period.burn_rate == pytest.approx(0.004 / (1 - objective / 100))
    assert (None if result.slo.phase is None else result.slo.phase.name) == phase


@pytest.mark.parametrize(("at", "ratio"), [(BOUNDARY - 60, "0.99"), (BOUNDARY + 60, "0.995")])
def test_slo_objective_ratio_changes_at_the_boundary(at, ratio):
    """/metrics shows the objective of the phase the latest evaluation was in."""
    (slo,) = load_text(phased_config()).slos
    result = evaluate_slo(slo, _events(slo, 0.001), at)
    text = render([Served(slo, result, fresh=True, succeeded_at=at)]).decode()
    assert f'slo_objective_ratio{{service="checkout",slo="checkout"}} {ratio}\n' in text


def test_eval_json_names_the_phase():
    """``eval --format json`` gives the objective in force and its phase, null after the last."""
    (slo,) = load_text(phased_config()).slos
    before = slo_json(slo, EvaluationRun(at=BOUNDARY - 1))
    after = slo_json(slo, EvaluationRun(at=LATER))
    assert before["objective"] == 99.0
    assert before["phase"] == {
        "name": "baseline",
        "objective": 99.0,
        "until": "2026-03-01T00:00:00Z",
    }
    assert (after["objective"], after["phase"]) == (99.9, None)


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (
            "    phases:\n      - {objective: 99.5, until: 2026-06-01T00:00:00Z}\n"
            "      - {objective: 99.0, until: 2026-03-01T00:00:00Z}\n",
            'c.yaml:7: slos[0] "checkout": phases: phases must be listed in time order',
        ),
        (
            "    phases:\n      - {objective: 99.5, until: 2026-06-01}\n",
            'c.yaml:8: slos[0] "checkout": phases[0].until: 2026-06-01 has no time of day',
        ),
        (
            "    phases:\n      - {objective: 99.5, until: '2026-06-01T00:00:00'}\n",
            'c.yaml:8: slos[0] "checkout": phases[0].until: 2026-06-01T00:00:00 has no time zone',
        ),
        (
            "    phases:\n      - {objective: 100, until: 2026-06-01T00:00:00Z}\n",
            'c.yaml:8: slos[0] "checkout": phases[0].objective: objective must be',
        ),
        (
            "    phases:\n      - {objective: 99, until: soon}\n",
            'c.yaml:8: slos[0] "checkout": phases[0].until: expected an RFC 3339 time',
        ),
    ],
)
def test_bad_phases_are_one_line_naming_file_line_slo_and_field(phases, expected):
    """Out-of-order phases, a date without a time or zone, a bad objective: one clear line."""
    (line,) = problems(phased_config(phases))
    assert line.startswith(expected), line


def test_rules_say_until_when_their_phase_holds(capsys, monkeypatch):
    """``rules`` writes the objective in force now (its error budget divides the burn rate)
    and says when to regenerate them."""
    monkeypatch.setattr("exporter.rules.command.time.time", lambda: BOUNDARY - 1)
    settings = load_text(phased_config())
    args = SimpleNamespace(
        mode="native",
        format="rules",
        config="c.yaml",
        output=None,
        skip_unsupported=False,
        inhibit_rules=None,
    )
    assert cmd_rules(settings, args) == 0
    text = capsys.readouterr().out
    assert "# SLO checkout: objective 99 % until 2026-03-01T00:00:00Z; regenerate" in text
    assert "/ 0.01" in text
    assert "/ 0.001" not in text
