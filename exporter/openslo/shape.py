"""Checks of single OpenSLO fields: mappings and their keys, text, numbers, lists.

Each check appends a :class:`~exporter.openslo.located.Problem` naming the
field when the value is not what OpenSLO (as far as slo-exporter supports
it) allows, and returns the usable value or None. Unknown keys are always
problems, with a suggestion when one is close; known OpenSLO fields that
slo-exporter does not support are refused with the reason.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from exporter.openslo.located import Located, Problem
from exporter.yaml_lines import describe, quote

Problems = list[Problem]


def missing(node: Located, hint: str = "") -> Problem:
    """A required field is absent (reported at its parent) or written without a value."""
    suffix = f"; {hint}" if hint else ""
    if node.written:
        return node.problem(f"empty value{suffix}")
    problem = node.parent.problem(f"missing required field {quote(node.key)}{suffix}")
    return replace(problem, missing=node.key)


def _listing(names: Sequence[str]) -> str:
    return ", ".join(names)


def guess_field(key: Any, fields: Sequence[str], synonyms: Mapping[str, str]) -> str | None:
    """The allowed field an unknown ``key`` was most likely meant to be, if any."""
    guess = synonyms.get(str(key))
    if guess is None:
        close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
        guess = close[0] if close else None
    return guess


def unknown_field(key: Any, fields: Sequence[str], guess: str | None) -> str:
    """``unknown field 'x'`` with the likely meant name, or the list of allowed names."""
    if guess is not None:
        return f"unknown field {quote(key)} (did you mean {quote(guess)}?)"
    return f"unknown field {quote(key)}; allowed here: {_listing(fields)}"


def mapping(
    node: Located,
    fields: Sequence[str],
    problems: Problems,
    *,
    required: Sequence[str] = (),
    refused: Mapping[str, str] | None = None,
    synonyms: Mapping[str, str] | None = None,
) -> bool:
    """True when ``node`` is a mapping; problems for unknown, refused and missing keys.

    ``fields`` are the keys that are understood; ``refused`` maps OpenSLO
    keys that are not supported to the reason (an empty value is no problem);
    ``required`` keys must be present and not empty.
    """
    refused = refused or {}
    if not isinstance(node.value, dict):
        if node.value is None:
            problems.append(missing(node))
        else:
            problems.append(
                node.problem(
                    f"expected a mapping with {_listing(fields)}, got {describe(node.value)}"
                )
            )
        return False
    for key in node.value:
        child = node[key]
        if key in fields:
            continue
        if key in refused:
            if child.value not in (None, "", [], {}):
                problems.append(child.problem(refused[key]))
            continue
        guess = guess_field(key, fields, synonyms or {})
        problem = node.problem(unknown_field(key, fields, guess), line_of=child)
        problems.append(replace(problem, meant=guess))
    problems.extend(missing(node[key]) for key in required if node[key].value is None)
    return True


def text(node: Located, problems: Problems, *, required: bool = True) -> str | None:
    """Text that is not blank, as written; otherwise None (a problem if required or mistyped)."""
    value = node.value
    if value is None:
        if required:
            problems.append(missing(node))
        return None
    if not isinstance(value, str):
        hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
        problems.append(node.problem(f"expected text, got {describe(value)}{hint}"))
        return None
    if not value.strip():
        problems.append(node.problem("must not be empty"))
        return None
    return value


def number(node: Located, problems: Problems, *, required: bool = True) -> float | None:
    """A finite number (not a boolean); None with a problem otherwise."""
    value = node.value
    if value is None:
        if required:
            problems.append(missing(node))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        hint = " without quotes" if isinstance(value, str) else ""
        problems.append(node.problem(f"expected a number{hint}, got {describe(value)}"))
        return None
    return value


def percent(node: Located, problems: Problems, field: str) -> float | None:
    """A percent in (0, 100], written as a number or as text (Pyrra's target and,
    often quoted, Sloth's objective)."""
    value = node.value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            problems.append(node.problem(f"expected a percent such as 99.9, got {quote(value)}"))
            return None
    found = number(Located(node.place, node.path, value), problems)
    if found is not None and not 0 < found <= 100:
        problems.append(node.problem(f"{field} is a percent in (0, 100], got {found:g}"))
        return None
    return found


def boolean(node: Located, problems: Problems) -> bool | None:
    """``true`` or ``false``; None when absent (no problem) or of another type (a problem)."""
    value = node.value
    if value is None:
        return None
    if not isinstance(value, bool):
        problems.append(node.problem(f"expected true or false, got {describe(value)}"))
        return None
    return value


def sequence(node: Located, problems: Problems, *, required: bool = True) -> list[Located]:
    """The items of a list; an empty result (with a problem) for anything else."""
    if node.value is None:
        if required:
            problems.append(missing(node))
        return []
    if not isinstance(node.value, list):
        problems.append(node.problem(f"expected a list, got {describe(node.value)}"))
        return []
    return node.items()


def choice(
    node: Located, options: Sequence[str], problems: Problems, *, required: bool = True
) -> str | None:
    """One of ``options`` (letter case as in ``options``); None with a problem otherwise."""
    value = text(node, problems, required=required)
    if value is None:
        return None
    if value in options:
        return value
    folded = {option.lower(): option for option in options}
    if value.lower() in folded:
        return folded[value.lower()]
    problems.append(node.problem(f"expected one of {_listing(options)}; got {quote(value)}"))
    return None


def api_kind(root: Located, api_version: str, kind: str, problems: Problems) -> bool:
    """True when ``root`` says exactly ``apiVersion: API_VERSION`` and ``kind: KIND``;
    otherwise one problem at its ``kind`` naming both expected and found."""
    version, found = root["apiVersion"].value, root["kind"].value
    if str(version).strip() == api_version and found == kind:
        return True
    problems.append(
        root["kind"].problem(
            f"expected apiVersion {api_version} and kind {kind}, "
            f"got {quote(version)} and {describe(found)}"
        )
    )
    return False
