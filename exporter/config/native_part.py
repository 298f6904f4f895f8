"""A native config document as one part of a config read from several formats.

In a directory that mixes formats, a native file gives the ``backend`` (and
``evaluation``, ``defaults``, ``alerting``, ...) and may list SLOs of its
own. Its service templates are expanded first; every path of the result gets
the line it was written on (or its nearest written ancestor's), so findings
are reported as ``config.yaml:12: slos[0] "checkout": sli.ratio.good: ...``.
"""

from __future__ import annotations

from typing import Any

from exporter.config.problems import Problem as NativeProblem
from exporter.config.services import expand_services
from exporter.openslo.convert import Converted
from exporter.openslo.located import Origin, owner_label
from exporter.yaml_lines import YamlDocument, YamlPath


def _walk(value: Any, path: YamlPath) -> list[YamlPath]:
    paths = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            paths.extend(_walk(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths.extend(_walk(child, (*path, index)))
    return paths


def _origin(source: str, order: int, document: YamlDocument, data: Any, path: YamlPath) -> Origin:
    line = document.line_of(path)
    if len(path) >= 2 and path[0] == "slos" and isinstance(path[1], int):
        item = data["slos"][path[1]]
        name = item.get("name") if isinstance(item, dict) else None
        owner = owner_label(f"slos[{path[1]}]", name)
        return Origin(source, order, line, owner, path[2:])
    return Origin(source, order, line, "", path)


def native_part(source: str, order: int, document: YamlDocument) -> tuple[Converted, list[str]]:
    """The document's data (templates expanded) with origins, and problems with the templates."""
    found: list[NativeProblem] = []
    expanded, _ = expand_services(document.data, found)
    data = {key: value for key, value in expanded.items() if key != "services"}
    origins = {path: _origin(source, order, document, data, path) for path in _walk(data, ())}
    converted = Converted(data, origins)
    return converted, converted.report((problem.path, problem.message) for problem in found)
