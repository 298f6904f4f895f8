"""YAML as the user wrote it: loaded safely with the line of every key, and put into words.

Both input formats read their files through this module: the native config
(:mod:`exporter.config`) and OpenSLO (:mod:`exporter.openslo`).

Validation errors name a position as a path such as
``("slos", 0, "sli", "ratio", "good")``; :class:`YamlDocument` maps such a
path back to the 1-based line it came from, falling back to the nearest
ancestor that has one (a missing key is reported where its parent is).
:func:`dotted` writes such a path as messages show it
(``slos[0].sli.ratio.good``) and :func:`describe` names a value in a message.

PyYAML silently keeps the last of two equal keys in one mapping; here every
repeat is recorded in :attr:`YamlDocument.duplicates` so it can be reported.

The text is parsed within the limits of :mod:`exporter.yaml_bounded` (size,
depth, number of values, control characters); a message quotes at most
:data:`SHOWN_CHARACTERS` of a value (:func:`quote`, :func:`clip`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from exporter.yaml_bounded import (
    SHOWN_CHARACTERS,
    Budget,
    YamlLoader,
    YamlSyntaxError,
    YamlTooLarge,
    bounded_loader,
    clip,
)

__all__ = [
    "SHOWN_CHARACTERS",
    "Budget",
    "DuplicateKey",
    "YamlDocument",
    "YamlPath",
    "YamlSyntaxError",
    "YamlTooLarge",
    "clip",
    "describe",
    "dotted",
    "load_yaml",
    "load_yaml_all",
    "quote",
]

YamlPath = tuple[Any, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HIDDEN_KINDS = {str: "text", bool: "a boolean", list: "a list", dict: "a mapping"}


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one mapping: where the mapping is and both lines."""

    path: YamlPath
    key: Any
    line: int
    first_line: int


@dataclass
class YamlDocument:
    """The loaded data (``None`` for an empty document) and where each part was."""

    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)
    duplicates: list[DuplicateKey] = field(default_factory=list)

    def line_of(self, path: YamlPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def load_yaml(text: str, budget: Budget | None = None, *, libyaml: bool = True) -> YamlDocument:
    """Parse one YAML document with the safe loader, recording lines and duplicate keys.

    Raises :class:`YamlSyntaxError` for text that is not a single valid YAML
    document (including unsafe tags such as ``!!python/object``) or that is
    beyond a limit of :mod:`exporter.yaml_bounded`.
    """
    with _loading(text, budget, libyaml) as loader:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        return _document(loader, node)


def load_yaml_all(
    text: str, budget: Budget | None = None, *, libyaml: bool = True
) -> list[YamlDocument]:
    """Parse every document of ``text``; an empty document has ``data`` None.

    Lines are counted from the start of ``text``, so they are the file's
    lines. Raises :class:`YamlSyntaxError` for invalid YAML (or unsafe tags)
    and for YAML beyond the limits; ``budget`` may be shared with other files.
    ``libyaml=False`` uses PyYAML's pure-Python parser even when libyaml is there.
    """
    with _loading(text, budget, libyaml) as loader:
        documents: list[YamlDocument] = []
        while loader.check_node():
            node = loader.get_node()
            documents.append(YamlDocument(data=None) if node is None else _document(loader, node))
        return documents


@contextmanager
def _loading(text: str, budget: Budget | None, libyaml: bool) -> Iterator[YamlLoader]:
    """A loader for ``text`` (scanned for the limits first); any YAML error inside the
    block becomes a YamlSyntaxError."""
    loader = None
    try:
        loader = bounded_loader(text, budget or Budget(), libyaml=libyaml)
        yield loader
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, text) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(_one_line(str(error))) from None
    except YamlSyntaxError:
        raise
    except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as error:
        # PyYAML's constructors raise these for values they cannot build.
        raise YamlSyntaxError(f"cannot read a value: {clip(_one_line(str(error)))}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _document(loader: YamlLoader, node: Node) -> YamlDocument:
    # Walk before constructing: construction expands "<<" merge keys in place.
    document = YamlDocument(data=None)
    document.lines[()] = node.start_mark.line + 1
    _walk(loader, node, (), document, set())
    document.data = loader.construct_document(node)
    return document


def _syntax_error(error: yaml.MarkedYAMLError, text: str) -> YamlSyntaxError:
    mark = error.problem_mark or error.context_mark
    message = _one_line(error.problem or error.context or "invalid YAML")
    if error.context and error.problem:
        context = _one_line(error.context)
        if error.context_mark is not None and error.context_mark is not mark:
            context += f" (line {error.context_mark.line + 1})"
        message = f"{context}: {message}"
    if mark is None:
        return YamlSyntaxError(message)
    if _character_at(text, mark.line, mark.column) == "\t":
        message += "; indent YAML with spaces, not tabs"
    return YamlSyntaxError(message, mark.line + 1, mark.column + 1)


def _character_at(text: str, line: int, column: int) -> str:
    """The character at 0-based ``line`` and ``column`` of ``text`` ('' past the end)."""
    lines = text.split("\n", line + 1)
    return lines[line][column : column + 1] if line < len(lines) else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _walk(
    loader: YamlLoader, node: Node, path: YamlPath, document: YamlDocument, seen: set[int]
) -> None:
    # An alias makes the same node appear twice; walking it once is enough and
    # guards against recursive structures.
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + 1
            _walk(loader, item, (*path, index), document, seen)
    elif isinstance(node, MappingNode):
        first_seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = _key_of(loader, key_node)
            line = key_node.start_mark.line + 1
            if key in first_seen:
                document.duplicates.append(DuplicateKey(path, key, line, first_seen[key]))
            else:
                first_seen[key] = line
            document.lines[(*path, key)] = line
            _walk(loader, value_node, (*path, key), document, seen)
        # Keys pulled in with "<<: *anchor" are reported at the anchor's line
        # unless the mapping sets them itself.
        for key_node, value_node in _merged_pairs(node):
            key = _key_of(loader, key_node)
            if (*path, key) not in document.lines:
                document.lines[(*path, key)] = key_node.start_mark.line + 1
                _walk(loader, value_node, (*path, key), document, seen)


def _merged_pairs(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG:
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if isinstance(source, MappingNode):
                yield from source.value


def _key_of(loader: YamlLoader, key_node: Node) -> Any:
    if isinstance(key_node, ScalarNode):
        return loader.construct_object(key_node)
    # Complex keys cannot be valid config keys; keep them apart from scalars.
    return ("<complex key>", key_node.start_mark.line)


def dotted(path: YamlPath) -> str:
    """``("spec", "objectives", 0, "target")`` as ``spec.objectives[0].target``.

    Keys that are not plain words are quoted: ``labels["a b"]``.
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(clip(str(part)), ensure_ascii=False)}]"
    return text


def quote(value: object) -> str:
    """``value`` as ``repr`` writes it, cut to about :data:`SHOWN_CHARACTERS` (for messages)."""
    return repr(clip(value)) if isinstance(value, str) else clip(repr(value))


def describe(value: object, *, hide: bool = False) -> str:
    """A short, one-line description of a YAML value for error messages.

    With ``hide``, only the kind of value is named (for fields that may hold secrets).
    """
    if value is None:
        return "nothing (null)"
    if hide:
        number = isinstance(value, int | float)
        return _HIDDEN_KINDS.get(type(value), "a number" if number else "a value")
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    return _container(value)


def _container(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
