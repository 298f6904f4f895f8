"""Pyrra ``ServiceLevelObjective`` manifests to native SLOs, with the origin of every field.

====================================  ============================================
Pyrra                                 native SLO
====================================  ============================================
``metadata.name``                     ``name``
``metadata.namespace`` (else name)    ``service``
``metadata.labels`` ``pyrra.dev/X``   ``labels: {X: ...}`` (as Pyrra's rules do)
``spec.description``                  ``description``
``spec.target`` (percent)             ``objective``
``spec.window``                       ``period``
``spec.indicator``                    ``sli`` (:mod:`exporter.pyrra.indicator`)
``spec.alerting``                     ``alerts`` (Pyrra's four, or none), ``alert_name``
====================================  ============================================

Other metadata (Kubernetes labels that select the Prometheus, annotations,
``status``) is about the Kubernetes object, not the SLO, and is not read,
just as Pyrra leaves it out of its rules. Pyrra's four burn-rate alerts
become native ``alerts`` (:mod:`exporter.pyrra.alerting`). ``alerting.disabled: true`` or
``burnrates: false`` gives ``alerts: []``; ``alerting.name`` becomes the
SLO's ``alert_name``. ``absent: false``, ``absentName`` and Thanos'
``partial_response_strategy`` have no native counterpart and are refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from exporter.errors import ConfigError
from exporter.openslo import shape
from exporter.openslo.convert import Converted, assembled
from exporter.openslo.entries import Entry, leaf, mark, nest
from exporter.openslo.located import Located, Place, Problem, format_problems, owner_label
from exporter.pyrra.alerting import burn_alerts
from exporter.pyrra.detect import API_VERSION, KIND
from exporter.pyrra.indicator import group_by, indicator
from exporter.yaml_lines import YamlDocument

Sources = Sequence[tuple[str, YamlDocument]]
FIELDS = ("apiVersion", "kind", "metadata", "spec", "status")
SPEC_FIELDS = ("description", "target", "window", "indicator", "alerting")
ALERTING_FIELDS = ("disabled", "burnrates", "absent", "name", "absentName")
LABEL_PREFIX = "pyrra.dev/"
_REFUSED = {
    "partial_response_strategy": (
        "partial_response_strategy is for Thanos Ruler's rules; slo-exporter queries one "
        "PromQL API: remove it"
    ),
}
_NAMED = (
    "the missing-data alert's name is not configurable: slo-exporter calls it SLODataMissing "
    "and labels it slo, service and severity; remove it and route on those"
)


def _labels(metadata: Located) -> list[Entry]:
    labels = metadata["labels"]
    if not isinstance(labels.value, dict):
        return []
    found = {
        key.removeprefix(LABEL_PREFIX): (value, labels[key])
        for key, value in labels.value.items()
        if isinstance(key, str) and key.startswith(LABEL_PREFIX)
    }
    if not found:
        return []
    entries = [leaf(("labels",), {key: value for key, (value, _) in found.items()}, labels)]
    return entries + [mark(("labels", key), at) for key, (_, at) in found.items()]


def _alerting(node: Located, window: str | None, problems: shape.Problems) -> list[Entry] | None:
    alerts = burn_alerts(window) if window is not None else None
    scaled = [leaf(("alerts",), alerts, node)] if alerts is not None else []
    if not node.present:
        return scaled
    if not shape.mapping(node, ALERTING_FIELDS, problems):
        return None
    before = len(problems)
    name = shape.text(node["name"], problems, required=False)
    if shape.text(node["absentName"], problems, required=False) is not None:
        problems.append(node["absentName"].problem(_NAMED))
    if shape.boolean(node["absent"], problems) is False:
        problems.append(
            node["absent"].problem(
                "absent: false is not supported: slo-exporter's rules always warn when an "
                "SLO's series are missing (SLODataMissing)"
            )
        )
    disabled = shape.boolean(node["disabled"], problems)
    burnrates = shape.boolean(node["burnrates"], problems)
    if len(problems) > before:
        return None
    if disabled or burnrates is False:
        return [leaf(("alerts",), [], node)]
    named = [leaf(("alert_name",), name.strip(), node["name"])] if name else []
    return named + scaled


def _slo(root: Located, problems: shape.Problems) -> list[Entry] | None:
    if not shape.mapping(root, FIELDS, problems, required=("metadata", "spec")):
        return None
    if not shape.api_kind(root, API_VERSION, KIND, problems):
        return None
    metadata, spec = root["metadata"], root["spec"]
    name = shape.text(metadata["name"], problems)
    namespace = shape.text(metadata["namespace"], problems, required=False)
    if not shape.mapping(
        spec, SPEC_FIELDS, problems, required=("target", "window", "indicator"), refused=_REFUSED
    ):
        return None
    before = len(problems)
    description = shape.text(spec["description"], problems, required=False)
    target = shape.percent(spec["target"], problems, "target")
    window = shape.text(spec["window"], problems)
    sli = indicator(spec["indicator"], problems)
    alerts = _alerting(spec["alerting"], window, problems)
    if len(problems) > before or name is None or sli is None or alerts is None:
        return None
    service = metadata["namespace"] if namespace is not None else metadata["name"]
    entries = [
        mark((), root),
        leaf(("name",), name, metadata["name"]),
        leaf(("service",), namespace or name, service),
    ]
    if description:
        entries.append(leaf(("description",), description, spec["description"]))
    entries.extend(_labels(metadata))
    entries.append(leaf(("objective",), target, spec["target"]))
    entries.append(leaf(("period",), window, spec["window"]))
    grouped = group_by(spec["indicator"])
    if grouped is not None:
        entries.append(grouped)
    entries.append(mark(("sli",), spec["indicator"]))
    return [*entries, *nest(("sli",), sli), *alerts]


def convert_located(sources: Sources) -> Converted:
    """The native ``{"slos": [...]}`` of the Pyrra manifests in ``sources``, and origins.

    Raises :class:`ConfigError` with one line per problem.
    """
    problems: list[Problem] = []
    slos: list[list[Entry]] = []
    for order, (source, document) in enumerate(sources):
        data = document.data
        if data is None:
            continue
        metadata = data.get("metadata") if isinstance(data, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        place = Place(source, order, document, (), owner_label(KIND, name))
        entries = _slo(Located.root(place, data), problems)
        if entries is not None:
            slos.append(entries)
    if problems:
        raise ConfigError(format_problems(problems))
    return assembled(slos)
