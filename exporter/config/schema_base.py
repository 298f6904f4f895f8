"""What every model of the config file shares: strict mappings and a few field helpers.

Every section is a :class:`ConfigModel`, which refuses keys it does not know.
:func:`only_one` and :func:`either` phrase "give one of these keys";
:func:`empty_as` and :func:`not_null` decide what an empty YAML value
(``key:`` with nothing after it) means for a field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class ConfigModel(BaseModel):
    """A mapping of the config file: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid")


def only_one(data: object, names: tuple[str, ...]) -> None:
    """Reject a mapping that sets more than one of ``names`` (checked before the rest)."""
    if isinstance(data, dict):
        given = [name for name in names if data.get(name) is not None]
        if len(given) > 1 and len(names) == 2:
            raise ValueError(f"give either {either(names)}, not both")
        if len(given) > 1:
            found = " and ".join(f"'{name}'" for name in given)
            raise ValueError(f"give only one of {either(names)}; found {found}")


def either(names: tuple[str, ...]) -> str:
    """``('a', 'b', 'c')`` as ``'a', 'b' or 'c'``."""
    quoted = [f"'{name}'" for name in names]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def empty_as(default: object) -> Any:
    """Treat an empty YAML value (``key:`` with nothing after it) as ``default``."""

    def convert(value: object) -> object:
        return default if value is None else value

    return BeforeValidator(convert)


def at_most(count: int, what: str) -> Any:
    """Refuse a list of more than ``count`` items before any item is validated."""

    def check(value: object) -> object:
        if isinstance(value, list) and len(value) > count:
            raise ValueError(f"at most {count:,} {what}; got {len(value):,}")
        return value

    return BeforeValidator(check)


def not_null(hint: str) -> Any:
    """Refuse an empty YAML value with ``hint`` on what to write instead."""

    def check(value: object) -> object:
        if value is None:
            raise ValueError(f"empty value; {hint}")
        return value

    return BeforeValidator(check)
