"""Sloth specs to the entries of native SLOs, with the origin of every field.

=====================================  ==========================================
Sloth                                  native SLO
=====================================  ==========================================
``service`` + ``slos[].name``          ``name: SERVICE-NAME`` (Sloth's SLO id)
``service``                            ``service``
``labels`` + ``slos[].labels``         ``labels`` (the SLO's win)
``slos[].objective``                   ``objective`` (percent)
``slos[].description``                 ``description``
(Sloth's period)                       ``period: 30d``
``sli.events`` error/total query       ``sli.query: {bad, total}`` (events)
``sli.raw.error_ratio_query``          ``sli.raw: {query, type: failure}``
``alerting``                           ``alert_name``, ``alerts``
=====================================  ==========================================

A raw error ratio is a ratio, not events; it is judged per 5-minute slice
(``{{.window}}`` set to ``5m``) and the slices are averaged, which is what
Sloth's own 30-day figure does with its 5-minute recording rule. A Sloth
``plugin`` SLI is Go code that only Sloth can run: it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.errors import ConfigError
from exporter.openslo import shape
from exporter.openslo.convert import Converted, assembled
from exporter.openslo.entries import Entry, leaf, mark
from exporter.openslo.located import Located, Place, Problem, format_problems, owner_label
from exporter.sloth.alerting import alerting
from exporter.sloth.detect import API_VERSION, KIND, VERSION, is_manifest
from exporter.sloth.queries import events_template, ratio_at
from exporter.yaml_lines import YamlDocument, describe, quote

Sources = Sequence[tuple[str, YamlDocument]]
FILE_FIELDS = ("version", "service", "labels", "slos")
MANIFEST_FIELDS = ("apiVersion", "kind", "metadata", "spec")
SPEC_FIELDS = ("service", "labels", "slos")
SLO_FIELDS = ("name", "objective", "description", "labels", "sli", "alerting")
SLI_FIELDS = ("events", "raw", "plugin")
EVENT_KEYS = {"error_query": "errorQuery", "total_query": "totalQuery"}
RAW_KEY = ("error_ratio_query", "errorRatioQuery")
PERIOD = "30d"
SLICE = "5m"
_PLUGIN = (
    "Sloth SLI plugins are Go code that only Sloth runs; write the plugin's queries as "
    "sli.events (error_query and total_query over {{.window}})"
)


def _labels(node: Located, problems: shape.Problems) -> dict[str, tuple[str, Located]] | None:
    if not node.present:
        return {}
    if not isinstance(node.value, dict):
        problems.append(node.problem(f"expected a mapping of labels, got {describe(node.value)}"))
        return None
    labels: dict[str, tuple[str, Located]] = {}
    ok = True
    for key, value in node.value.items():
        child = node[key]
        if not isinstance(key, str) or not isinstance(value, str):
            hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
            problems.append(child.problem(f"expected text, got {describe(value)}{hint}"))
            ok = False
        else:
            labels[key] = (value, child)
    return labels if ok else None


def _query(node: Located, problems: shape.Problems) -> str | None:
    text = shape.text(node, problems)
    if text is None:
        return None
    try:
        return events_template(text)
    except ValueError as error:
        problems.append(node.problem(str(error)))
        return None


def _events(events: Located, manifest: bool, problems: shape.Problems) -> list[Entry] | None:
    names = [*EVENT_KEYS, *(EVENT_KEYS.values() if manifest else ())]
    if not shape.mapping(events, names, problems):
        return None
    found: dict[str, tuple[str, Located]] = {}
    for snake, camel in EVENT_KEYS.items():
        node = events[camel] if manifest and events[camel].present else events[snake]
        query = _query(node, problems)
        if query is not None:
            found[snake] = (query, node)
    if len(found) != len(EVENT_KEYS):
        return None
    (bad, bad_at), (total, total_at) = found["error_query"], found["total_query"]
    return [
        mark(("query",), events),
        leaf(("query", "bad"), bad, bad_at),
        leaf(("query", "total"), total, total_at),
    ]


def _raw(raw: Located, manifest: bool, problems: shape.Problems) -> list[Entry] | None:
    if not shape.mapping(raw, RAW_KEY if manifest else RAW_KEY[:1], problems):
        return None
    node = raw[RAW_KEY[1]] if manifest and raw[RAW_KEY[1]].present else raw[RAW_KEY[0]]
    text = shape.text(node, problems)
    if text is None:
        return None
    try:
        query = ratio_at(text, SLICE)
    except ValueError as error:
        problems.append(node.problem(str(error)))
        return None
    return [
        mark(("raw",), raw),
        leaf(("raw", "query"), query, node),
        leaf(("raw", "type"), "failure", raw),
    ]


def _sli(sli: Located, manifest: bool, problems: shape.Problems) -> list[Entry] | None:
    if not shape.mapping(sli, SLI_FIELDS, problems):
        return None
    given = [key for key in SLI_FIELDS if sli[key].present]
    if "plugin" in given:
        problems.append(sli["plugin"].problem(_PLUGIN))
        return None
    if len(given) != 1:
        problems.append(sli.problem("give exactly one of events or raw"))
        return None
    if given == ["events"]:
        return _events(sli["events"], manifest, problems)
    return _raw(sli["raw"], manifest, problems)


def _slo(
    node: Located,
    service: tuple[str, Located],
    labels: dict[str, tuple[str, Located]],
    manifest: bool,
    problems: shape.Problems,
) -> list[Entry] | None:
    if not shape.mapping(node, SLO_FIELDS, problems, required=("name", "objective", "sli")):
        return None
    before = len(problems)
    name = shape.text(node["name"], problems)
    objective = shape.percent(node["objective"], problems, "the objective")
    description = shape.text(node["description"], problems, required=False)
    own = _labels(node["labels"], problems)
    sli = _sli(node["sli"], manifest, problems)
    alerts = alerting(node["alerting"], manifest, problems)
    if len(problems) > before or None in (name, objective, own, sli, alerts):
        return None
    assert name is not None
    assert own is not None
    assert sli is not None
    assert alerts is not None
    merged = {**labels, **own}
    entries = [
        mark((), node),
        leaf(("name",), f"{service[0]}-{name}", node["name"]),
        leaf(("service",), service[0], service[1]),
    ]
    if description is not None:
        entries.append(leaf(("description",), description, node["description"]))
    if merged:
        entries.append(leaf(("labels",), {k: v for k, (v, _) in merged.items()}, node))
        entries.extend(mark(("labels", key), at) for key, (_, at) in merged.items())
    entries.append(leaf(("objective",), objective, node["objective"]))
    entries.append(leaf(("period",), PERIOD, node))
    return [*entries, mark(("sli",), node["sli"]), *_nested(sli), *alerts]


def _nested(entries: list[Entry]) -> list[Entry]:
    return [Entry(("sli", *entry.path), entry.origin, entry.value) for entry in entries]


def _manifest_spec(root: Located, problems: shape.Problems) -> Located | None:
    if not shape.mapping(root, MANIFEST_FIELDS, problems, required=("kind", "spec")):
        return None
    if not shape.api_kind(root, API_VERSION, KIND, problems):
        return None
    if not shape.mapping(root["spec"], SPEC_FIELDS, problems, required=("service", "slos")):
        return None
    return root["spec"]


def _spec(root: Located, problems: shape.Problems) -> tuple[Located, bool] | None:
    """The mapping holding service, labels and slos, and whether it is a manifest's spec."""
    if is_manifest(root.value):
        spec = _manifest_spec(root, problems)
        return None if spec is None else (spec, True)
    if not shape.mapping(root, FILE_FIELDS, problems, required=("service", "slos")):
        return None
    if str(root["version"].value).strip() != VERSION:
        problems.append(
            root["version"].problem(
                f"only Sloth's {VERSION} spec is supported, got {quote(root['version'].value)}"
            )
        )
        return None
    return root, False


