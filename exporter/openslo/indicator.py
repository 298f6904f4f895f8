"""An OpenSLO ``SLI`` (inline ``indicator`` or ``SLI`` document) to the native ``sli``.

==============================================  =====================================
OpenSLO                                         native ``sli``
==============================================  =====================================
``ratioMetric`` good|bad, total: selectors      ``ratio: {good|bad, total}``
``ratioMetric`` good|bad, total: templates      ``query: {good|bad, total}``
``ratioMetric`` a selector and a template       ``query``, the selector as
                                                ``sum(increase(SEL[{{window}}]))``
``ratioMetric`` ``raw`` + ``rawType``           ``raw: {query, type: success|failure}``
``thresholdMetric``                             ``threshold: {query, op, value}``
==============================================  =====================================

Every metric source must be Prometheus (``type: Prometheus``, or a
``metricSourceRef`` to a ``DataSource``) with ``spec: {query: ...}``. The
``op`` and ``value`` of a threshold come from the SLO's objective
(:mod:`exporter.openslo.objective`).
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.openslo import shape
from exporter.openslo.catalog import Catalog
from exporter.openslo.entries import Entry, leaf, mark
from exporter.openslo.located import Located
from exporter.openslo.queries import Form, ratio_form
from exporter.promql.selectors import check_expression, counter_template
from exporter.yaml_lines import quote

SPEC_FIELDS = ("description", "thresholdMetric", "ratioMetric")
RATIO_FIELDS = ("counter", "good", "bad", "total", "rawType", "raw")
SOURCE_FIELDS = ("metricSourceRef", "type", "spec")
_QUERY_SYNONYMS = {"promql": "query", "expr": "query", "expression": "query"}


@dataclass(frozen=True)
class Indicator:
    """The native SLI kind (ratio, query, raw, threshold) and its entries under ``sli``."""

    kind: str
    entries: tuple[Entry, ...]


def metric_query(node: Located, catalog: Catalog, problems: shape.Problems) -> Located | None:
    """The PromQL text of ``{metricSource: {type|metricSourceRef, spec: {query}}}``."""
    if not shape.mapping(node, ("metricSource",), problems, required=("metricSource",)):
        return None
    source = node["metricSource"]
    if not shape.mapping(source, SOURCE_FIELDS, problems, required=("spec",)):
        return None
    ref, kind = source["metricSourceRef"], source["type"]
    if ref.present:
        catalog.resolve(ref, "DataSource", problems)
    if kind.present:
        written = shape.text(kind, problems)
        if written is not None and written.lower() != "prometheus":
            problems.append(
                kind.problem(
                    "only Prometheus metric sources are supported (any PromQL API: Prometheus, "
                    f"Thanos, Mimir, VictoriaMetrics); got {quote(written)}"
                )
            )
    if not ref.present and not kind.present:
        problems.append(
            source.problem("give type: Prometheus, or metricSourceRef naming a DataSource")
        )
    spec = source["spec"]
    if not shape.mapping(spec, ("query",), problems, required=("query",), synonyms=_QUERY_SYNONYMS):
        return None
    if shape.text(spec["query"], problems) is None:
        return None
    return spec["query"]


def _instant(node: Located, catalog: Catalog, problems: shape.Problems) -> Located | None:
    query = metric_query(node, catalog, problems)
    if query is None:
        return None
    try:
        check_expression(query.value.strip())
    except ValueError as error:
        problems.append(query.problem(str(error)))
        return None
    return query


def _raw(metric: Located, catalog: Catalog, problems: shape.Problems) -> Indicator | None:
    counted = [key for key in ("good", "bad", "total") if metric[key].present]
    if counted:
        problems.append(
            metric.problem("give either raw (with rawType) or good/bad and total, not both")
        )
    raw_type = shape.choice(metric["rawType"], ("success", "failure"), problems)
    query = _instant(metric["raw"], catalog, problems)
    if counted or raw_type is None or query is None:
        return None
    return Indicator(
        "raw",
        (
            mark(("raw",), metric),
            leaf(("raw", "query"), query.value.strip(), query),
            leaf(("raw", "type"), raw_type, metric["rawType"]),
        ),
    )


def _counter(metric: Located, problems: shape.Problems) -> bool:
    counter = metric["counter"]
    if not counter.present:
        problems.append(
            shape.missing(counter, "write counter: true; events are counted with increase()")
        )
        return False
    value = shape.boolean(counter, problems)
    if value is False:
        problems.append(
            counter.problem(
                "counter: false (gauges) is not supported: good and total events are counted "
                "with increase() over each window; for a ratio stored as a metric use raw "
                "and rawType"
            )
        )
    return value is True


def _events(metric: Located, catalog: Catalog, problems: shape.Problems) -> Indicator | None:
    ok = _counter(metric, problems)
    if metric["rawType"].present:
        problems.append(metric["rawType"].problem("rawType goes with raw only"))
        ok = False
    numerators = [key for key in ("good", "bad") if metric[key].present]
    if len(numerators) != 1:
        problems.append(
            metric.problem("give either good or bad, not both")
            if numerators
            else metric.problem("give good or bad events next to total")
        )
        ok = False
    if not metric["total"].present:
        problems.append(shape.missing(metric["total"]))
        ok = False
    queries: list[tuple[str, Located, Form]] = []
    for key in (*numerators[:1], "total"):
        query = metric_query(metric[key], catalog, problems) if metric[key].present else None
        if query is None:
            ok = False
            continue
        try:
            queries.append((key, query, ratio_form(query.value.strip())))
        except ValueError as error:
            problems.append(query.problem(str(error)))
            ok = False
    if not ok:
        return None
    forms = {form for _, _, form in queries}
    form: Form = "query" if len(forms) > 1 else queries[0][2]
    entries = [mark((form,), metric)]
    for key, query, written in queries:
        text = query.value.strip()
        if form != written:  # a selector next to a template: count it the same way
            text = counter_template(text) or text
        entries.append(leaf((form, key), text, query))
    return Indicator(form, tuple(entries))


def indicator(spec: Located, catalog: Catalog, problems: shape.Problems) -> Indicator | None:
    """The native SLI for the ``spec`` of an ``SLI``; None (with problems) if it has none."""
    if not shape.mapping(spec, SPEC_FIELDS, problems):
        return None
    shape.text(spec["description"], problems, required=False)
    ratio, threshold = spec["ratioMetric"], spec["thresholdMetric"]
    if ratio.present and threshold.present:
        problems.append(spec.problem("give either ratioMetric or thresholdMetric, not both"))
        return None
    if threshold.present:
        return _threshold(threshold, catalog, problems)
    if not ratio.present:
        problems.append(spec.problem("give ratioMetric or thresholdMetric"))
        return None
    return _ratio(ratio, catalog, problems)


def _threshold(threshold: Located, catalog: Catalog, problems: shape.Problems) -> Indicator | None:
    query = _instant(threshold, catalog, problems)
    if query is None:
        return None
    return Indicator(
        "threshold",
        (
            mark(("threshold",), threshold),
            leaf(("threshold", "query"), query.value.strip(), query),
        ),
    )


def _ratio(ratio: Located, catalog: Catalog, problems: shape.Problems) -> Indicator | None:
    if not shape.mapping(ratio, RATIO_FIELDS, problems):
        return None
    if ratio["raw"].present:
        return _raw(ratio, catalog, problems)
    return _events(ratio, catalog, problems)
