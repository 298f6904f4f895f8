"""Sloth and Pyrra documents with any value anywhere: one-line problems, never a traceback.

Hypothesis takes a valid Sloth file and a valid Pyrra manifest and puts an
arbitrary value (text, number, list, mapping, nothing) at a random place;
loading the directory either works or raises ConfigError whose problems are
single lines naming the file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.config.inputs import convert_inputs
from exporter.config.openslo_input import load_converted
from exporter.errors import ConfigError
from exporter.yaml_lines import load_yaml_all

MIGRATE = Path(__file__).resolve().parent / "migrate"
DOCUMENTS = {
    name: list(yaml.safe_load_all((MIGRATE / name).read_text()))
    for name in ("sloth.yaml", "pyrra.yaml")
}
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["{{.window}}", "rate(x[{{.window}}])", "irate(", "5m", "99.9", "le"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _put(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(DOCUMENTS)),
    index=st.integers(0, 10_000),
    choice=st.integers(0, 10_000),
    value=VALUES,
)
def test_any_value_anywhere_is_a_one_line_problem_or_works(name, index, choice, value):
    """No input crashes the converters: each problem is one line naming the file."""
    documents = copy.deepcopy(DOCUMENTS[name])
    document_index = index % len(documents)
    paths = _paths(documents[document_index])
    documents[document_index] = _put(documents[document_index], paths[choice % len(paths)], value)
    text = yaml.safe_dump_all(documents)
    sources = [(name, document) for document in load_yaml_all(text)]
    problems: list[str] = []
    try:
        converted = convert_inputs(sources, "http://prometheus:9090")
        load_converted(converted, Path(name))
    except ConfigError as error:
        problems = error.problems or ["<a ConfigError without problems>"]
    for problem in problems:
        assert "\n" not in problem
        assert problem.startswith(name), problem