def _document(
    source: str, order: int, document: YamlDocument, problems: list[Problem]
) -> list[list[Entry]]:
    data = document.data
    root = Located.root(Place(source, order, document, (), "Sloth spec"), data)
    found = _spec(root, problems)
    if found is None:
        return []
    spec, manifest = found
    service_name = shape.text(spec["service"], problems)
    labels = _labels(spec["labels"], problems)
    items = shape.sequence(spec["slos"], problems)
    if service_name is None or labels is None:
        return []
    slos: list[list[Entry]] = []
    for item in items:
        name = item.value.get("name") if isinstance(item.value, dict) else None
        owner = owner_label("Sloth SLO", name)
        place = Place(source, order, document, (*spec.path, *item.path), owner)
        node = Located.root(place, item.value)
        service = (service_name, spec["service"])
        entries = _slo(node, service, labels, manifest, problems)
        if entries is not None:
            slos.append(entries)
    return slos


def convert_located(sources: Sources) -> Converted:
    """The native ``{"slos": [...]}`` of the Sloth documents in ``sources``, and origins.

    Raises :class:`ConfigError` with one line per problem.
    """
    problems: list[Problem] = []
    slos: list[list[Entry]] = []
    for order, (source, document) in enumerate(sources):
        if document.data is not None:
            slos.extend(_document(source, order, document, problems))
    if problems:
        raise ConfigError(format_problems(problems))
    return assembled(slos)
