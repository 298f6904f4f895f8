"""The OpenSLO objects of every input document, by kind and name, and references to them.

Objects may be spread over documents and files and refer to each other by
name (``indicatorRef``, ``alertPolicyRef``, ``conditionRef``,
``metricSourceRef``); names are unique per kind across all inputs. A
document may also be a YAML list of objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exporter.openslo import shape
from exporter.openslo.detect import API_VERSION, is_openslo_object
from exporter.openslo.located import Located, Origin, Place, Problem, owner_label
from exporter.yaml_lines import YamlDocument, YamlPath, describe, quote

KINDS = (
    "SLO",
    "SLI",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
    "Service",
    "DataSource",
)
OBJECT_FIELDS = ("apiVersion", "kind", "metadata", "spec")
METADATA_FIELDS = ("name", "displayName", "labels", "annotations")
_NATIVE_KEYS = frozenset({"backend", "slos", "evaluation", "defaults"})

Sources = Sequence[tuple[str, YamlDocument]]


@dataclass(frozen=True)
class Catalog:
    """Every well-formed object, by kind then name, in input order."""

    objects: Mapping[str, Mapping[str, Located]]
    openslo_found: bool

    def named(self, kind: str) -> Mapping[str, Located]:
        """The objects of ``kind``, by name."""
        return self.objects.get(kind, {})

    def resolve(self, ref: Located, kind: str, problems: shape.Problems) -> Located | None:
        """The ``kind`` object that the text at ``ref`` names; None with a problem if none."""
        name = shape.text(ref, problems)
        if name is None:
            return None
        found = self.named(kind).get(name)
        if found is None:
            known = ", ".join(sorted(self.named(kind))) or f"there are no {kind} documents"
            defined = f"defined: {known}" if self.named(kind) else known
            problems.append(ref.problem(f"no {kind} named {quote(name)}; {defined}"))
        return found

    def inline_or_ref(
        self, item: Located, ref_key: str, kind: str, problems: shape.Problems
    ) -> Located | None:
        """A list item that is either ``{ref_key: NAME}`` or an inline ``kind`` object."""
        if isinstance(item.value, dict) and ref_key in item.value:
            if shape.mapping(item, (ref_key,), problems):
                return self.resolve(item[ref_key], kind, problems)
            return None
        hint = f"give {ref_key}: NAME, or an inline {kind} with metadata and spec"
        if not isinstance(item.value, dict):
            problems.append(item.problem(f"expected a mapping; {hint}, got {describe(item.value)}"))
            return None
        return item if inline_object(item, kind, problems) else None


def inline_object(item: Located, kind: str, problems: shape.Problems) -> bool:
    """Check an object written inside another one: optional apiVersion, kind and metadata."""
    if not shape.mapping(item, OBJECT_FIELDS, problems, required=("spec",)):
        return False
    version = item["apiVersion"]
    if version.present and version.value != API_VERSION:
        problems.append(version.problem(f"expected {API_VERSION}, got {describe(version.value)}"))
    written_kind = item["kind"]
    if written_kind.present and written_kind.value != kind:
        problems.append(
            written_kind.problem(f"expected {kind} here, got {describe(written_kind.value)}")
        )
    if item["metadata"].present:
        _metadata(item["metadata"], problems, name_required=False)
    return True


def _metadata(node: Located, problems: shape.Problems, *, name_required: bool) -> str | None:
    if not shape.mapping(node, METADATA_FIELDS, problems):
        return None
    for key in ("labels", "annotations"):
        if node[key].present and not isinstance(node[key].value, dict):
            problems.append(
                node[key].problem(f"expected a mapping, got {describe(node[key].value)}")
            )
    shape.text(node["displayName"], problems, required=False)
    return shape.text(node["name"], problems, required=name_required)


def _items(document: YamlDocument) -> list[tuple[YamlPath, Any]]:
    data = document.data
    if isinstance(data, list):
        return [((index,), item) for index, item in enumerate(data)]
    return [((), data)]


def _object(place: Place, item: Any, problems: shape.Problems) -> tuple[str, str, Located] | None:
    """(kind, name, object) for a well-formed OpenSLO object; problems otherwise."""
    root = Located.root(place, item)
    if not isinstance(item, dict):
        problems.append(
            root.problem(
                f"expected an OpenSLO object with {', '.join(OBJECT_FIELDS)}, got {describe(item)}"
            )
        )
        return None
    if not is_openslo_object(item):
        if _NATIVE_KEYS.intersection(key for key in item if isinstance(key, str)):
            problems.append(
                root.problem(
                    "a native slo-exporter config mixed with OpenSLO documents; keep a config "
                    "in one format: one native file, or OpenSLO documents only"
                )
            )
        elif item.get("apiVersion") is None:
            problems.append(shape.missing(root["apiVersion"], f"write apiVersion: {API_VERSION}"))
        else:
            got = describe(item["apiVersion"])
            problems.append(root["apiVersion"].problem(f"expected {API_VERSION}, got {got}"))
        return None
    ok = shape.mapping(root, OBJECT_FIELDS, problems, required=OBJECT_FIELDS)
    if item["apiVersion"].strip() != API_VERSION:
        problems.append(
            root["apiVersion"].problem(
                f"only {API_VERSION} is supported, got {quote(item['apiVersion'])}; "
                "its fields differ, convert the document to v1"
            )
        )
        ok = False
    kind = shape.text(root["kind"], problems)
    if kind is not None and kind not in KINDS:
        problems.append(
            root["kind"].problem(
                f"unknown kind {quote(kind)}; OpenSLO v1 kinds are {', '.join(KINDS)}"
            )
        )
        kind = None
    name = _metadata(root["metadata"], problems, name_required=True)
    if not ok or kind is None or name is None:
        return None
    return kind, name, root


def _duplicate_keys(document: YamlDocument, places: list[Place], problems: shape.Problems) -> None:
    for duplicate in document.duplicates:
        place = next(
            (p for p in places if duplicate.path[: len(p.base)] == p.base),
            None,
        )
        base = place.base if place is not None else ()
        origin = Origin(
            place.source if place else "",
            place.order if place else 0,
            duplicate.line,
            place.owner if place else "",
            duplicate.path[len(base) :],
        )
        problems.append(
            Problem(
                origin,
                f"key {quote(duplicate.key)} is given twice "
                f"(first on line {duplicate.first_line}); "
                "YAML would silently keep only the last one",
            )
        )


def collect(sources: Sources, problems: shape.Problems) -> Catalog:
    """Every object of ``sources`` by kind and name; problems for malformed ones and repeats."""
    objects: dict[str, dict[str, Located]] = {kind: {} for kind in KINDS}
    found = False
    for order, (source, document) in enumerate(sources):
        if document.data is None:
            continue
        found = (
            found
            or is_openslo_object(document.data)
            or (isinstance(document.data, list) and any(map(is_openslo_object, document.data)))
        )
        places: list[Place] = []
        for base, item in _items(document):
            kind = item.get("kind") if isinstance(item, dict) else None
            metadata = item.get("metadata") if isinstance(item, dict) else None
            name = metadata.get("name") if isinstance(metadata, dict) else None
            place = Place(source, order, document, base, owner_label(kind, name))
            places.append(place)
            entry = _object(place, item, problems)
            if entry is None:
                continue
            kind_text, name_text, root = entry
            first = objects[kind_text].get(name_text)
            if first is not None:
                where = first.where()
                problems.append(
                    root["metadata"]["name"].problem(
                        f"another {kind_text} is named {quote(name_text)} already "
                        f"({where.source}:{where.line})"
                    )
                )
                continue
            objects[kind_text][name_text] = root
        _duplicate_keys(document, places, problems)
    return Catalog(objects=objects, openslo_found=found)
