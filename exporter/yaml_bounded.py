"""YAML text made into nodes within limits, so no file can exhaust time, memory or the stack.

Config files come from people and from generators, and sometimes from neither:
a file of random bytes, ten megabytes of keys, a thousand nested brackets.
Every such file must be answered with one line, quickly. Before any YAML
node is made, :func:`check_limits` runs through the parser's events, counting,
and the first limit crossed stops the work with a :class:`YamlTooLarge` that
says which, at its line:

- :data:`MAX_FILE_BYTES` per file, or per directory of OpenSLO files
  (:func:`read_config_text` reads no more);
- :data:`MAX_DEPTH` levels of nested mappings and lists;
- :data:`MAX_VALUES` values (every key, item and scalar; an alias counts as
  all the values it repeats, so "billion laughs" files stop early), at most
  :data:`MAX_ITEMS` in one list and :data:`MAX_KEYS` keys in one mapping;
- :data:`MAX_TEXT` characters in one value, :data:`MAX_DIGITS` digits in a
  whole number;
- no control characters anywhere, comments included.

Only then is the text composed into nodes, by libyaml in C when PyYAML has it
(several times faster than PyYAML's pure-Python composer, same nodes), and made
into Python values in one pass by :mod:`exporter.yaml_nodes` with PyYAML's safe
constructor for what is not plain text: a scalar it cannot read (a date like
``2024-13-45``, ``!!int x``) is a :class:`YamlSyntaxError` at its line. The scan
costs about a fifth of a load (10,000 SLOs: 0.2 s of 1 s).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    StreamEndEvent,
)
from yaml.nodes import Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from exporter.errors import ConfigError

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 1_200_000
"""24 values for each of 50,000 SLOs (the benchmark's take 19). Refusing a file at this
limit scans its 1.2 million parser events, about 0.8 CPU s, most of it in libyaml."""
MAX_ITEMS = 100_000
MAX_KEYS = 10_000
MAX_TEXT = 65_536
MAX_DIGITS = 100
SHOWN_CHARACTERS = 100
"""At most this much of what the user wrote is quoted in a message."""

# Characters YAML does not allow in a stream (PyYAML's reader refuses the same).
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INT_TAG = "tag:yaml.org,2002:int"
_WHOLE_NUMBER = re.compile(r"[-+]?[0-9][0-9_:]*")


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; ``line`` and ``column`` are 1-based when known."""

    prefix = "invalid YAML: "

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(message)

    def problem(self, source: object) -> str:
        """The one line a ConfigError shows: ``source:LINE:COLUMN: invalid YAML: ...``."""
        where = f"{source}" if self.line is None else f"{source}:{self.line}:{self.column}"
        return f"{where}: {self.prefix}{self.message}"


class YamlTooLarge(YamlSyntaxError):
    """Valid YAML, perhaps, but beyond one of this module's limits."""

    prefix = ""


class Budget:
    """How many values a load may still make; one budget is shared by every document
    of a file and every file of a directory."""

    def __init__(self, values: int = MAX_VALUES) -> None:
        self.left = values

    def spend(self, values: int, mark: Any) -> None:
        """Count ``values`` more, made at ``mark``; YamlTooLarge when none are left."""
        self.left -= values
        if self.left < 0:
            raise _too_large(
                f"the config has more than {MAX_VALUES:,} values (keys, list items and "
                "scalars; an alias counts as what it repeats)",
                mark,
            )


def read_config_text(path: Path, budget_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of the file ``path``; ConfigError (one line naming it) when it cannot be used.

    At most ``budget_bytes`` are read (a directory passes what its earlier
    files left), so a huge file or a device is refused without reading it all.
    """
    try:
        with path.open("rb") as file:
            data = file.read(budget_bytes + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError([f"{clip(str(path))}: cannot read the config file: {reason}"]) from None
    if len(data) > budget_bytes:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        others = "" if budget_bytes == MAX_FILE_BYTES else " with the files before it"
        raise ConfigError([f"{path}: the config is larger than {limit} MiB{others}"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: cannot read the config file: it is not UTF-8 text"]) from None


def is_directory(path: Path) -> bool:
    """Whether ``path`` is a directory; ConfigError when the system cannot even say."""
    try:
        return path.is_dir()
    except OSError as error:  # a name too long, for one
        reason = error.strerror or type(error).__name__
        raise ConfigError([f"{clip(str(path))}: cannot read the config file: {reason}"]) from None


def check_characters(text: str) -> None:
    """YamlSyntaxError at the first character YAML does not allow (NUL, ESC, ...)."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return
    position = found.start()
    line_start = text.rfind("\n", 0, position) + 1
    raise YamlSyntaxError(
        f"control character U+{ord(found.group()):04X} is not allowed, not even in a comment",
        text.count("\n", 0, position) + 1,
        position - line_start + 1,
    )


def clip(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters, ``...`` marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_large(message: str, mark: Any) -> YamlTooLarge:
    return YamlTooLarge(message, mark.line + 1, mark.column + 1)


class _Open:
    """A mapping or list being scanned: how many more events it may hold, its anchor."""

    __slots__ = ("anchor", "left", "mapping", "room")

    def __init__(self, mapping: bool, anchor: str | None, left: int) -> None:
        self.mapping = mapping
        self.anchor = anchor
        self.left = left  # values the budget had before it
        # Child events: a mapping's are its keys and values, two per key.
        self.room = 2 * MAX_KEYS if mapping else MAX_ITEMS


def check_limits(text: str, budget: Budget, *, libyaml: bool = True) -> None:
    """Scan ``text``'s parser events (no nodes made), refusing it at the first limit it
    crosses; YAML syntax errors surface here too, as PyYAML's errors.

    The loop is the hot path of every load (about 1 µs an event): scalars, most of
    the events, are counted inline; the rest go to :func:`_see`.
    """
    check_characters(text)
    parser = _parser(text, libyaml)
    held: list[_Open] = []
    weights: dict[str, int] = {}  # values under each anchor, aliases expanded
    try:
        event = parser.get_event()
        while type(event) is not StreamEndEvent:
            if held:
                parent = held[-1]
                parent.room -= 1
                if parent.room < 0:
                    _refuse_child(parent, event)
            if type(event) is ScalarEvent:
                budget.spend(1, event.start_mark)
                if len(event.value) > MAX_DIGITS:
                    _check_long_scalar(event)
                if event.anchor is not None:
                    weights[event.anchor] = 1
            else:
                _see(event, held, weights, budget)
            event = parser.get_event()
    finally:
        parser.dispose()


def _see(event: Any, held: list[_Open], weights: dict[str, int], budget: Budget) -> None:
    """Count an event other than a scalar: an alias, or a collection's start or end."""
    if isinstance(event, AliasEvent):
        if any(collection.anchor == event.anchor for collection in held):
            message = f"alias *{event.anchor} repeats a collection it is part of"
            raise _too_large(message, event.start_mark)
        budget.spend(weights.get(str(event.anchor), 1), event.start_mark)
    elif isinstance(event, CollectionStartEvent):
        if len(held) >= MAX_DEPTH:
            message = f"the config is nested deeper than {MAX_DEPTH} levels"
            raise _too_large(message, event.start_mark)
        held.append(_Open(isinstance(event, MappingStartEvent), event.anchor, budget.left))
        budget.spend(1, event.start_mark)
    elif isinstance(event, CollectionEndEvent):
        closed = held.pop()
        if closed.anchor is not None:
            weights[closed.anchor] = closed.left - budget.left
    elif isinstance(event, DocumentStartEvent):
        weights.clear()  # anchors do not carry over to the next document


def _refuse_child(parent: _Open, event: Any) -> None:
    """The list or mapping ``parent`` has no room for ``event``: refuse, unless it is the
    end of ``parent`` (which takes no room)."""
    if isinstance(event, CollectionEndEvent):
        return
    if parent.mapping:
        raise _too_large(f"a mapping of more than {MAX_KEYS:,} keys", event.start_mark)
    raise _too_large(f"a list of more than {MAX_ITEMS:,} items", event.start_mark)


def _check_long_scalar(event: ScalarEvent) -> None:
    """Refuse a value too long, or a whole number of too many digits."""
    value = event.value
    if len(value) > MAX_TEXT:
        message = f"a value of {len(value):,} characters is longer than {MAX_TEXT:,}"
        raise _too_large(message, event.start_mark)
    if _WHOLE_NUMBER.fullmatch(value):
        digits = sum(char.isdigit() for char in value)
        plain = event.implicit[0] and not event.style
        if digits > MAX_DIGITS and (plain or event.tag == _INT_TAG):
            message = f"a number with {digits} digits is too long (at most {MAX_DIGITS})"
            raise _too_large(message, event.start_mark)


class YamlLoader(Protocol):
    """What :mod:`exporter.yaml_lines` uses of a loader."""

    def check_node(self) -> bool: ...
    def get_node(self) -> Node | None: ...
    def get_single_node(self) -> Node | None: ...
    def construct_object(self, node: Node, deep: bool = False) -> Any: ...
    def dispose(self) -> None: ...


class _PythonParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python parser alone (for the scan)."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


class QuickResolver(Resolver):
    """PyYAML's resolver, answering for a scalar from a table by its first character.

    The same tags as :class:`yaml.resolver.Resolver` (which has no path resolvers):
    a plain scalar gets the tag of the first implicit resolver for its first
    character whose pattern matches, any other scalar is text. PyYAML's version
    builds the candidate list anew for every node; for 10,000 SLOs that was a
    third of composing them.
    """

    _candidates: ClassVar[dict[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {
        first: tuple(found) + tuple(Resolver.yaml_implicit_resolvers.get(None, ()))
        for first, found in Resolver.yaml_implicit_resolvers.items()
        if first is not None
    }
    _anywhere: ClassVar[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
        Resolver.yaml_implicit_resolvers.get(None, ())
    )

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag of a node of ``kind`` (``implicit[0]``: a plain scalar)."""
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if implicit[0]:
            for tag, pattern in self._candidates.get(value[:1], self._anywhere):
                if pattern.match(value):
                    return tag
        return self.DEFAULT_SCALAR_TAG


class _PythonLoader(_PythonParser, Composer, SafeConstructor, QuickResolver):
    """PyYAML's pure-Python parser, composer and safe constructor."""

    def __init__(self, text: str) -> None:
        _PythonParser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def bounded_loader(text: str, budget: Budget, *, libyaml: bool = True) -> YamlLoader:
    """A safe loader for ``text``, which :func:`check_limits` has scanned first.

    libyaml's parser when PyYAML has it (and ``libyaml``), else PyYAML's
    pure-Python one: the same results, several times slower.
    """
    check_limits(text, budget, libyaml=libyaml)
    if libyaml and _LibyamlLoader is not None:
        return _LibyamlLoader(text)
    return _PythonLoader(text)


def _parser(text: str, libyaml: bool) -> Any:
    if libyaml and _CParser is not None:
        return _CParser(text)
    return _PythonParser(text)


_CParser: Any = None
_LibyamlLoader: Callable[[str], YamlLoader] | None = None
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _Libyaml(CParser, SafeConstructor, QuickResolver):
        """libyaml's parser and composer (both in C), PyYAML's safe constructor."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _CParser = CParser
    _LibyamlLoader = _Libyaml
