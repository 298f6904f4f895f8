"""A value from an OpenSLO document together with where it was written.

Messages name an OpenSLO object (``SLO "checkout"``), the field inside it
(``spec.objectives[0].target``) and the file and line, as
``FILE:LINE: SLO "checkout": spec.objectives[0].target: message``.
:class:`Located` carries a value with that address while the converter
walks the documents; :class:`Origin` is the address alone, which is kept
for every native field so the native loader's findings can be reported
where the user wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from exporter.yaml_lines import YamlDocument, YamlPath, dotted


def owner_label(kind: object, name: object) -> str:
    """How messages name an object: ``SLO "checkout"``, the kind alone, or nothing."""
    has_kind = isinstance(kind, str) and bool(kind.strip())
    kind_text = kind if isinstance(kind, str) and has_kind else "object"
    if isinstance(name, str) and name.strip():
        return f"{kind_text} {json.dumps(name, ensure_ascii=False)}"
    return kind_text if has_kind else ""


@dataclass(frozen=True)
class Origin:
    """Where something was written: file (and its input position), line, object, field."""

    source: str
    order: int
    line: int | None
    owner: str
    path: YamlPath = ()

    def format(self, message: str) -> str:
        """``FILE:LINE: OWNER: field.path: message`` (parts that are unknown left out)."""
        parts = [f"{self.source}:{self.line}" if self.line else self.source]
        if self.owner:
            parts.append(self.owner)
        if self.path:
            parts.append(dotted(self.path))
        parts.append(message)
        return " ".join(": ".join(parts).split())

    def sort_key(self) -> tuple[int, int]:
        """Inputs in order, then lines in order."""
        return (self.order, self.line or 0)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the OpenSLO input, and where.

    ``missing`` is the key a "missing required field" problem is about;
    ``meant`` the known key an unknown key was most likely meant to be.
    """

    origin: Origin
    message: str
    missing: Any = None
    meant: Any = None

    def __str__(self) -> str:
        return self.origin.format(self.message)

    def mapping(self) -> tuple[str, int, str, YamlPath]:
        """The mapping the problem is in (its origin without the line)."""
        return (self.origin.source, self.origin.order, self.origin.owner, self.origin.path)


def format_problems(problems: Iterable[Problem]) -> list[str]:
    """One line per problem, ordered by input and line, repeats dropped.

    A missing key is not reported when an unknown key of the same mapping was
    probably meant to be it: "unknown field 'qurey' (did you mean 'query'?)" says it all.
    """
    listed = list(problems)
    meant = {(*p.mapping(), p.meant) for p in listed if p.meant is not None}
    kept = [p for p in listed if p.missing is None or (*p.mapping(), p.missing) not in meant]
    ordered = sorted(enumerate(kept), key=lambda item: (item[1].origin.sort_key(), item[0]))
    lines: list[str] = []
    for _, problem in ordered:
        text = str(problem)
        if text not in lines:
            lines.append(text)
    return lines


@dataclass(frozen=True)
class Place:
    """One OpenSLO object: its file, document, path inside the document and label."""

    source: str
    order: int
    document: YamlDocument
    base: YamlPath
    owner: str


@dataclass(frozen=True)
class Located:
    """A value inside an OpenSLO object, ``path`` being relative to the object."""

    place: Place
    path: YamlPath
    value: Any

    @classmethod
    def root(cls, place: Place, value: Any) -> Located:
        """The object itself."""
        return cls(place, (), value)

    def __getitem__(self, key: Any) -> Located:
        """The child at ``key``; its value is None when there is no such child."""
        value: Any = None
        if isinstance(self.value, dict):
            value = self.value.get(key)
        elif isinstance(self.value, list) and isinstance(key, int) and 0 <= key < len(self.value):
            value = self.value[key]
        return Located(self.place, (*self.path, key), value)

    @property
    def present(self) -> bool:
        """False for a missing field and for one left empty (``key:`` with no value)."""
        return self.value is not None

    @property
    def written(self) -> bool:
        """True when the key was written in the file, even with an empty value."""
        return (*self.place.base, *self.path) in self.place.document.lines

    @property
    def parent(self) -> Located:
        """The mapping or list holding this value (its value is not kept)."""
        return Located(self.place, self.path[:-1], None)

    @property
    def key(self) -> Any:
        """The last part of the path (the field's own name)."""
        return self.path[-1] if self.path else None

    @property
    def line(self) -> int | None:
        """The line this value (or its nearest located parent) was written on."""
        return self.place.document.line_of((*self.place.base, *self.path))

    def items(self) -> list[Located]:
        """The list's items (nothing when the value is not a list)."""
        if not isinstance(self.value, list):
            return []
        return [self[index] for index in range(len(self.value))]

    def where(self) -> Origin:
        """This value's address."""
        return Origin(self.place.source, self.place.order, self.line, self.place.owner, self.path)

    def problem(self, message: str, *, line_of: Located | None = None) -> Problem:
        """A problem reported at this field (on ``line_of``'s line when given)."""
        origin = self.where()
        if line_of is not None:
            origin = Origin(origin.source, origin.order, line_of.line, origin.owner, origin.path)
        return Problem(origin, message)
