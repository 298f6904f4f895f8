"""What a composite SLO (``composite:``) accepts, and its mistakes as one line each."""

from __future__ import annotations

import contextlib
import io
import itertools

import pytest
import yaml
from config_text import load_text, problems
from hypothesis import given
from hypothesis import strategies as st

from exporter.cli import main
from exporter.domain.composite import find_cycle
from exporter.domain.model import CompositeSLI

BASE = """\
backend:
  url: http://127.0.0.1:9090
slos:
  - name: cart
    service: shop
    objective: 99
    sli:
      ratio:
        bad: requests_total{step="cart",code=~"5.."}
        total: requests_total{step="cart"}
  - name: pay
    service: shop
    objective: 99
    sli:
      ratio:
        bad: requests_total{step="pay",code=~"5.."}
        total: requests_total{step="pay"}
  - name: journey
    service: shop
    objective: 99
    composite:
      method: events
      objectives:
        - slo: cart
        - slo: pay
"""
"""Line 18 is the composite's name, 22 its method, 24 and 25 its components."""


def test_a_composite_names_its_parts():
    """The composite SLO carries its components and the SLOs they name."""
    journey = load_text(BASE).slos[2]
    assert isinstance(journey.sli, CompositeSLI)
    assert [c.slo for c in journey.sli.components] == ["cart", "pay"]
    assert set(journey.sli.parts) == {"cart", "pay"}
    assert [leaf.name for leaf in journey.sli.leaves()] == ["cart", "pay"]


def test_show_lists_the_composite_with_its_components(tmp_path):
    """``show`` prints the composite with its method and components."""
    path = tmp_path / "c.yaml"
    path.write_text(BASE)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["show", "-c", str(path)]) == 0
    shown = yaml.safe_load(out.getvalue())["slos"][2]
    assert shown["composite"] == {
        "method": "events",
        "objectives": [{"slo": "cart"}, {"slo": "pay"}],
    }


NESTED = (
    BASE
    + """\
  - name: outer
    service: shop
    objective: 99
    composite:
      objectives:
        - slo: journey
"""
)

COMPONENTS = "      objectives:\n        - slo: cart\n        - slo: pay\n"
COMPOSITE = "    composite:\n      method: events\n" + COMPONENTS
PAY = '    objective: 99\n    sli:\n      ratio:\n        bad: requests_total{step="pay"'
WEIGHTED_INNER = NESTED.replace("method: events", "method: weighted").replace(
    "      objectives:\n        - slo: journey",
    "      method: events\n      objectives:\n        - slo: journey",
)
BOTH = BASE.replace("    composite:", "    sli: {ratio: {bad: a, total: b}}\n    composite:")
GROUPED_PAY = BASE.replace(PAY, PAY.replace("    sli:", "    group_by: [region]\n    sli:"))
SLICED_PAY = BASE.replace(
    PAY, PAY.replace("    sli:", "    budgeting: {method: ratio_timeslices}\n    sli:")
)
ZERO = BASE.replace("events", "weighted").replace("- slo: pay", "- {slo: pay, weight: 0}")

MISTAKES = [
    ("unknown", BASE.replace("- slo: pay", "- slo: payment"), 25, "journey",
     "composite.objectives[1].slo: no SLO named 'payment' in this config"),
    ("itself", BASE.replace("- slo: pay", "- slo: journey"), 23, "journey",
     "composite.objectives: composites form a cycle: journey -> journey"),
    ("cycle", NESTED.replace("- slo: pay", "- slo: outer"), 23, "journey",
     "composites form a cycle: journey -> outer -> journey"),
    ("weight-with-events", BASE.replace("- slo: pay", "- {slo: pay, weight: 2}"), 25, "journey",
     "composite.objectives[1].weight: weights apply to 'method: weighted'"),
    ("zero-weight", ZERO, 25, "journey", "weight must be a positive number"),
    ("events-of-weighted", WEIGHTED_INNER, 32, "outer",
     "'journey' is a weighted composite, whose events are weights"),
    ("both", BOTH, 18, "journey", "give either 'sli' or 'composite', not both"),
    ("neither", BASE.replace(COMPOSITE, ""), 18, "journey", "missing required field 'sli'"),
    ("no-components", BASE.replace(COMPONENTS, "      objectives: []\n"), 23, "journey",
     "list at least one component"),
    ("grouped-component", GROUPED_PAY, 26, "journey",
     "'pay' is grouped (group_by): its groups are only known at evaluation time"),
    ("grouped-composite", BASE.replace("    composite:", "    group_by: [route]\n    composite:"),
     21, "journey", "group_by: a composite SLI cannot be grouped"),
    ("method", BASE.replace("method: events", "method: average"), 22, "journey",
     "composite.method"),
    ("slices-and-events", SLICED_PAY, 23, "journey",
     "composite.method: 'events' would add time slices ('pay') to events ('cart')"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line", "slo", "fragment"),
    [case[1:] for case in MISTAKES],
    ids=[case[0] for case in MISTAKES],
)
def test_composite_mistakes_are_one_line_naming_file_line_slo_and_field(text, line, slo, fragment):
    """Each mistake is one line: the file and line, the SLO, the field and what is wrong."""
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(f"c.yaml:{line}: "), found
    assert f'"{slo}"' in found[0], found
    assert fragment in found[0], found


@given(st.dictionaries(st.sampled_from("abcdef"), st.lists(st.sampled_from("abcdef"), max_size=3)))
def test_find_cycle_finds_a_cycle_exactly_when_there_is_one(graph):
    """A cycle is returned exactly when a name can reach itself, and it is a real one."""

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(graph.get(start, []))
        while todo:
            name = todo.pop()
            if name == goal:
                return True
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, []))
        return False

    cycle = find_cycle(graph)
    assert (cycle is not None) == any(reaches(name, name) for name in graph)
    if cycle is not None:
        assert cycle[0] == cycle[-1]
        assert all(b in graph.get(a, []) for a, b in itertools.pairwise(cycle))
