"""Build the native config as a list of entries, each with the OpenSLO field it came from.

A converter returns entries such as ``(("objective",), 99.9, <where target was>)``
instead of filling a dict, so it stays a pure function and the origin of every
native field is recorded on the way. :func:`assemble` folds entries into the
nested dict (keys in entry order) and the map of origins. A *mark* records
an origin for a path without a value: the origin of a list item, or of a
section that another entry fills.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from exporter.openslo.located import Located, Origin
from exporter.yaml_lines import YamlPath


class _Mark:
    def __repr__(self) -> str:
        return "MARK"


MARK: Any = _Mark()


@dataclass(frozen=True)
class Entry:
    """A native path, the OpenSLO place it came from and its value (or :data:`MARK`)."""

    path: YamlPath
    origin: Origin
    value: Any = MARK


def leaf(path: YamlPath, value: Any, node: Located) -> Entry:
    """The native field at ``path`` is ``value``, written at ``node``."""
    return Entry(path, node.where(), value)


def mark(path: YamlPath, node: Located) -> Entry:
    """The native field at ``path`` comes from ``node`` (its value is set elsewhere)."""
    return Entry(path, node.where())


def nest(prefix: YamlPath, entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` moved under ``prefix``."""
    return [Entry((*prefix, *entry.path), entry.origin, entry.value) for entry in entries]


def assemble(entries: Iterable[Entry]) -> tuple[dict[str, Any], dict[YamlPath, Origin]]:
    """The nested dict the entries describe, and the origin of each path.

    Leaf paths are made of string keys (lists are given whole, as one value);
    the first entry for a path sets its origin.
    """
    data: dict[str, Any] = {}
    origins: dict[YamlPath, Origin] = {}
    for entry in entries:
        origins.setdefault(entry.path, entry.origin)
        if entry.value is MARK:
            continue
        target = data
        for part in entry.path[:-1]:
            target = target.setdefault(part, {})
        target[entry.path[-1]] = entry.value
    return data, origins
