"""Pydantic's validation errors, reworded as :class:`~exporter.config.problems.Problem` s.

Pydantic reports ``{"type": "string_type", "loc": ("slos", 0, "name"), ...}``;
users read ``slos[0] "x": name: expected text, got the number 5; quote it in
YAML``. An unknown key gets a suggestion (a close spelling, or our name for
what other SLO tools call it); a mapping that is not one names the fields
it takes; values of fields that may hold secrets are never repeated.
"""

from __future__ import annotations

import difflib
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from exporter.config.problems import Problem
from exporter.config.schema import ConfigFile
from exporter.config.schema_backend import SecretSource
from exporter.yaml_lines import YamlPath, describe, quote

_SECRET_PARTS = frozenset({"bearer_token", "password", "headers"})
_MAPPING_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})
# Names other SLO tools use, so "unknown field" can point to ours.
_SYNONYMS = {
    "goal": "objective",
    "target": "objective",
    "slo": "objective",
    "window": "period",
    "time_window": "period",
    "timewindow": "period",
    "indicator": "sli",
    "events": "query",
    "error_query": "bad",
    "errors": "bad",
    "total_query": "total",
    "factor": "burn_rate",
    "long": "long_window",
    "short": "short_window",
}


def translate(error: Any) -> Problem:
    """Turn one pydantic error into a Problem with a plain message."""
    loc: YamlPath = tuple(error["loc"])
    kind: str = error["type"]
    if loc and loc[-1] == "[key]":  # a mapping key failed: at the key's line, under its parent
        return _bad_key(loc[:-1], kind, error)
    if kind == "extra_forbidden":
        return Problem(loc, _unknown_field(loc[:-1], loc[-1]), shown=loc[:-1])
    if kind == "missing":
        return Problem(loc, f"missing required field '{loc[-1]}'", shown=loc[:-1])
    return Problem(loc, _wrong_value(loc, kind, error))


def _bad_key(loc: YamlPath, kind: str, error: Any) -> Problem:
    message = plain(error["msg"])
    if kind == "string_type":
        message = f"key {quote(error.get('input'))} must be text; quote it in YAML"
    return Problem(loc, message, shown=loc[:-1])


def _wrong_value(loc: YamlPath, kind: str, error: Any) -> str:
    """What is wrong with a value of the wrong type, or pydantic's own message, made plain."""
    value = error.get("input")
    secret = bool(_SECRET_PARTS.intersection(p for p in loc if isinstance(p, str)))
    got = describe(value, hide=secret)
    if kind in _MAPPING_TYPES:
        return _not_a_mapping(loc, got)
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"expected one of {expected}, got {got}"
    if kind == "string_type":
        hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
        return f"expected text, got {got}{hint}"
    expected = _expected(kind)
    if expected is not None:
        return f"expected {expected}, got {got}"
    return plain(error["msg"])


def _expected(kind: str) -> str | None:
    """What a list, boolean or number field wanted, by pydantic error type."""
    if kind == "list_type":
        return "a list"
    if kind in {"bool_type", "bool_parsing"}:
        return "true or false"
    if kind.startswith(("int_", "float_")):
        return "a number"
    return None


def _not_a_mapping(loc: YamlPath, got: str) -> str:
    model = _model_at(loc)
    if model is SecretSource:
        return (
            f"expected {{file: PATH}} or {{env: VAR_NAME}}, got {got}; "
            "never write the secret itself into the config"
        )
    fields = f" with {_field_list(model)}" if model is not None else ""
    return f"expected a mapping{fields}, got {got}"


def plain(message: str) -> str:
    """A validator's message without pydantic's prefix, on one line."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return " ".join(message.split())


def _unknown_field(parent: YamlPath, key: Any) -> str:
    model = _model_at(parent)
    if model is None:
        return f"unknown field {quote(key)}"
    allowed = list(model.model_fields)
    guess = _SYNONYMS.get(str(key).lower())
    if guess not in allowed:
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        guess = close[0] if close else None
    if guess is not None:
        return f"unknown field {quote(key)} (did you mean {quote(guess)}?)"
    return f"unknown field {quote(key)}; allowed here: {', '.join(allowed)}"


def _field_list(model: type[BaseModel]) -> str:
    names = list(model.model_fields)
    return "fields " + ", ".join(names) if len(names) > 1 else f"field {names[0]}"


def _model_at(path: YamlPath) -> type[BaseModel] | None:
    """The schema model that validates the mapping at ``path``, if there is one."""
    current: Any = ConfigFile
    for part in path:
        current = _strip_optional(current)
        origin = get_origin(current)
        if origin is list and isinstance(part, int):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        elif _is_model(current) and isinstance(part, str) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    current = _strip_optional(current)
    return current if _is_model(current) else None


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [arg for arg in get_args(annotation) if arg is not NoneType]
        if len(args) == 1:
            return _strip_optional(args[0])
    if hasattr(annotation, "__metadata__"):  # Annotated[X, ...]
        return _strip_optional(annotation.__origin__)
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
