"""One OpenSLO ``SLO`` to the entries of one native SLO.

``metadata.name`` -> ``name``, ``metadata.labels`` -> ``labels`` (one text
value each), ``spec.service`` -> ``service`` (a defined ``Service`` when any
are given), ``spec.description`` -> ``description``; the indicator,
objective, time window and alert policies are converted by their modules.
``metadata.displayName`` and ``metadata.annotations`` describe the SLO for
people and other tools and have no native counterpart.
"""

from __future__ import annotations

from exporter.openslo import shape
from exporter.openslo.alerting import slo_alerts
from exporter.openslo.catalog import Catalog, inline_object
from exporter.openslo.entries import Entry, leaf, mark, nest
from exporter.openslo.indicator import Indicator, indicator
from exporter.openslo.located import Located
from exporter.openslo.objective import objective
from exporter.openslo.window import time_window
from exporter.yaml_lines import describe, quote

SPEC_FIELDS = (
    "description",
    "service",
    "indicator",
    "indicatorRef",
    "timeWindow",
    "budgetingMethod",
    "objectives",
    "alertPolicies",
)


def _labels(node: Located, problems: shape.Problems) -> list[Entry] | None:
    if not isinstance(node.value, dict) or not node.value:
        return []  # the catalog reported anything but a mapping
    labels: dict[str, str] = {}
    entries: list[Entry] = []
    for key, value in node.value.items():
        child = node[key]
        if not isinstance(key, str):
            problems.append(node.problem(f"label name {quote(key)} must be text", line_of=child))
        elif isinstance(value, list):
            problems.append(
                child.problem("a list of values is not supported: a Prometheus label has one value")
            )
        elif not isinstance(value, str):
            hint = "; quote it in YAML" if isinstance(value, bool | int | float) else ""
            problems.append(child.problem(f"expected text, got {describe(value)}{hint}"))
        else:
            labels[key] = value
            entries.append(mark(("labels", key), child))
    if len(labels) != len(node.value):
        return None
    return [leaf(("labels",), labels, node), *entries]


def _indicator(
    spec: Located, catalog: Catalog, problems: shape.Problems
) -> tuple[Located, Indicator] | None:
    inline, ref = spec["indicator"], spec["indicatorRef"]
    if inline.present and ref.present:
        problems.append(spec.problem("give either indicator or indicatorRef, not both"))
        return None
    if ref.present:
        sli = catalog.resolve(ref, "SLI", problems)
        found = indicator(sli["spec"], catalog, problems) if sli is not None else None
        return (ref, found) if found is not None else None
    if inline.present:
        if not inline_object(inline, "SLI", problems):
            return None
        found = indicator(inline["spec"], catalog, problems)
        return (inline, found) if found is not None else None
    problems.append(spec.problem("give indicatorRef (the name of an SLI) or an inline indicator"))
    return None


def _service(spec: Located, catalog: Catalog, problems: shape.Problems) -> str | None:
    service = shape.text(spec["service"], problems)
    services = catalog.named("Service")
    if service is not None and services and service not in services:
        problems.append(
            spec["service"].problem(
                f"no Service named {quote(service)}; defined: {', '.join(sorted(services))}"
            )
        )
        return None
    return service


def slo(root: Located, catalog: Catalog, problems: shape.Problems) -> list[Entry] | None:
    """The native SLO's entries, keys in the order people read them; None on any problem."""
    spec = root["spec"]
    if not shape.mapping(
        spec, SPEC_FIELDS, problems, required=("service", "timeWindow", "objectives")
    ):
        return None
    metadata = root["metadata"]
    service = _service(spec, catalog, problems)
    description = shape.text(spec["description"], problems, required=False)
    labels = _labels(metadata["labels"], problems)
    found = _indicator(spec, catalog, problems)
    goal = objective(spec, found[1].kind if found is not None else None, problems)
    window = time_window(spec, problems)
    alerts = slo_alerts(spec, catalog, problems)
    if (
        service is None
        or labels is None
        or found is None
        or goal is None
        or window is None
        or alerts is None
    ):
        return None
    sli_node, sli = found
    head = [mark((), root), leaf(("name",), metadata["name"].value, metadata["name"])]
    head.append(leaf(("service",), service, spec["service"]))
    if description is not None:
        head.append(leaf(("description",), description, spec["description"]))
    return [
        *head,
        *labels,
        goal.objective,
        *window,
        *goal.budgeting,
        mark(("sli",), sli_node),
        *nest(("sli",), (*sli.entries, *goal.threshold)),
        *alerts,
    ]
