"""Progressive objectives on a real Prometheus: ``eval --at`` a minute before and a minute
after a phase boundary, every burn rate and the budget checked against the generator's
truth with the objective in force at each time."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from adjustment_truth import rfc3339
from cli_run import eval_by_name
from truth import CONFIG, DAY, TRUTH, burn_of

from exporter.cli import main
from exporter.domain.durations import parse_duration

NAME = "checkout-availability"
PHASES = """\
    phases:
      - {{objective: 99.0, until: {first}, name: baseline}}
      - {{objective: 99.5, until: {second}}}
"""


def phased_config(directory: Path, url: str, now: int) -> Path:
    """The truth config with two phases on checkout-availability (its own objective 99.9):
    99 until a day ago, 99.5 until an hour ago."""
    text = CONFIG.format(url=url)
    anchor = "    objective: 99.9\n    period: 30d\n"
    assert anchor in text
    phases = PHASES.format(first=rfc3339(now - DAY), second=rfc3339(now - 3600))
    path = directory / "slos.yaml"
    path.write_text(text.replace(anchor, anchor + phases, 1))
    return path


def _eval(config: Path, at: float) -> dict:
    """The entry of the phased SLO in ``slo-exporter eval --at AT``."""
    return eval_by_name(config, at)[NAME]


@pytest.mark.parametrize(
    ("offset", "objective", "phase"),
    [(-DAY - 60, 99.0, "baseline"), (-DAY + 60, 99.5, ""), (-3600 + 60, 99.9, None)],
    ids=["before-first-boundary", "after-it", "after-the-last"],
)
def test_eval_uses_the_objective_in_force_on_each_side_of_a_boundary(
    prometheus, tmp_path, offset, objective, phase
):
    """The burn rate of every window and the period's budget are the truth's with the
    objective of the phase at T; eval names the phase (null after the last)."""
    config = phased_config(tmp_path, prometheus.url, prometheus.now)
    at = prometheus.now + offset
    slo = _eval(config, at)
    truth, history = TRUTH[NAME], prometheus.history
    assert slo["objective"] == objective
    assert (None if slo["phase"] is None else slo["phase"]["name"]) == phase
    budget = 1 - objective / 100
    for label, burn in slo["burn_rates"].items():
        window = parse_duration(label)
        good, total = truth.good(history, at, window), truth.total(history, at, window)
        assert burn == pytest.approx((1 - good / total) / budget, rel=1e-9), label
    good, total = truth.good(history, at, 30 * DAY), truth.total(history, at, 30 * DAY)
    consumed = (1 - good / total) / budget
    assert slo["error_budget_remaining_ratio"] == pytest.approx(1 - consumed, rel=1e-6)


def test_the_report_uses_and_names_the_phase_in_force_at_its_end(prometheus, tmp_path):
    """A report ending before the first boundary is judged by the first phase's objective
    and names it; one ending now by the SLO's own objective, with no phase."""
    config = phased_config(tmp_path, prometheus.url, prometheus.now)
    for end, objective, phase in (
        (prometheus.now - DAY - 3600, 99.0, "baseline"),
        (prometheus.now, 99.9, None),
    ):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["--log-format", "json", "report", "-c", str(config), "--slo", NAME,
                         "--from", str(end - DAY), "--to", str(end),
                         "--format", "json"])  # fmt: skip
        assert code == 0
        (slo,) = json.loads(out.getvalue())["slos"]
        assert slo["objective"] == objective
        assert (None if slo["phase"] is None else slo["phase"]["name"]) == phase
        truth, history = TRUTH[NAME], prometheus.history
        good, total = truth.good(history, end, DAY), truth.total(history, end, DAY)
        consumed = burn_of(good, total, objective)
        assert slo["budget"]["consumed_ratio"] == pytest.approx(consumed, rel=1e-9)


def _table_row(text: str, name: str) -> dict[str, str]:
    """The cells of ``name``'s row in ``eval --format table``, by column header."""
    header, *rows = text.strip().splitlines()
    labels = [label for label in header.split("  ") if label.strip()]
    starts = [header.index(label.strip()) for label in labels]
    (row,) = [r for r in rows if r.split()[0] == name]
    bounds = [*starts[1:], None]
    return {
        label.strip(): row[start:end].strip()
        for label, start, end in zip(labels, starts, bounds, strict=True)
    }


def test_the_table_shows_the_phase_objective_and_true_figures(prometheus, tmp_path, capsys):
    """``eval --format table`` a minute before the first boundary: the phase's objective,
    the 30-day SLI, the budget left and each burn rate as the truth gives them (rounded as
    the table prints them)."""
    config = phased_config(tmp_path, prometheus.url, prometheus.now)
    at = prometheus.now - DAY - 60
    code = main(["eval", "-c", str(config), "--at", str(at), "--format", "table"])
    assert code == 0
    cells = _table_row(capsys.readouterr().out, NAME)
    truth, history = TRUTH[NAME], prometheus.history
    good, total = truth.good(history, at, 30 * DAY), truth.total(history, at, 30 * DAY)
    assert cells["OBJECTIVE"] == "99%"
    assert cells["SLI"] == f"{good / total * 100:.3f}%"
    assert cells["BUDGET LEFT"] == f"{(1 - burn_of(good, total, 99.0)) * 100:.1f}%"
    burns = {k.removeprefix("BURN "): v for k, v in cells.items() if k.startswith("BURN ")}
    assert any(burns.values())
    for label, cell in burns.items():
        if cell:
            window = parse_duration(label)
            good, total = truth.good(history, at, window), truth.total(history, at, window)
            assert cell == f"{burn_of(good, total, 99.0):.2f}", label
