"""``DataSource`` documents to the native ``backend``: one Prometheus URL per config.

Every ``DataSource`` must be of type Prometheus (any PromQL HTTP API) with
``connectionDetails: {url: ...}``, and all of them must give the same URL,
since a config has one backend. Credentials, headers and TLS settings are
not read from OpenSLO: convert to a native config and set them there.
"""

from __future__ import annotations

from exporter.openslo import shape
from exporter.openslo.catalog import Catalog
from exporter.openslo.entries import Entry, leaf, mark
from exporter.yaml_lines import describe, quote

SPEC_FIELDS = ("description", "type", "connectionDetails")
NONE_GIVEN = (
    "no DataSource given: add one of type Prometheus with connectionDetails.url, "
    "the PromQL API to query"
)


def backend(catalog: Catalog, problems: shape.Problems) -> list[Entry] | None:
    """The native ``backend`` entries; None when there is no usable DataSource."""
    entries: list[Entry] | None = None
    first_url: str | None = None
    first_where = ""
    for name, source in catalog.named("DataSource").items():
        spec = source["spec"]
        if not shape.mapping(spec, SPEC_FIELDS, problems, required=("type", "connectionDetails")):
            continue
        shape.text(spec["description"], problems, required=False)
        kind = shape.text(spec["type"], problems)
        if kind is not None and kind.lower() != "prometheus":
            problems.append(
                spec["type"].problem(
                    "only Prometheus data sources are supported (any PromQL HTTP API: "
                    f"Prometheus, Thanos, Mimir, VictoriaMetrics); got {quote(kind)}"
                )
            )
        details = spec["connectionDetails"]
        if not isinstance(details.value, dict):
            problems.append(
                details.problem(f"expected a mapping with url, got {describe(details.value)}")
            )
            continue
        for key in details.value:
            if key != "url":
                problems.append(
                    details[key].problem(
                        "not supported: only url is read from a DataSource; for credentials, "
                        "headers or TLS, convert to a native config (slo-exporter convert) "
                        "and set them under backend"
                    )
                )
        url = shape.text(details["url"], problems)
        if url is None or kind is None:
            continue
        if first_url is None:
            first_url = url.rstrip("/")
            where = source.where()
            first_where = f"DataSource {quote(name)} ({where.source}:{where.line})"
            entries = [mark(("backend",), source), leaf(("backend", "url"), url, details["url"])]
        elif url.rstrip("/") != first_url:
            problems.append(
                details["url"].problem(
                    f"one backend per config: {first_where} gives a different url; "
                    "slo-exporter queries one PromQL API"
                )
            )
    return entries
