"""One mistake in a native config file, and how a list of them is printed.

Every check adds a :class:`Problem` (a YAML path and a plain message) to one
list; :func:`format_problems` turns the list into the lines of a
:class:`~exporter.errors.ConfigError`, ordered by line, repeats dropped::

    config.yaml:42: slos[2] "checkout-latency": sli.latency.threshold: threshold must be ...
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.yaml_lines import YamlDocument, YamlPath, clip, dotted


@dataclass(frozen=True)
class Problem:
    """One user mistake: where it is (a YAML path) and what is wrong.

    ``shown`` is the path printed before the message when it differs from
    ``path`` (e.g. the parent of an unknown key); ``line`` overrides the line
    looked up from ``path``.
    """

    path: YamlPath
    message: str
    shown: YamlPath | None = None
    line: int | None = None


def format_problems(source: str, document: YamlDocument, problems: Sequence[Problem]) -> list[str]:
    """One line per problem, ordered by line, duplicates dropped."""
    located = [
        (problem.line or document.line_of(problem.path) or 0, order, problem)
        for order, problem in enumerate(problems)
    ]
    lines: list[str] = []
    for line, _, problem in sorted(located, key=lambda item: item[:2]):
        text = _format(source, line, document, problem)
        if text not in lines:
            lines.append(text)
    return lines


def _format(source: str, line: int, document: YamlDocument, problem: Problem) -> str:
    parts = [f"{source}:{line}" if line else source]
    shown = problem.path if problem.shown is None else problem.shown
    if len(shown) >= 2 and shown[0] == "slos" and isinstance(shown[1], int):
        parts.append(_slo_label(document, shown[1]))
        shown = shown[2:]
    if shown:
        parts.append(dotted(shown))
    parts.append(problem.message)
    return " ".join(": ".join(parts).split())


def _slo_label(document: YamlDocument, index: int) -> str:
    """``slos[2] "checkout"``, or ``slos[2]`` when the entry has no usable name."""
    raw_slos = document.data.get("slos")
    raw = raw_slos[index] if isinstance(raw_slos, list) and index < len(raw_slos) else None
    name = raw.get("name") if isinstance(raw, dict) else None
    if isinstance(name, str) and name.strip():
        return f"slos[{index}] {json.dumps(clip(name), ensure_ascii=False)}"
    return f"slos[{index}]"
