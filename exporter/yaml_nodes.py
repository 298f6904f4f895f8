"""A composed YAML document made into data in one pass, noting the line of every part.

libyaml composes a document's nodes in C; this module then visits each node once,
building the Python value and, on the way, the 1-based line of every path
(``("slos", 0, "sli")``) and every key given twice in one mapping. Plain mappings,
lists and strings (nearly all of a config) are built here directly; any other scalar
(numbers, booleans, dates, explicitly tagged values) goes through PyYAML's safe
constructor, and one that constructor cannot read (``2024-13-45``, ``!!int x``) is a
:class:`~exporter.yaml_bounded.YamlSyntaxError` at its line. A mapping with a ``<<``
merge key, a complex key or an explicit collection tag (``!!set``, ``!!omap``) is
built by the safe constructor too, after its lines are noted (construction expands
merges in place).

An alias is built once: both places hold the same object, as with PyYAML. The
scanner of :mod:`exporter.yaml_bounded` has refused recursive aliases and any depth
or size beyond its limits before this runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from exporter.yaml_bounded import YamlLoader, YamlSyntaxError

Path = tuple[Any, ...]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class Visited:
    """What one pass over a document found: its data, lines and repeated keys."""

    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, Any, int, int]] = field(default_factory=list)
    """(mapping's path, key, line, line of its first appearance) per repeated key."""


def visit_document(loader: YamlLoader, node: Node) -> Visited:
    """``node``'s data with the line of every path and the repeated keys."""
    walk = _Walk(loader)
    walk.found.lines[()] = node.start_mark.line + 1
    walk.found.data = walk.build(node, ())
    return walk.found


class _Walk:
    """One document's visit: the loader (for values it builds), what was found, and
    the values already built per node (aliases)."""

    def __init__(self, loader: YamlLoader) -> None:
        self.loader = loader
        self.found = Visited()
        self.built: dict[int, Any] = {}
        self.noted: set[int] = set()

    def build(self, node: Node, path: Path) -> Any:
        """The value of ``node`` at ``path``, noting the lines of its parts."""
        known = id(node)
        if known in self.built:
            return self.built[known]
        if isinstance(node, ScalarNode):
            value = node.value if node.tag == _STR else self.scalar(node)
        elif isinstance(node, SequenceNode) and node.tag == _SEQ:
            value = self.built[known] = []
            lines = self.found.lines
            for index, item in enumerate(node.value):
                lines[(*path, index)] = item.start_mark.line + 1
                value.append(self.build(item, (*path, index)))
        elif isinstance(node, MappingNode) and node.tag == _MAP and _plain_keys(node):
            value = self.built[known] = {}
            self.mapping(node, path, value)
        else:
            self.note(node, path)
            value = self.loader.construct_object(node, deep=True)
        self.built[known] = value
        return value

    def mapping(self, node: MappingNode, path: Path, into: dict[Any, Any]) -> None:
        """Fill ``into`` from a mapping whose keys are all plain scalars."""
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR else self.scalar(key_node)
            self.key_line(path, key, key_node, first_seen)
            into[key] = self.build(value_node, (*path, key))

    def key_line(self, path: Path, key: Any, key_node: Node, first_seen: dict[Any, int]) -> None:
        """Note the line of ``key`` under ``path``, and a repeat of a key ``first_seen``
        (by key, its first line) already holds for the same mapping."""
        line = key_node.start_mark.line + 1
        if key in first_seen:
            self.found.duplicates.append((path, key, line, first_seen[key]))
        else:
            first_seen[key] = line
        self.found.lines[(*path, key)] = line

    def scalar(self, node: ScalarNode) -> Any:
        """A scalar that is not plain text, built by the safe constructor; one it cannot
        read (a date like 2024-13-45, ``!!int x``) is a YamlSyntaxError at its line."""
        try:
            return self.loader.construct_object(node)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            kind = str(node.tag).rpartition(":")[2]
            shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            raise YamlSyntaxError(f"{shown!r} is not a valid {kind}", line, column) from None

    def note(self, node: Node, path: Path) -> None:
        """Note the lines (and repeated keys) under a node the safe constructor builds,
        checking its scalars; a node met before (an alias) is noted once."""
        if id(node) in self.noted or id(node) in self.built:
            return
        self.noted.add(id(node))
        if isinstance(node, ScalarNode):
            if node.tag != _STR:
                self.scalar(node)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.found.lines[(*path, index)] = item.start_mark.line + 1
                self.note(item, (*path, index))
        elif isinstance(node, MappingNode):
            self.note_mapping(node, path)

    def note_mapping(self, node: MappingNode, path: Path) -> None:
        """:meth:`note` for a mapping: its own keys first, then the keys its ``<<`` merge
        keys pull in (at the anchor's line) unless it sets them itself."""
        lines = self.found.lines
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.note(value_node, (*path, "<<"))
                continue
            key = self.key(key_node)
            self.key_line(path, key, key_node, first_seen)
            self.note(value_node, (*path, key))
        for key_node, value_node in _merged_pairs(node):
            key = self.key(key_node)
            if (*path, key) not in lines:
                lines[(*path, key)] = key_node.start_mark.line + 1
                self.note(value_node, (*path, key))

    def key(self, node: Node) -> Any:
        """A key as the mapping holds it; a complex key is kept apart from scalars."""
        if isinstance(node, ScalarNode):
            return node.value if node.tag == _STR else self.scalar(node)
        return ("<complex key>", node.start_mark.line)


def _plain_keys(node: MappingNode) -> bool:
    """Whether every key of ``node`` is a scalar other than ``<<``."""
    return all(type(key) is ScalarNode and key.tag != _MERGE for key, _ in node.value)


def _merged_pairs(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE:
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if isinstance(source, MappingNode):
                yield from source.value
