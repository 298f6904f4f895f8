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
from yaml.nodes import Node

from exporter.yaml_bounded import (
    SHOWN_CHARACTERS,
    Budget,
    YamlLoader,
    YamlSyntaxError,
    YamlTooLarge,
    bounded_loader,
    clip,
)
from exporter.yaml_nodes import visit_document

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
    found = visit_document(loader, node)
    duplicates = [DuplicateKey(*repeat) for repeat in found.duplicates]
    return YamlDocument(data=found.data, lines=found.lines, duplicates=duplicates)


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
