"""Config inputs in any format, read as one config.

``-c`` takes a file or a directory. Each YAML document is recognized by its
content (:func:`document_format`): OpenSLO v1 (``apiVersion: openslo/v1``),
Sloth (``version: prometheus/v1``, or a ``PrometheusServiceLevel``
manifest), Pyrra (``apiVersion: pyrra.dev/v1alpha1``) or the native format.
A single native file keeps the native loader (:mod:`exporter.config.loader`);
OpenSLO documents alone keep :mod:`exporter.config.openslo_input`. Anything
else is converted format by format and merged (:func:`convert_inputs`): the
native documents first, then OpenSLO, Sloth and Pyrra. The result is judged
by the native schema like any config, and each finding is reported at the
file, line and field of the input it came from.

One config has one backend: a native file's ``backend`` or an OpenSLO
``DataSource``. Sloth and Pyrra name no backend, so a directory of them
needs a native file (``backend: {url: ...}``) next to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from exporter import pyrra, sloth
from exporter.config.native_part import native_part
from exporter.errors import ConfigError
from exporter.openslo import Converted, convert_located, is_openslo
from exporter.openslo.located import Origin
from exporter.yaml_lines import YamlDocument, YamlPath, describe, dotted, quote

Format = Literal["openslo", "sloth", "pyrra", "native"]
Sources = Sequence[tuple[str, YamlDocument]]
FORMAT_NAMES = {"openslo": "OpenSLO", "sloth": "Sloth", "pyrra": "Pyrra", "native": "native"}
NO_BACKEND = (
    "no backend given: Sloth and Pyrra files name no Prometheus; put a native config file "
    "with backend: {url: ...} (or an OpenSLO DataSource) next to them, or convert with "
    "slo-exporter convert --backend-url URL"
)


def document_format(data: object) -> Format:
    """The format of one YAML document, by its content."""
    if is_openslo(data):
        return "openslo"
    if sloth.is_sloth(data):
        return "sloth"
    if pyrra.is_pyrra(data):
        return "pyrra"
    return "native"


def formats(sources: Sources) -> set[Format]:
    """The formats of the non-empty documents of ``sources``."""
    return {document_format(document.data) for _, document in sources if document.data is not None}


def _native_parts(sources: Sources) -> tuple[list[Converted], list[str]]:
    parts: list[Converted] = []
    problems: list[str] = []
    for order, (source, document) in enumerate(sources):
        data = document.data
        if data is None or document_format(data) != "native":
            continue
        line = document.line_of(())
        where = f"{source}:{line}" if line else source
        if not isinstance(data, dict):
            problems.append(
                f"{where}: expected a native config, an OpenSLO, Sloth or Pyrra document, "
                f"got {describe(data)}"
            )
        elif "apiVersion" in data or "kind" in data:
            problems.append(
                f"{where}: unknown document (apiVersion {quote(data.get('apiVersion'))}, "
                f"kind {quote(data.get('kind'))}); slo-exporter reads native configs, OpenSLO v1, "
                "Sloth prometheus/v1 and PrometheusServiceLevel, and Pyrra ServiceLevelObjective"
            )
        else:
            part, found = native_part(source, order, document)
            parts.append(part)
            problems.extend(found)
    return parts, problems


def _duplicate_keys(sources: Sources) -> list[str]:
    """A key given twice in a mapping of a native, Sloth or Pyrra document (OpenSLO's own
    converter reports its documents')."""
    problems = []
    for source, document in sources:
        if document.data is None or document_format(document.data) == "openslo":
            continue
        for duplicate in document.duplicates:
            where = dotted((*duplicate.path, duplicate.key))
            problems.append(
                f"{source}:{duplicate.line}: {where}: key {quote(duplicate.key)} is given twice "
                f"(first on line {duplicate.first_line}); YAML would silently keep only the "
                "last one"
            )
    return problems


def _of(sources: Sources, kind: Format) -> list[tuple[str, YamlDocument]]:
    return [
        (source, document)
        for source, document in sources
        if document.data is not None and document_format(document.data) == kind
    ]


def _converted(sources: Sources) -> tuple[list[Converted], list[str]]:
    """Each format's documents converted, and the problems of those that could not be."""
    parts, problems = _native_parts(sources)
    problems.extend(_duplicate_keys(sources))
    converters = (
        ("openslo", lambda found: convert_located(found, alone=False)),
        ("sloth", sloth.convert_located),
        ("pyrra", pyrra.convert_located),
    )
    for kind, convert in converters:
        found = _of(sources, kind)  # type: ignore[arg-type]
        if not found:
            continue
        try:
            parts.append(convert(found))
        except ConfigError as error:
            problems.extend(error.problems)
    return parts, problems


class _Merge:
    """Parts folded into one native config dict with the origins of all paths."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {}
        self.origins: dict[YamlPath, Origin] = {}
        self.problems: list[str] = []

    def add(self, part: Converted) -> None:
        for key, value in part.config.items():
            if key == "slos":
                self._slos(part, value)
                continue
            origin = part.locate((key,))
            if key in self.config:
                first = self.origins.get((key,))
                at = f" ({first.source}:{first.line})" if first is not None else ""
                message = f"{key} is given a second time{at}; one config has one {key}"
                self.problems.append(origin.format(message) if origin else message)
                continue
            self.config[key] = value
            self.origins.update(
                {path: found for path, found in part.origins.items() if path[:1] == (key,)}
            )

    def check_names(self) -> None:
        """A problem for every SLO whose name an earlier SLO of any input has."""
        first: dict[str, Origin | None] = {}
        for index, slo in enumerate(self.config.get("slos") or []):
            name = slo.get("name") if isinstance(slo, dict) else None
            if not isinstance(name, str):
                continue
            origin = self.origins.get(("slos", index, "name"))
            if name not in first:
                first[name] = origin
                continue
            earlier = first[name]
            at = f" ({earlier.source}:{earlier.line})" if earlier is not None else ""
            message = f"duplicate SLO name {quote(name)}: an earlier SLO has it already{at}"
            self.problems.append(origin.format(message) if origin else message)

    def _slos(self, part: Converted, slos: Any) -> None:
        listed = self.config.setdefault("slos", [])
        if not isinstance(slos, list) or not isinstance(listed, list):
            self.config["slos"] = slos  # the schema reports what is not a list
            return
        offset = len(listed)
        listed.extend(slos)
        for path, origin in part.origins.items():
            if path[:1] == ("slos",) and len(path) > 1 and isinstance(path[1], int):
                self.origins[("slos", path[1] + offset, *path[2:])] = origin
            elif path == ("slos",):
                self.origins.setdefault(path, origin)


def convert_inputs(sources: Sources, backend_url: str | None = None) -> Converted:
    """The one native config all ``sources`` make together, with origins.

    ``backend_url`` stands in for a missing backend (``convert --backend-url``).
    Raises :class:`ConfigError` with one line per problem.
    """
    merge = _Merge()
    parts, problems = _converted(sources)
    for part in parts:
        merge.add(part)
    merge.check_names()
    if problems or merge.problems:
        raise ConfigError([*problems, *merge.problems])
    if "backend" not in merge.config:
        if backend_url is None:
            names = ", ".join(dict.fromkeys(source for source, _ in sources))
            raise ConfigError([f"{names}: {NO_BACKEND}"])
        merge.config = {"backend": {"url": backend_url}, **merge.config}
        merge.origins[("backend",)] = Origin("--backend-url", -1, None, "")
    return Converted(merge.config, merge.origins)
