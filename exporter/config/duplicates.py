"""Things a YAML mapping cannot show once loaded: a key given twice, an SLO name used twice.

PyYAML keeps the last of two equal keys silently, and the schema sees one
SLO at a time; both checks work on the line-numbered document instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from exporter.config.problems import Problem
from exporter.yaml_lines import YamlDocument, quote


def duplicate_keys(document: YamlDocument) -> Iterable[Problem]:
    """A problem for every key repeated in its mapping, at the repeat's line."""
    for duplicate in document.duplicates:
        yield Problem(
            (*duplicate.path, duplicate.key),
            f"key {quote(duplicate.key)} is given twice (first on line {duplicate.first_line}); "
            "YAML would silently keep only the last one",
            shown=duplicate.path,
            line=duplicate.line,
        )


def duplicate_names(document: YamlDocument) -> Iterable[Problem]:
    """A problem for every SLO whose name an earlier entry of ``slos`` already has."""
    raw_slos = document.data.get("slos")
    if not isinstance(raw_slos, list):
        return
    first: dict[str, int] = {}
    for index, raw in enumerate(raw_slos):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            other = first[name]
            line = document.line_of(("slos", other, "name"))
            yield Problem(
                ("slos", index, "name"),
                f"duplicate SLO name {quote(name)}: slos[{other}] on line {line} has it already",
            )
        else:
            first[name] = index
